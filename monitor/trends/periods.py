"""Period ids and time buckets: ``2022-10-16``, ``2020-W53``, ``2022-10``, ``2022-Q4``, ``2022``.

A period id is a plain string that sorts chronologically within one kind. Weeks are ISO
weeks (Monday to Sunday; week 1 holds the year's first Thursday), so 2020-12-31 and
2021-01-03 are both in 2020-W53 and 2021-01-04 starts 2021-W01.

A document keeps the precision of its date (day, month or year). It can be put in a
bucket only when its date is at least as precise as the bucket needs: a document dated
``2022`` has a year bucket but no month bucket (``bucket_key`` returns None); it is
never smeared over the months.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

BUCKETS = ("day", "week", "month", "quarter", "year", "decade")
NEEDS = {"day": "day", "week": "day", "month": "month", "quarter": "month", "year": "year",
         "decade": "year"}
"""The date precision a document needs to fall in a bucket of each kind."""
_RANK = {"day": 0, "month": 1, "year": 2}

_PATTERNS = {
    "day": re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"),
    "week": re.compile(r"^(\d{4})-W(\d{2})$"),
    "month": re.compile(r"^(\d{4})-(\d{2})$"),
    "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
    "year": re.compile(r"^(\d{4})$"),
    "decade": re.compile(r"^(\d{3})0s$"),
}


def check_bucket(bucket: str) -> str:
    if bucket not in BUCKETS:
        raise ValueError(f"bucket {bucket!r} is not one of {', '.join(BUCKETS)}")
    return bucket


def kind(key: str) -> str:
    """The kind of a period id: ``'2020-W53'`` -> ``'week'``; ValueError if it is none."""
    for name, pattern in _PATTERNS.items():
        if pattern.match(key):
            start(key, name)  # validates month 13, week 54, 30 February, ...
            return name
    raise ValueError(
        f"{key!r} is not a period: write 2020s, 2022, 2022-Q4, 2022-10, 2022-W42 or 2022-10-16"
    )


def start(key: str, kind_: str | None = None) -> date:
    """First day of a period."""
    kind_ = kind_ or kind(key)
    m = _PATTERNS[kind_].match(key)
    if not m:
        raise ValueError(f"{key!r} is not a {kind_} id")
    nums = [int(g) for g in m.groups()]
    try:
        if kind_ == "day":
            return date(*nums)
        if kind_ == "week":
            return date.fromisocalendar(nums[0], nums[1], 1)
        if kind_ == "month":
            return date(nums[0], nums[1], 1)
        if kind_ == "quarter":
            return date(nums[0], 3 * nums[1] - 2, 1)
        if kind_ == "decade":
            return date(max(nums[0] * 10, 1), 1, 1)
        return date(nums[0], 1, 1)
    except ValueError as exc:
        raise ValueError(f"{key!r} is not a valid {kind_}: {exc}") from None


def end(key: str, kind_: str | None = None) -> date:
    """Last day of a period (inclusive)."""
    kind_ = kind_ or kind(key)
    return start(shift(key, 1, kind_), kind_) - timedelta(days=1)


def midpoint(key: str, kind_: str | None = None) -> date:
    """The middle day of a period: where a chart puts its point."""
    first, last = start(key, kind_), end(key, kind_)
    return first + (last - first) / 2


def key_of(day: date, bucket: str) -> str:
    """The id of the ``bucket``-kind period holding ``day``."""
    if bucket == "day":
        return day.isoformat()
    if bucket == "week":
        year, week, _ = day.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if bucket == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if bucket == "quarter":
        return f"{day.year:04d}-Q{(day.month + 2) // 3}"
    if bucket == "year":
        return f"{day.year:04d}"
    if bucket == "decade":
        return f"{day.year // 10:03d}0s"
    raise ValueError(check_bucket(bucket))


def bucket_key(published: str | None, precision: str | None, bucket: str) -> str | None:
    """Bucket of a document's partial date, or None if undated or too coarse for ``bucket``."""
    if published is None or precision is None:
        return None
    if _RANK[precision] > _RANK[NEEDS[bucket]]:
        return None
    if bucket == "decade":
        return published[:3] + "0s"
    if precision == "year":
        return published[:4]
    if precision == "month":
        if bucket == "month":
            return published[:7]
        return key_of(date(int(published[:4]), int(published[5:7]), 1), bucket)
    if bucket in ("day", "month", "year"):
        return published[: {"day": 10, "month": 7, "year": 4}[bucket]]
    return key_of(date.fromisoformat(published[:10]), bucket)


def shift(key: str, n: int, kind_: str | None = None) -> str:
    """The period ``n`` periods after ``key`` (before it when ``n`` < 0)."""
    kind_ = kind_ or kind(key)
    first = start(key, kind_)
    if kind_ == "day":
        return key_of(first + timedelta(days=n), kind_)
    if kind_ == "week":
        return key_of(first + timedelta(weeks=n), kind_)
    if kind_ == "year":
        return f"{first.year + n:04d}"
    if kind_ == "decade":
        return f"{first.year // 10 + n:03d}0s"
    months = 3 if kind_ == "quarter" else 1
    index = first.year * 12 + first.month - 1 + n * months
    return key_of(date(index // 12, index % 12 + 1, 1), kind_)


def span(first: str, last: str) -> list[str]:
    """Every period from ``first`` to ``last`` inclusive (same kind), in order."""
    kind_ = kind(first)
    if kind(last) != kind_:
        raise ValueError(f"cannot span {first!r} to {last!r}: different kinds of period")
    keys, key, stop = [], first, start(last, kind_)
    while start(key, kind_) <= stop:
        keys.append(key)
        key = shift(key, 1, kind_)
    return keys


def previous(key: str, n: int) -> list[str]:
    """The ``n`` periods before ``key``, oldest first (the trailing baseline)."""
    kind_ = kind(key)
    return [shift(key, -i, kind_) for i in range(n, 0, -1)]


def last_complete(bucket: str, today: date | None = None) -> str:
    """The last whole period of kind ``bucket`` before the one holding ``today``."""
    return shift(key_of(today or date.today(), check_bucket(bucket)), -1, bucket)


def date_bounds(key: str) -> tuple[date, date]:
    """First and last day of a partial date or any period id ('2022', '2022-W42', ...)."""
    kind_ = kind(key)
    return start(key, kind_), end(key, kind_)


def label(key: str) -> str:
    """A human label: '2022-10' -> 'Oct 2022', '2020-W53' -> 'week 53 of 2020 (28 Dec-3 Jan)'."""
    kind_ = kind(key)
    first, last = start(key, kind_), end(key, kind_)
    if kind_ == "month":
        return first.strftime("%b %Y")
    if kind_ == "week":
        return (
            f"week {int(key[6:])} of {key[:4]} "
            f"({first.day} {first:%b}-{last.day} {last:%b} {last.year})"
        )
    if kind_ == "quarter":
        return f"Q{key[-1]} {key[:4]} ({first:%b}-{last:%b})"
    return key
