from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.documents import Document
from monitor.lexicon import lexicon_from_dict
from monitor.store import Database
from monitor.tally import tally_documents
from monitor.trends import CountQuery, TrendQuery, read_counts, trend

LEX = {"categories": {"hard_power": {"military": ["militar*"], "core": ["security"]},
                      "soft_power": ["culture"]}}


@pytest.fixture
def tallied(tmp_path):
    path = tmp_path / "m.db"
    with Database(path) as db:
        db.add_documents([
            Document("security security culture", "a", published="2020-12-31", precision="day"),
            Document("military security", "a", published="2021-01-04", precision="day"),
            Document("culture militarism", "b", published="2021-01", precision="month"),
            Document("security", "b", published="2021", precision="year"),
            Document("security culture", "b"),
        ])
        tally_documents(db, [lexicon_from_dict(LEX, "power")], workers=1)
        yield db, path


def test_totals_per_term_and_category_with_subcategories(tallied):
    db, _ = tallied
    rows, notes = read_counts(db, CountQuery(names=("hard_power",)))
    got = {(r["category"], r["term"]): (r["count"], r["docs"]) for r in rows}
    assert got == {("hard_power/core", "security"): (5, 4),
                   ("hard_power/military", "militar*"): (2, 2)}
    assert notes == []


def test_by_week_leaves_out_coarse_and_undated_documents(tallied):
    db, _ = tallied
    rows, notes = read_counts(db, CountQuery(names=("security",), by="week"))
    assert [(r["period"], r["count"]) for r in rows] == [("2020-W53", 2), ("2021-W01", 1)]
    assert notes == [
        "2 documents left out (1 dated only to the month, 1 dated only to the year): a week"
        " bucket needs dates to the day; a coarser --by counts them",
        "1 undated document left out",
    ]
    yearly, _ = read_counts(db, CountQuery(names=("security",), by="year"))
    assert [(r["period"], r["count"]) for r in yearly] == [("2020", 2), ("2021", 2)]


def test_filters_source_since_until(tallied):
    db, _ = tallied
    rows, notes = read_counts(db, CountQuery(sources=("b",), since="2021", until="2021-01",
                                             by="document"))
    assert {(r["published"], r["term"]) for r in rows} == {
        ("2021-01", "culture"), ("2021-01", "militar*")}
    assert list(rows[0]) == ["document_id", "published", "precision", "source", "title",
                             "lexicon", "category", "term", "count", "word_count"]
    assert notes == [
        "1 undated document left out",
        "1 document left out: dated too coarsely to tell whether they fall within"
        " --since/--until",
    ]
    with pytest.raises(ValueError, match="is not a period"):
        read_counts(db, CountQuery(since="last year"))


def test_cli_formats(tallied):
    _, path = tallied
    runner = CliRunner()
    out = runner.invoke(main, ["--db", str(path), "counts", "culture", "--by", "month",
                               "--format", "csv"])
    assert out.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [(r["period"], r["count"]) for r in rows] == [("2020-12", "1"), ("2021-01", "1")]
    assert "left out" in out.stderr
    js = runner.invoke(main, ["--db", str(path), "counts", "--format", "json"])
    assert {r["term"] for r in json.loads(js.stdout)} == {"security", "militar*", "culture"}
    table = runner.invoke(main, ["--db", str(path), "counts", "security"])
    assert table.stdout.splitlines()[0].split() == [
        "period", "lexicon", "category", "term", "count", "docs", "total_docs"]
    bad = runner.invoke(main, ["--db", str(path), "counts", "--since", "soon"])
    assert bad.exit_code == 2 and "not a period" in bad.stderr


def test_week_and_quarter_bounds_are_periods_like_trend(tallied):
    db, path = tallied
    rows, _ = read_counts(db, CountQuery(names=("security",), by="week",
                                         since="2020-W53", until="2021-W01"))
    assert [(r["period"], r["count"], r["docs"]) for r in rows] == [
        ("2020-W53", 2, 1), ("2021-W01", 1, 1)]
    total, _ = read_counts(db, CountQuery(since="2020-W53", until="2020-W53"))
    assert {(r["period"], r["term"], r["count"]) for r in total} == {
        ("all", "security", 2), ("all", "culture", 1)}
    query = CountQuery(names=("hard_power",), by="quarter", since="2020-Q4", until="2021-Q1")
    rows, notes = read_counts(db, query)
    assert [(r["period"], r["term"], r["count"], r["docs"]) for r in rows] == [
        ("2020-Q4", "security", 2, 1), ("2020-Q4", "militar*", 0, 0),
        ("2021-Q1", "security", 1, 1), ("2021-Q1", "militar*", 2, 2)]
    assert any("1 dated only to the year" in note for note in notes)
    same = trend(db, TrendQuery(["hard_power"], bucket="quarter", measure="docs",
                                since="2020-Q4", until="2021-Q1"))
    assert {r.period for r in same.rows if r.docs} == {r["period"] for r in rows}
    out = CliRunner().invoke(main, ["--db", str(path), "counts", "--since", "2020-Q4",
                                    "--until", "2021-Q1", "--by", "quarter", "--format", "csv"])
    assert out.exit_code == 0
    assert {r["period"] for r in csv.DictReader(io.StringIO(out.stdout))} == {
        "2020-Q4", "2021-Q1"}


def test_a_year_dated_document_is_left_out_of_month_bounds_either_way(tallied):
    db, path = tallied
    out_of_range = ("1 document left out: dated too coarsely to tell whether they fall"
                    " within --since/--until")
    rows, notes = read_counts(db, CountQuery(names=("security",), by="year", until="2021-06"))
    assert [(r["period"], r["count"], r["docs"]) for r in rows] == [
        ("2020", 2, 1), ("2021", 1, 1)]
    assert out_of_range in notes
    rows, notes = read_counts(db, CountQuery(names=("security",), by="year", since="2021-06"))
    assert rows == []
    assert out_of_range in notes
    for bound in ("--since", "--until"):
        for by in ("document", "total", "year"):
            out = CliRunner().invoke(main, ["--db", str(path), "counts", "security",
                                            bound, "2021-06", "--by", by, "--format", "json"])
            assert out.exit_code == 0
            assert all(r.get("published") != "2021" for r in json.loads(out.stdout))
            assert f"note: {out_of_range}" in out.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["hard_powr"], "unknown series 'hard_powr'"),
    (["--source", "nope"], "unknown source 'nope'"),
    (["security", "--source", "a", "--source", "nope"], "unknown source 'nope'"),
    (["--lexicon", "nope"], "unknown lexicon 'nope'"),
    (["security", "--lexicon", "nope"], "unknown lexicon 'nope'"),
    (["--until", "2021-W54"], "not a valid week"),
])
def test_unknown_names_sources_lexicons_and_bad_dates_are_usage_errors(tallied, args, message):
    db, path = tallied
    out = CliRunner().invoke(main, ["--db", str(path), "counts", *args])
    assert out.exit_code == 2
    assert out.stdout == ""
    errors = [line for line in out.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0]


def test_lexicon_prefixed_names_and_ambiguous_names(tallied):
    db, path = tallied
    tally_documents(db, [lexicon_from_dict({"categories": {"defence": ["security"]}}, "other")],
                    workers=1)

    def got(query):
        rows, _ = read_counts(db, query)
        return {(r["lexicon"], r["category"], r["term"], r["count"]) for r in rows}

    power = {("power", "hard_power/core", "security", 5)}
    assert got(CountQuery(names=("power:security",))) == power
    assert got(CountQuery(names=("SECURITY",), lexicon="power")) == power
    assert got(CountQuery(names=("other:security",))) == {("other", "defence", "security", 5)}
    assert got(CountQuery(names=("security",), lexicon="other")) == {
        ("other", "defence", "security", 5)}
    assert got(CountQuery(names=("power:hard_power",))) == got(
        CountQuery(names=("hard_power",))) == power | {
        ("power", "hard_power/military", "militar*", 2)}
    assert got(CountQuery(names=("power:culture", "other:defence"))) == {
        ("power", "soft_power", "culture", 3), ("other", "defence", "security", 5)}
    assert {lexicon for lexicon, *_ in got(CountQuery(lexicon="other"))} == {"other"}
    runner = CliRunner()
    out = runner.invoke(main, ["--db", str(path), "counts", "other:security", "--by", "year",
                               "--format", "csv"])
    assert out.exit_code == 0
    assert {(r["period"], r["lexicon"], r["count"]) for r in
            csv.DictReader(io.StringIO(out.stdout))} == {("2020", "other", "2"),
                                                          ("2021", "other", "2")}
    for args, message in ((["security"], "ambiguous"),
                          (["power:security", "--lexicon", "other"], "--lexicon is 'other'")):
        bad = runner.invoke(main, ["--db", str(path), "counts", *args])
        assert bad.exit_code == 2 and message in bad.stderr
