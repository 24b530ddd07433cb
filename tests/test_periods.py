"""Period ids, ISO weeks, partial dates and their buckets."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.trends import periods


@pytest.mark.parametrize(
    ("day", "week"),
    [
        ("2020-12-28", "2020-W53"),  # Monday of week 53
        ("2020-12-31", "2020-W53"),
        ("2021-01-01", "2020-W53"),
        ("2021-01-03", "2020-W53"),  # Sunday: still 2020's week 53
        ("2021-01-04", "2021-W01"),
        ("2019-12-30", "2020-W01"),  # a December day in next year's week 1
        ("2024-12-31", "2025-W01"),
    ],
)
def test_iso_weeks_across_year_boundaries(day: str, week: str) -> None:
    assert periods.key_of(date.fromisoformat(day), "week") == week
    assert periods.bucket_key(day, "day", "week") == week


def test_week_53_exists_only_in_long_years() -> None:
    assert periods.start("2020-W53") == date(2020, 12, 28)
    assert periods.end("2020-W53") == date(2021, 1, 3)
    with pytest.raises(ValueError, match="2021-W53"):
        periods.kind("2021-W53")
    assert periods.shift("2020-W52", 1) == "2020-W53"
    assert periods.shift("2020-W53", 1) == "2021-W01"
    assert periods.span("2020-W52", "2021-W02") == [
        "2020-W52", "2020-W53", "2021-W01", "2021-W02"]


@pytest.mark.parametrize(
    ("key", "kind", "first", "last"),
    [
        ("2022-10-16", "day", "2022-10-16", "2022-10-16"),
        ("2022-W41", "week", "2022-10-10", "2022-10-16"),
        ("2024-02", "month", "2024-02-01", "2024-02-29"),
        ("2022-Q4", "quarter", "2022-10-01", "2022-12-31"),
        ("2022", "year", "2022-01-01", "2022-12-31"),
    ],
)
def test_kinds_and_bounds(key: str, kind: str, first: str, last: str) -> None:
    assert periods.kind(key) == kind
    assert periods.date_bounds(key) == (date.fromisoformat(first), date.fromisoformat(last))


@pytest.mark.parametrize("bad", ["2022-13", "22", "2022-Q5", "2022-02-30", "last week", ""])
def test_bad_ids_say_what_to_write(bad: str) -> None:
    with pytest.raises(ValueError):
        periods.kind(bad)


def test_bucket_key_respects_date_precision() -> None:
    # A document dated only to a year has a year bucket and nothing finer: never smeared.
    assert periods.bucket_key("2022", "year", "year") == "2022"
    for bucket in ("quarter", "month", "week", "day"):
        assert periods.bucket_key("2022", "year", bucket) is None
    assert periods.bucket_key("2022-10", "month", "quarter") == "2022-Q4"
    assert periods.bucket_key("2022-10", "month", "month") == "2022-10"
    assert periods.bucket_key("2022-10", "month", "year") == "2022"
    assert periods.bucket_key("2022-10", "month", "week") is None
    assert periods.bucket_key("2022-10-16", "day", "quarter") == "2022-Q4"
    assert periods.bucket_key("2022-10-16", "day", "day") == "2022-10-16"
    assert periods.bucket_key(None, None, "year") is None


def test_shift_previous_and_span() -> None:
    assert periods.shift("2022-01", -1) == "2021-12"
    assert periods.shift("2022-Q1", -1) == "2021-Q4"
    assert periods.shift("2022-Q4", 1) == "2023-Q1"
    assert periods.shift("2022", -3) == "2019"
    assert periods.shift("2021-01-01", -1) == "2020-12-31"
    assert periods.previous("2022-02", 3) == ["2021-11", "2021-12", "2022-01"]
    assert periods.previous("2021-W01", 2) == ["2020-W52", "2020-W53"]
    assert periods.span("2021-11", "2022-02") == ["2021-11", "2021-12", "2022-01", "2022-02"]
    assert periods.span("2022", "2022") == ["2022"]
    with pytest.raises(ValueError, match="different kinds"):
        periods.span("2022", "2022-01")


def test_last_complete_period() -> None:
    today = date(2026, 11, 25)  # a Wednesday in 2026-W48
    assert periods.last_complete("week", today) == "2026-W47"
    assert periods.last_complete("month", today) == "2026-10"
    assert periods.last_complete("quarter", today) == "2026-Q3"
    assert periods.last_complete("year", today) == "2025"
    assert periods.last_complete("week", date(2021, 1, 6)) == "2020-W53"


def test_labels_and_midpoints() -> None:
    assert periods.label("2022-10") == "Oct 2022"
    assert periods.label("2020-W53") == "week 53 of 2020 (28 Dec-3 Jan 2021)"
    assert periods.label("2022-Q4") == "Q4 2022 (Oct-Dec)"
    assert periods.midpoint("2022-01") == date(2022, 1, 16)
