from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.counts import CountQuery, read_counts
from monitor.documents import Document
from monitor.lexicon import lexicon_from_dict
from monitor.store import Database
from monitor.tally import tally_documents

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
    assert notes == ["2 documents left out: undated or dated less precisely than a week"]
    yearly, _ = read_counts(db, CountQuery(names=("security",), by="year"))
    assert [(r["period"], r["count"]) for r in yearly] == [("2020", 2), ("2021", 2)]


def test_filters_source_since_until(tallied):
    db, _ = tallied
    rows, _ = read_counts(db, CountQuery(sources=("b",), since="2021", until="2021-01",
                                         by="document"))
    assert {(r["published"], r["term"]) for r in rows} == {
        ("2021-01", "culture"), ("2021-01", "militar*"), ("2021", "security")}
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
        "period", "lexicon", "category", "term", "count", "docs"]
    bad = runner.invoke(main, ["--db", str(path), "counts", "--since", "soon"])
    assert bad.exit_code == 2 and "not a period" in bad.stderr
