"""RSS 0.9x/1.0/2.0 and Atom feeds (feedparser) and JSON Feed, read from bytes.

Bytes are decoded here, not by feedparser, by the order of evidence of
:mod:`monitor.sources.decode` with the feed's own XML declaration ahead of the HTTP
charset (servers often label every file ISO-8859-1 or UTF-8; the file knows better), then
valid UTF-8, then detection; a declaration that does not decode is passed over. A feed that
declares entities in its DTD is refused before parsing (defusedxml), so an XML bomb cannot
expand. A malformed feed keeps the entries feedparser could read and says what was wrong.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urljoin

from ..dates import parse_date
from .decode import (
    DecodeError,
    bom_encoding,
    canonical_encoding,
    declared_encoding,
    decode_bytes,
)

_XML_DECL_RE = re.compile(rb"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_BLOCKS = ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr",
           "section", "article", "pre", "ul", "ol", "table", "figure")


@dataclass
class FeedEntry:
    """One item of a feed. ``content`` is the full text when the feed carries it
    (``content:encoded``, Atom ``content``, JSON ``content_html``), else None."""

    guid: str | None
    url: str | None
    title: str | None
    published: tuple[str, str] | None
    author: str | None
    language: str | None
    content: str | None
    summary: str | None
    raw_date: str | None = None


@dataclass
class Feed:
    title: str | None
    language: str | None
    entries: list[FeedEntry] = field(default_factory=list)
    error: str | None = None  # what was wrong with a malformed feed that was still read
    format: str = ""
    encoding: str | None = None


def parse_feed(data: bytes, *, declared_encoding: str | None = None,
               url: str | None = None) -> Feed:
    """The entries of a feed; relative links are resolved against ``url``. Raises
    ``DecodeError`` when nothing usable is in ``data``."""
    stripped = data.lstrip()
    if stripped.startswith(b"\xef\xbb\xbf"):
        stripped = stripped[3:].lstrip()
    if stripped.startswith(b"{"):
        return _json_feed(data)
    text, encoding = decode_feed(data, declared_encoding)
    refuse_entities(text)
    import feedparser

    body = _XML_DECL_RE.sub(b'<?xml version="1.0" encoding="utf-8"?>', text.encode("utf-8"),
                            count=1)
    parsed = feedparser.parse(body, response_headers={
        "content-type": "application/xml; charset=utf-8"})  # no base: GUIDs stay as written
    error = None
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        if not isinstance(exc, feedparser.CharacterEncodingOverride):
            error = f"malformed feed ({_one_line(exc)})"
    if not parsed.get("version") and not parsed.entries:
        raise DecodeError(error or "not a feed (no RSS, Atom or JSON Feed found)")
    info = parsed.feed
    language = _language(info.get("language"))
    feed = Feed(title=_text(info.get("title")), language=language, error=error,
                format=parsed.get("version") or "feed", encoding=encoding)
    with warnings.catch_warnings():  # feedparser's updated->published fallback notice
        warnings.simplefilter("ignore", DeprecationWarning)
        for entry in parsed.entries:
            feed.entries.append(_entry(entry, language))
    if url:
        for item in feed.entries:
            item.url = urljoin(url, item.url) if item.url else None
    return feed


def decode_feed(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """The text of an XML feed and the encoding used (see the module docstring)."""
    candidates = [bom_encoding(data), declared_encoding(data[:1024]),
                  canonical_encoding(declared), "utf-8"]
    for encoding in dict.fromkeys(c for c in candidates if c):
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            continue
    return decode_bytes(data), "detected"


def refuse_entities(text: str) -> None:
    """``DecodeError`` if the document declares XML entities (the stuff of XML bombs)."""
    head = text[:65536]
    if "<!DOCTYPE" not in head.upper():
        return
    import defusedxml.ElementTree as safe
    from defusedxml import DefusedXmlException

    try:
        safe.fromstring(_XML_DECL_RE.sub(b"", text.encode("utf-8"), count=1))
    except DefusedXmlException:
        raise DecodeError("XML entity declarations refused (a possible XML bomb)") from None
    except Exception:  # noqa: BLE001  (malformed: feedparser says what it can read)
        return


def html_to_text(html: str | None) -> str | None:
    """Plain text of an HTML fragment: block elements and ``<br>`` become line breaks."""
    if not html or not html.strip():
        return None
    if "<" not in html and "&" not in html:
        return " ".join(html.split()) or None
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except Exception:  # noqa: BLE001  (lxml rejects some fragments outright)
        return " ".join(re.sub(r"<[^>]*>", " ", html).split()) or None
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    for element in root.iter():
        if element.tag == "br":
            element.tail = "\n" + (element.tail or "")
        elif element.tag in _BLOCKS:
            element.tail = "\n\n" + (element.tail or "")
    lines = [" ".join(line.split()) for line in root.text_content().split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text or None


def _entry(entry: Any, feed_language: str | None) -> FeedEntry:
    content, language = None, None
    for item in entry.get("content") or []:
        value = _detail_text(item)
        if value:
            content, language = value, _language(item.get("language"))
            break
    summary = _detail_text(entry.get("summary_detail")) or html_to_text(entry.get("summary"))
    raw_date = entry.get("published") or entry.get("updated") or entry.get("created")
    published = parse_date(raw_date) if raw_date else None
    if published is None:
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        if stamp:
            published = (date(*stamp[:3]).isoformat(), "day")
    return FeedEntry(
        guid=_text(entry.get("id")), url=_text(entry.get("link")),
        title=_text(entry.get("title")), published=published,
        author=_text(entry.get("author")),
        language=language or _language((entry.get("title_detail") or {}).get("language"))
        or feed_language,
        content=content, summary=summary, raw_date=raw_date,
    )


def _detail_text(detail: Any) -> str | None:
    if not detail:
        return None
    value = detail.get("value")
    if (detail.get("type") or "").endswith(("html", "xml")):
        return html_to_text(value)
    return " ".join((value or "").split()) or None


def _json_feed(data: bytes) -> Feed:
    try:
        doc = json.loads(decode_bytes(data))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise DecodeError(f"malformed JSON Feed ({_one_line(exc)})") from None
    if not isinstance(doc, dict) or "jsonfeed.org" not in str(doc.get("version", "")):
        raise DecodeError("not a feed (JSON without a jsonfeed.org version)")
    language = _language(doc.get("language"))
    feed = Feed(title=_text(doc.get("title")), language=language, format="json",
                encoding="utf-8")
    items = doc.get("items")
    if not isinstance(items, list):
        raise DecodeError("malformed JSON Feed (no items list)")
    for item in items:
        if not isinstance(item, dict):
            feed.error = "malformed JSON Feed (an item is not an object)"
            continue
        author = item.get("author") or next(iter(item.get("authors") or []), None)
        raw_date = item.get("date_published") or item.get("date_modified")
        content = html_to_text(item.get("content_html")) or _text(item.get("content_text"))
        feed.entries.append(FeedEntry(
            guid=_text(item.get("id")), url=_text(item.get("url")),
            title=_text(item.get("title")),
            published=parse_date(raw_date) if isinstance(raw_date, str) else None,
            author=_text(author.get("name")) if isinstance(author, dict) else None,
            language=_language(item.get("language")) or language,
            content=content, summary=_text(item.get("summary")),
            raw_date=raw_date if isinstance(raw_date, str) else None,
        ))
    return feed


def _language(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    primary = value.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    value = " ".join(str(value).split())
    return value or None


def _one_line(exc: object) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
