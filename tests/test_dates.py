from __future__ import annotations

import pytest

from monitor.dates import format_date, is_blank, parse_date


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # year precision: never invented to a month or day
        (2022, ("2022", "year")),
        (2022.0, ("2022", "year")),
        ("2022", ("2022", "year")),
        (" 1946 ", ("1946", "year")),
        ("2022年", ("2022", "year")),
        # month precision
        ("2022-10", ("2022-10", "month")),
        ("2022/1", ("2022-01", "month")),
        ("October 2022", ("2022-10", "month")),
        ("Oct. 2022", ("2022-10", "month")),
        ("sept 2022", ("2022-09", "month")),
        ("2022年10月", ("2022-10", "month")),
        ("２０２２年１０月", ("2022-10", "month")),  # full-width digits
        # day precision
        ("2022-10-16", ("2022-10-16", "day")),
        ("2022/10/16", ("2022-10-16", "day")),
        ("20221016", ("2022-10-16", "day")),
        ("2022-10-16T14:38:10Z", ("2022-10-16", "day")),
        ("2022-10-16T23:30:00-05:00", ("2022-10-16", "day")),  # the date as written
        ("2018-09-18 14:38:10", ("2018-09-18", "day")),
        ("2022-10-16T14:38:10.123+08:00", ("2022-10-16", "day")),
        ("Sun, 16 Oct 2022 19:42:40 -0300", ("2022-10-16", "day")),
        ("Mon, 24 Sep 2018 19:42:40 GMT", ("2018-09-24", "day")),
        ("16 October 2022", ("2022-10-16", "day")),
        ("16th October 2022", ("2022-10-16", "day")),
        ("Sunday, 16 October 2022", ("2022-10-16", "day")),
        ("October 16, 2022", ("2022-10-16", "day")),
        ("Oct 16 2022", ("2022-10-16", "day")),
        ("2022年10月16日", ("2022-10-16", "day")),
        ("2022 年 3 月 5 日", ("2022-03-05", "day")),
        ("D:20221016093000+02'00'", ("2022-10-16", "day")),  # PDF
        ("2024-02-29", ("2024-02-29", "day")),
    ],
)
def test_parse_date_keeps_the_precision_of_the_source(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    ["next Tuesday", "2022-13", "2022-02-30", "2023-02-29", "32 October 2022", "Octember 2022",
     "2022-10T10:00", "20222", "hello 2022", 22, 12345, True, [2022], "Seg, 24 Set 2018"],
)
def test_unparseable_dates_are_none(value):
    assert parse_date(value) is None


@pytest.mark.parametrize("value", [None, "", "   "])
def test_blank_values_are_none_and_blank(value):
    assert parse_date(value) is None
    assert is_blank(value)


def test_a_bad_date_is_not_blank():
    assert not is_blank("next Tuesday")
    assert not is_blank(0)


def test_format_date():
    assert format_date("2022-10-16", "day") == "2022-10-16"
    assert format_date("2022", "year") == "2022 (year)"
    assert format_date(None, None) == "undated"
