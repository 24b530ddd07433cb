"""Trend measures against answers worked out by hand from tests/fixtures_corpus.py."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest
from click.testing import CliRunner
from fixtures_corpus import corpus_db  # noqa: F401 - the db fixture

from monitor.cli import main
from monitor.trends import CSV_COLUMNS, TrendQuery, trend, wilson

Z = 1.6448536269514722


def rows_by_period(result, series: str, source: str = "all") -> dict:
    return {r.period: r for r in result.select(series, source)}


def test_wilson_interval_matches_known_values() -> None:
    # 3 of 10 at 90%: (0.1269, 0.5583), as published Wilson tables give.
    low, high = wilson(3, 10)
    assert (round(low, 4), round(high, 4)) == (0.1269, 0.5583)
    # 0 of 1: upper bound z^2 / (1 + z^2).
    assert wilson(0, 1) == (0.0, pytest.approx(Z**2 / (1 + Z**2)))
    assert wilson(0, 0) == (None, None)
    # Independent check: the bounds solve (p_hat - p)^2 = z^2 p (1 - p) / n.
    k, n = 3, 5
    a, b, c = 1 + Z**2 / n, -(2 * k / n + Z**2 / n), (k / n) ** 2
    roots = sorted(((-b - math.sqrt(b * b - 4 * a * c)) / (2 * a),
                    (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)))
    assert wilson(k, n) == (pytest.approx(roots[0]), pytest.approx(roots[1]))


def test_every_measure_by_year(db) -> None:
    result = trend(db, TrendQuery(["hard_power"], bucket="year", measure="share"))
    assert result.periods == ["2020", "2021", "2022", "2023"]
    rows = rows_by_period(result, "hard_power")
    # 2020: doc 1 (100 words) has military 2 + security 1; powerhouse is NOT hard_power.
    r = rows["2020"]
    assert (r.count, r.docs, r.total_docs, r.words) == (3, 1, 1, 100)
    assert r.share == 1.0 and r.per10k == pytest.approx(300.0)
    # 2021: tallied docs 2, 3, 4, 5, 8 (900 words; doc 7 is not tallied); mentions in
    # doc 3 (military 1), doc 4 (security 4), doc 8 (militar* 2).
    r = rows["2021"]
    assert (r.count, r.docs, r.total_docs, r.words) == (7, 3, 5, 900)
    assert r.share == pytest.approx(0.6)
    assert (r.share_low, r.share_high) == pytest.approx(wilson(3, 5))
    assert r.per10k == pytest.approx(7 * 10_000 / 900)
    # 2022 has no documents: no count (not 0), no rate or interval (nothing to divide by)
    r = rows["2022"]
    assert (r.count, r.docs, r.total_docs, r.words) == (None, None, 0, 0)
    assert r.share is None and r.per10k is None
    assert r.share_low is None and r.share_high is None
    assert (rows["2023"].count, rows["2023"].total_docs) == (0, 1)
    assert result.excluded == {"undated": 1, "coarse": 0, "range": 0}
    assert any("undated" in note for note in result.notes)
    assert result.documents == 7


def test_categories_sum_their_subcategories_and_terms(db) -> None:
    result = trend(db, TrendQuery(
        ["soft_power", "hard_power/military", "militar*", "power:security"], bucket="year"))
    soft = rows_by_period(result, "soft_power")["2021"]
    assert (soft.count, soft.docs) == (5, 3)  # culture 3 + 1, exchange 1 (direct member)
    military = rows_by_period(result, "hard_power/military")["2021"]
    assert (military.count, military.docs) == (3, 2)
    assert rows_by_period(result, "militar*")["2021"].count == 2
    assert rows_by_period(result, "power:security")["2021"].count == 4
    prefix = trend(db, TrendQuery(["hard_powerhouse"], bucket="year"))
    assert rows_by_period(prefix, "hard_powerhouse")["2020"].count == 7


def test_denominators_are_per_lexicon(db) -> None:
    # econ is tallied for docs 1 and 2 only: one document per year.
    result = trend(db, TrendQuery(["econ:growth"], bucket="year"))
    rows = rows_by_period(result, "econ:growth")
    assert result.periods == ["2020", "2021"]
    assert (rows["2020"].docs, rows["2020"].total_docs, rows["2020"].share) == (1, 1, 1.0)
    assert (rows["2021"].docs, rows["2021"].total_docs, rows["2021"].words) == (0, 1, 200)


def test_month_buckets_leave_year_dated_documents_out_with_a_note(db) -> None:
    result = trend(db, TrendQuery(["hard_power"], bucket="month", measure="per10k"))
    assert result.periods[0] == "2020-12" and result.periods[-1] == "2023-03"
    assert len(result.periods) == 28
    rows = rows_by_period(result, "hard_power")
    r = rows["2021-01"]  # docs 2 and 3; doc 4 ('2021') is not smeared into January
    assert (r.count, r.docs, r.total_docs, r.words) == (1, 1, 2, 300)
    assert r.per10k == pytest.approx(1 * 10_000 / 300)
    assert rows["2021-03"].total_docs == 0  # doc 7 is not tallied: an empty bucket
    assert rows["2021-06"].per10k == pytest.approx(100.0)
    assert result.excluded == {"undated": 1, "coarse": 1, "range": 0}
    assert any("1 dated only to the year" in note for note in result.notes)
    # The same document counts once buckets are as coarse as its date.
    yearly = trend(db, TrendQuery(["power:security"], bucket="year"))
    assert rows_by_period(yearly, "power:security")["2021"].count == 4


def test_iso_weeks_and_quarters(db) -> None:
    weekly = trend(db, TrendQuery(["hard_power"], bucket="week", measure="count"))
    rows = rows_by_period(weekly, "hard_power")
    # 2020-12-31 and 2021-01-03 are both in 2020-W53; 2021-01-04 starts 2021-W01.
    assert (rows["2020-W53"].total_docs, rows["2020-W53"].count) == (2, 3)
    assert (rows["2021-W01"].total_docs, rows["2021-W01"].count) == (1, 1)
    assert weekly.periods[:2] == ["2020-W53", "2021-W01"]
    assert weekly.excluded["coarse"] == 2  # doc 4 (year) and doc 5 (month)
    quarterly = trend(db, TrendQuery(["hard_power"], bucket="quarter", measure="docs"))
    rows = rows_by_period(quarterly, "hard_power")
    assert (rows["2020-Q4"].docs, rows["2021-Q1"].total_docs, rows["2021-Q2"].docs) == (1, 3, 1)


def test_by_source_rows_add_up_to_all(db) -> None:
    split = trend(db, TrendQuery(["hard_power"], bucket="year", by_source=True))
    assert split.groups == ["gov", "press"]
    gov, press = rows_by_period(split, "hard_power", "gov"), rows_by_period(
        split, "hard_power", "press")
    assert (gov["2021"].count, gov["2021"].docs, gov["2021"].total_docs) == (2, 1, 3)
    assert gov["2021"].share == pytest.approx(1 / 3)
    assert (press["2021"].count, press["2021"].docs, press["2021"].total_docs) == (5, 2, 2)
    whole = rows_by_period(trend(db, TrendQuery(["hard_power"], bucket="year")), "hard_power")
    for period, row in whole.items():
        for field in ("count", "docs", "total_docs", "words"):
            assert (getattr(gov[period], field) or 0) + (getattr(press[period], field) or 0) \
                == (getattr(row, field) or 0)


def test_filters(db) -> None:
    press = trend(db, TrendQuery(["hard_power"], bucket="year", sources=["press"]))
    assert press.periods == ["2021", "2022", "2023"] and press.sources == ["press"]
    assert rows_by_period(press, "hard_power")["2021"].total_docs == 2
    with pytest.raises(ValueError, match="unknown source 'nope'"):
        trend(db, TrendQuery(["hard_power"], sources=["nope"]))
    window = trend(db, TrendQuery(["hard_power"], bucket="month", since="2021-01",
                                  until="2021-06"))
    assert window.periods[0] == "2021-01" and window.periods[-1] == "2021-06"
    # Yearly from June 2021: doc 4 ('2021') may be before June, so it is left out, noted.
    late = trend(db, TrendQuery(["hard_power"], bucket="year", since="2021-06", until="2021"))
    assert late.periods == ["2021"]
    r = rows_by_period(late, "hard_power")["2021"]
    assert (r.total_docs, r.count) == (1, 2)  # doc 8 only
    assert late.excluded["range"] == 1
    scoped = trend(db, TrendQuery(["security"], lexicon="power", bucket="year"))
    assert rows_by_period(scoped, "security")["2021"].count == 4
    with pytest.raises(ValueError, match="--since 2022 is after --until 2021-06"):
        trend(db, TrendQuery(["hard_power"], since="2022", until="2021-06"))


def test_series_names_errors(db) -> None:
    with pytest.raises(ValueError, match="ambiguous.*econ:security.*power:security"):
        trend(db, TrendQuery(["security"]))
    with pytest.raises(ValueError, match="unknown series 'nothing'"):
        trend(db, TrendQuery(["nothing"]))
    with pytest.raises(ValueError, match="unknown lexicon"):
        trend(db, TrendQuery(["security"], lexicon="nope"))
    with pytest.raises(ValueError, match="measure 'foo'"):
        TrendQuery(["x"], measure="foo")
    assert trend(db, TrendQuery(["MILITARY"], bucket="year")).rows[0].count == 2


def test_ratio_on_the_chosen_measure(db) -> None:
    result = trend(db, TrendQuery([], bucket="year", measure="share",
                                  ratio=("hard_power", "soft_power")))
    assert result.series == ["hard_power/soft_power"]
    rows = rows_by_period(result, "hard_power/soft_power")
    assert rows["2021"].share == pytest.approx(0.6 / 0.6)
    assert rows["2021"].count == pytest.approx(7 / 5)
    assert rows["2020"].share is None  # soft_power share is 0 in 2020
    assert rows["2023"].share == 0.0
    # a ratio of shares is a plain number, not a percentage
    line = next(x for x in result.to_table().splitlines() if x.startswith("2021"))
    assert line.split()[-1] == "1" and "%" not in line


def test_smoothing_trailing_and_centred(db) -> None:
    # Raw yearly counts of hard_power: 2020..2023 = 3, 7, none (no documents), 0.
    trailing = trend(db, TrendQuery(["hard_power"], bucket="year", measure="count", smooth=2))
    assert trend_values(trailing) == pytest.approx([3, 5, 7, 0])
    assert [r.docs for r in trailing.rows] == [1, 3, None, 0]  # other columns stay raw
    centred = trend(db, TrendQuery(["hard_power"], bucket="year", measure="count", smooth=3,
                                   center=True))
    assert trend_values(centred) == pytest.approx([5, 5, 3.5, 0])
    share = trend(db, TrendQuery(["hard_power"], bucket="year", smooth=2))
    # 2022 has no tallied documents: its filled 0 is not averaged into a share.
    assert share.values("hard_power") == pytest.approx([1.0, 0.8, 0.6, 0.0])
    assert share.rows[1].share_low == pytest.approx((wilson(1, 1)[0] + wilson(3, 5)[0]) / 2)


def trend_values(result) -> list:
    return result.values(result.series[0])


def test_csv_and_json_round_trip(db) -> None:
    result = trend(db, TrendQuery(["hard_power", "soft_power"], bucket="year", by_source=True))
    text = result.to_csv()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == len(result.rows) == 2 * 2 * 4
    first = rows[0]
    assert first["period"] == "2020" and first["source"] == "gov"
    assert float(first["share"]) == result.rows[0].share
    data = json.loads(result.to_json())
    assert data["rows"][5]["per10k"] == result.rows[5].per10k
    assert data["excluded"]["undated"] == 1


def test_empty_trend(db) -> None:
    result = trend(db, TrendQuery(["hard_power"], since="2030"))
    assert result.is_empty and result.rows == [] and result.periods == []
    assert any("no tallied documents" in note for note in result.notes)


def test_cli_trend(db) -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["--db", str(db.path), "trend", "hard_power", "--bucket",
                               "month", "--format", "csv", "--since", "2021"])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert rows[0]["period"] == "2021-01" and rows[0]["source"] == "all"
    assert "dated only to the year" in out.stderr
    table = runner.invoke(main, ["--db", str(db.path), "trend", "hard_power", "--ratio",
                                 "hard_power", "soft_power"])
    assert "hard_power/soft_power" in table.stdout and "90% CI" in table.stdout
    bad = runner.invoke(main, ["--db", str(db.path), "trend", "security"])
    assert bad.exit_code == 2 and "ambiguous" in bad.stderr
