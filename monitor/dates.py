"""Parse the many ways sources write a date into a partial ISO date and its precision.

A date is only as precise as its source: ``2022`` stays a year and ``October 2022`` a
month; nothing is ever filled in to a day. Times and time zones are dropped, keeping the
calendar date as written (a speech given late on 16 October in New York stays on the 16th).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_tz

__all__ = ["format_date", "implausible_date", "is_placeholder", "parse_date"]

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month_name>[a-z]+)\.?"
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"

_TIME = r"(?:[t ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:z|[+-]\d{2}:?\d{2}|utc|gmt)?)?"
_ISO_RE = re.compile(
    rf"(?P<year>\d{{4}})(?:[-/.](?P<month>\d{{1,2}})(?:[-/.](?P<day>\d{{1,2}}){_TIME})?)?"
)
_COMPACT_RE = re.compile(r"(?:d:)?(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})(?:\d{2,6}.*)?")
_DAY_MONTH_YEAR_RE = re.compile(rf"{_WEEKDAY}(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+"
                                r"(?P<year>\d{4})(?:\s+\d{1,2}:\d{2}.*)?")
_MONTH_DAY_YEAR_RE = re.compile(rf"{_WEEKDAY}{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+"
                                r"(?P<year>\d{4})(?:\s+\d{1,2}:\d{2}.*)?")
_MONTH_YEAR_RE = re.compile(rf"{_MONTH},?\s+(?P<year>\d{{4}})")
_CHINESE_RE = re.compile(
    r"(?P<year>\d{4})\s*年(?:\s*(?P<month>\d{1,2})\s*月(?:\s*(?P<day>\d{1,2})\s*[日号])?)?"
)
_PATTERNS = (_ISO_RE, _COMPACT_RE, _CHINESE_RE, _DAY_MONTH_YEAR_RE,
             _MONTH_DAY_YEAR_RE, _MONTH_YEAR_RE)


def parse_date(value: object) -> tuple[str, str] | None:
    """``(partial ISO date, precision)`` for ``value``, or None if it is empty or unparseable.

    >>> parse_date("2022"), parse_date("October 2022"), parse_date("2022年10月16日")
    (('2022', 'year'), ('2022-10', 'month'), ('2022-10-16', 'day'))

    Accepts ints (``2022``), ``2022-10``, ``2022-10-16``, ISO datetimes, RFC 2822
    (``Sun, 16 Oct 2022 09:00:00 +0000``), ``16 October 2022``, ``October 16, 2022``,
    ``October 2022``, PDF dates (``D:20221016...``) and Chinese ``2022年10月16日``,
    ``2022年10月``, ``2022年``. Callers decide whether None means "undated" (empty
    value) or "bad date" (anything else): see ``is_blank``.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return _build(value, None, None) if 1000 <= value <= 9999 else None
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).strip().lower()  # patterns are lower-case
    if not text:
        return None
    for pattern in _PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            return _from_match(match)
    parsed = parsedate_tz(text)  # RFC 2822, e.g. in e-mail and RSS
    if parsed and re.search(r"\d{4}", text):
        return _build(parsed[0], parsed[1], parsed[2])
    return None


_MIDNIGHT = r"[t ]00:00(?::00(?:\.0+)?)?\s*(?:z|[+-]00:?00|utc|gmt)?"
_PLACEHOLDER_RE = re.compile(
    rf"(?:0{{0,3}}[01]-0?1-0?1|1900-0?1-0?1)(?:{_MIDNIGHT})?|1970-0?1-0?1{_MIDNIGHT}"
)


def is_placeholder(value: object) -> bool:
    """True for values systems write when they have no date: ``0001-01-01``, ``1900-01-01``,
    an epoch-zero ``1970-01-01T00:00:00``. (A plain ``1970-01-01`` may be a real New Year's
    Day; only the midnight timestamp is taken for the epoch.)"""
    if not isinstance(value, str):
        return False
    text = unicodedata.normalize("NFKC", value).strip().lower()
    return bool(_PLACEHOLDER_RE.fullmatch(text) or re.fullmatch(r"0{1,4}(?:-0{1,2}){0,2}", text))


def implausible_date(published: str | None, precision: str | None,
                     now: datetime | None = None) -> str | None:
    """Why a stored date cannot be a publication date, or None if it can be.

    Before the year 1000, a placeholder (``0001-01-01``, ``1900-01-01``), or starting more
    than a day after ``now`` (default: the current UTC time).
    """
    if published is None or precision is None:
        return None
    year = int(published[:4])
    if year < 1000:
        return f"impossible date {published!r} (before the year 1000)"
    if published == "1900-01-01":
        return f"placeholder date {published!r}"
    month = int(published[5:7]) if precision in ("month", "day") else 1
    day = int(published[8:10]) if precision == "day" else 1
    now = now or datetime.now(timezone.utc)
    if date(year, month, day) > now.date() + timedelta(days=1):
        return f"date {published!r} is in the future (after {now.date().isoformat()})"
    return None


def is_blank(value: object) -> bool:
    """True for values that mean "no date": None, empty or whitespace-only strings."""
    return value is None or (isinstance(value, str) and not value.strip())


def format_date(published: str | None, precision: str | None) -> str:
    """A stored date for display: ``2022-10-16``, ``2022-10 (month)``, ``undated``."""
    if published is None:
        return "undated"
    return published if precision == "day" else f"{published} ({precision})"


def _from_match(match: re.Match[str]) -> tuple[str, str] | None:
    groups = match.groupdict()
    month: int | None
    if groups.get("month_name") is not None:
        month = _MONTHS.get(groups["month_name"])
        if month is None:
            return None
    else:
        month = int(groups["month"]) if groups.get("month") else None
    day = int(groups["day"]) if groups.get("day") else None
    return _build(int(groups["year"]), month, day)


def _build(year: int, month: int | None, day: int | None) -> tuple[str, str] | None:
    if not 1 <= year <= 9999:
        return None
    if month is None:
        return f"{year:04d}", "year"
    if not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}", "month"
    try:
        return date(year, month, day).isoformat(), "day"
    except ValueError:
        return None
