"""Main text and metadata of an HTML page, boilerplate (menus, ads, footers) dropped.

Used for ``.html`` files and, later, for web pages and feed items that link to articles:
callers hand over the raw bytes (plus any charset the server declared) or decoded text.
Text comes from trafilatura; the title too. The date is read from the page's own
metadata (Open Graph/``article:published_time``, ``<meta name=date>``, Dublin Core,
schema.org ``datePublished``) with its precision kept; only when none is present does
htmldate's metadata-only search (no guessing from the body text) supply a day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..dates import is_placeholder, parse_date
from .decode import DecodeError, decode_bytes

_DATE_PROPERTIES = ("article:published_time", "og:published_time", "og:article:published_time",
                    "article:published", "datepublished")
_DATE_NAMES = ("date", "pubdate", "publishdate", "publish-date", "publish_date", "dc.date",
               "dc.date.issued", "dcterms.date", "dcterms.issued", "dcterms.created",
               "citation_publication_date", "citation_date", "sailthru.date",
               "parsely-pub-date", "article.published", "datepublished", "og:published_time",
               "article:published_time")
_LD_DATE_RE = re.compile(r'"datePublished"\s*:\s*"([^"]{4,40})"')
_LOWER = "translate(@{0}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"


@dataclass
class Page:
    """What an HTML page says: main text, and metadata where the page declares it."""

    text: str
    title: str | None = None
    date: tuple[str, str] | None = None  # (partial ISO date, precision)
    url: str | None = None
    language: str | None = None
    date_warning: str | None = None  # a placeholder date the page declared, ignored


class NoTextError(DecodeError):
    """The page has no main text (an index page, a login wall, an empty shell)."""


def extract_page(
    html: bytes | str, *, url: str | None = None, declared_encoding: str | None = None
) -> Page:
    """The main text and metadata of ``html``. Raises ``DecodeError``/``NoTextError``.

    Bytes are decoded by BOM, ``declared_encoding`` (e.g. from HTTP), ``<meta charset>``,
    UTF-8, then detection.
    """
    import trafilatura

    if isinstance(html, bytes):
        html = decode_bytes(html, declared=declared_encoding, markup=True)
    tree = trafilatura.load_html(html)
    if tree is None:
        raise NoTextError("not an HTML page (cannot parse)")
    date, placeholders = page_date(tree), _placeholder_dates(tree)
    language = _language(tree)
    result = trafilatura.bare_extraction(
        tree, url=url, with_metadata=True, include_comments=False, include_tables=True,
        # None would mean trafilatura's default, extensive date search, even when
        # page_date has already found the date; its quick search is enough either way
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    text = (getattr(result, "text", None) or "").strip() if result is not None else ""
    if not text:
        raise NoTextError("no main text found in the page")
    if date is None and getattr(result, "date", None) and not is_placeholder(result.date):
        date = parse_date(result.date)
    return Page(
        text=text,
        title=_clean(getattr(result, "title", None)),
        date=date,
        url=_clean(getattr(result, "url", None)) or url,
        language=language,
        date_warning=(f"placeholder date {placeholders[0]!r} ignored"
                      if placeholders and date is None else None),
    )


def page_date(tree: Any) -> tuple[str, str] | None:
    """The publication date an lxml tree declares in its metadata, precision kept;
    placeholders (``0001-01-01``, an epoch-zero timestamp) are passed over."""
    for value in _date_values(tree):
        parsed = None if is_placeholder(value) else parse_date(value)
        if parsed:
            return parsed
    return None


def _date_values(tree: Any) -> list[str]:
    values: list[str] = []
    for attribute, names in (("property", _DATE_PROPERTIES), ("name", _DATE_NAMES),
                             ("itemprop", ("datepublished",))):
        test = " or ".join(f"{_LOWER.format(attribute)} = '{name}'" for name in names)
        values += tree.xpath(f"//meta[{test}]/@content")
    values += tree.xpath("//*[@itemprop='datePublished']/@datetime")
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        values += _LD_DATE_RE.findall(script)
    values += tree.xpath("//time[@pubdate]/@datetime")
    return values


def _placeholder_dates(tree: Any) -> list[str]:
    return [value for value in _date_values(tree) if is_placeholder(value)]


def _language(tree: Any) -> str | None:
    lang = tree.get("lang") or next(iter(tree.xpath("//html/@lang")), None)
    if not lang:
        return None
    primary = str(lang).strip().replace("_", "-").split("-")[0].lower()
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else None


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None

