"""XML sitemaps: ``<urlset>`` (with Google News ``<news:news>`` titles and dates) and
``<sitemapindex>``, parsed with defusedxml so entity tricks are refused; gzip'd ones too."""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field

from ..dates import parse_date
from .decode import DecodeError, too_large

_NS_NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


@dataclass
class SitemapUrl:
    loc: str
    lastmod: str | None = None
    title: str | None = None
    published: tuple[str, str] | None = None
    language: str | None = None


@dataclass
class Sitemap:
    is_index: bool
    urls: list[SitemapUrl] = field(default_factory=list)  # pages, or child sitemaps


def parse_sitemap(data: bytes, max_bytes: int = 50 * 1024 * 1024) -> Sitemap:
    """The URLs of a sitemap or sitemap index. Raises ``DecodeError`` on anything else."""
    import defusedxml.ElementTree as safe
    from defusedxml import DefusedXmlException

    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.GzipFile(fileobj=__import__("io").BytesIO(data)).read(max_bytes + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise DecodeError(f"broken gzip ({exc})") from None
        if len(data) > max_bytes:
            raise too_large(max_bytes)
    try:
        root = safe.fromstring(data)
    except DefusedXmlException:
        raise DecodeError("XML entity declarations refused (a possible XML bomb)") from None
    except Exception as exc:  # noqa: BLE001  (ParseError and friends)
        raise DecodeError(f"malformed sitemap ({' '.join(str(exc).split())})") from None
    tag = root.tag.rsplit("}", 1)[-1]
    if tag not in ("urlset", "sitemapindex"):
        raise DecodeError(f"not a sitemap (root element <{tag}>)")
    sitemap = Sitemap(is_index=tag == "sitemapindex")
    for node in root:
        if node.tag.rsplit("}", 1)[-1] not in ("url", "sitemap"):
            continue
        values = {child.tag.rsplit("}", 1)[-1]: (child.text or "").strip() for child in node}
        loc = values.get("loc")
        if not loc:
            continue
        item = SitemapUrl(loc=loc, lastmod=values.get("lastmod") or None)
        news = node.find(f"{_NS_NEWS}news")
        if news is not None:
            item.title = (news.findtext(f"{_NS_NEWS}title") or "").strip() or None
            raw = (news.findtext(f"{_NS_NEWS}publication_date") or "").strip()
            item.published = parse_date(raw) if raw else None
            lang = news.findtext(f"{_NS_NEWS}publication/{_NS_NEWS}language")
            item.language = (lang or "").strip().split("-")[0].lower() or None
        sitemap.urls.append(item)
    return sitemap
