"""Full-text search: found by sqlite-utils and Datasette, and exact for Chinese words."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from shared_corpora import corpus_path

from monitor.documents import Document
from monitor.store import Database, cjk_pairs, fts_query
from monitor.store.database import _split_sql
from monitor.store.schema import CJK_SEARCH, MIGRATIONS

WORDS = ["安全", "国家安全", "发展", "一带一路", "党", "风险", "改革开放", "中国特色社会主义"]


def hits(db: Database, match: str) -> set[int]:
    return {r[0] for r in db.conn.execute(
        "SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?", (match,))}


def containing(db: Database, word: str) -> set[int]:
    return {r[0] for r in db.conn.execute(
        "SELECT id FROM documents WHERE instr(text, ?) OR instr(coalesce(title, ''), ?)",
        (word, word))}


def report_documents() -> list[Document]:
    path = corpus_path("zh/government_work_reports.jsonl")
    docs = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            year = row.get("year")
            docs.append(Document(text=row["content"], title=row["title"], source="gwr",
                                 external_id=row["url"], language="zh",
                                 published=str(year) if year else None,
                                 precision="year" if year else None))
    return docs


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("search") / "zh.db"
    with Database(path) as db:
        db.add_documents(report_documents())
        db.add_documents([Document(text="National security and the Belt and Road.",
                                   title="English", source="speeches")])
    return path


def test_pairs_and_queries() -> None:
    assert cjk_pairs(None, "No Chinese here.") is None
    assert cjk_pairs("标题", "2022年安全，a安b").split() == [
        "标题", "题", "2022", "年安", "安全", "全", "，a", "安", "b"]
    assert fts_query("安全") == '"安全"'
    assert fts_query("安全生产 policy") == '"安全 全生 生产" "policy"'
    assert fts_query("党") == '"党" *'
    assert fts_query('"国家 安全" "soviet threat') == '"国家 家安 安全" "soviet threat"'
    assert fts_query('"') == fts_query("  ") == '""'  # matches nothing, not a syntax error


def test_odd_search_box_input_matches_or_finds_nothing_never_an_error(db) -> None:
    db.add_documents([Document(text="国家安全 and national security", source="s")])
    for query in ['"', " ", "-", "AND", "NEAR(a b)", "*", "安全*", 'he"llo', "。", "x:y",
                  "^a", "(", "安全 OR"]:
        hits(db, fts_query(query))
    assert len(hits(db, fts_query("AND"))) == 1 and not hits(db, fts_query("NEAR(a b)"))


@pytest.mark.corpus
def test_chinese_words_find_exactly_the_documents_that_hold_them(reports) -> None:
    with Database(reports) as db:
        for word in WORDS:
            expected = containing(db, word)
            assert expected, word
            assert hits(db, fts_query(word)) == expected, word
        # a two-character word needs no help: the raw query and Datasette's escaping work
        from datasette.utils import escape_fts

        anquan = containing(db, "安全")
        assert hits(db, "安全") == hits(db, escape_fts("安全")) == anquan
        assert len(anquan) > 50 and hits(db, fts_query("security")) == containing(
            db, "security")
        # documents without CJK text store nothing twice
        assert db.conn.execute("SELECT count(*) FROM documents WHERE cjk IS NULL"
                               ).fetchone()[0] == 1
        db.conn.execute("INSERT INTO documents_fts(documents_fts, rank)"
                        " VALUES ('integrity-check', 1)")


@pytest.mark.corpus
def test_sqlite_utils_and_datasette_detect_and_use_the_index(reports) -> None:
    import sqlite_utils
    from datasette.utils import detect_fts

    plain = sqlite_utils.Database(reports)
    assert plain["documents"].detect_fts() == "documents_fts"
    with sqlite3.connect(reports) as conn:
        assert detect_fts(conn, "documents") == "documents_fts"
        expected = {r[0] for r in conn.execute(
            "SELECT id FROM documents WHERE instr(text, '安全') OR instr(title, '安全')")}
    found = subprocess.run(
        [sys.executable, "-m", "sqlite_utils", "search", str(reports), "documents", "安全",
         "-c", "id", "--limit", "1000", "--json-cols"],
        capture_output=True, text=True, check=True)
    assert {r["id"] for r in json.loads(found.stdout)} == expected
    english = subprocess.run(
        [sys.executable, "-m", "sqlite_utils", "search", str(reports), "documents",
         "belt road", "-c", "title"], capture_output=True, text=True, check=True)
    assert json.loads(english.stdout) == [{"title": "English"}]


def test_updates_and_deletes_keep_the_index_in_step(db) -> None:
    db.add_documents([Document(text="维护国家安全。", title="一", source="s"),
                      Document(text="Wolf warrior", title="二", source="s")])
    assert len(hits(db, fts_query("国家安全"))) == 1
    with db.transaction() as conn:
        text = "坚持和平发展。"
        conn.execute("UPDATE documents SET text = ?, cjk = ? WHERE title = '一'",
                     (text, cjk_pairs("一", text)))
    assert hits(db, fts_query("国家安全")) == set() and len(hits(db, fts_query("和平"))) == 1
    with db.transaction() as conn:
        conn.execute("DELETE FROM documents WHERE title = '一'")
    assert hits(db, fts_query("和平")) == set() and len(hits(db, "warrior")) == 1
    db.conn.execute("INSERT INTO documents_fts(documents_fts, rank) VALUES ('integrity-check', 1)")


def test_an_older_database_gets_the_new_index_with_its_chinese_documents(tmp_path) -> None:
    """A file of the schema before this index: its documents become searchable in Chinese."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    before = MIGRATIONS.index(CJK_SEARCH)
    for number in range(before):
        for statement in _split_sql(MIGRATIONS[number]):
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {before}")
    conn.execute("INSERT INTO sources (id, name, added) VALUES (1, 's', '2026')")
    for i, text in enumerate(["坚持总体国家安全观。", "Security first.", "发展是第一要务。"]):
        conn.execute("INSERT INTO documents (id, source_id, title, ingested_at, word_count,"
                     " content_hash, text) VALUES (?, 1, ?, '2026', 1, ?, ?)",
                     (i + 1, f"t{i}", str(i), text))
        conn.execute("INSERT INTO documents_fts (rowid, title, text) VALUES (?, ?, ?)",
                     (i + 1, f"t{i}", text))
    conn.close()
    with Database(path) as db:
        assert hits(db, "安全") == {1} and hits(db, fts_query("发展")) == {3}
        assert hits(db, "security") == {2}
        assert db.sqlite_utils["documents"].detect_fts() == "documents_fts"
        db.conn.execute("INSERT INTO documents_fts(documents_fts, rank)"
                        " VALUES ('integrity-check', 1)")


@pytest.mark.corpus
def test_the_web_views_search_box_finds_longer_chinese_words(reports) -> None:
    from web_client import Client

    from monitor.web import make_datasette

    client = Client(make_datasette(reports))
    try:
        with Database(reports) as db:
            expected = {w: len(containing(db, w)) for w in ("国家安全", "党", "security")}
        for word, count in expected.items():
            page = client.get(f"/zh/documents.json?_search={word}&_nocol=text&_size=0")
            assert page.json()["filtered_table_rows_count"] == count, word
    finally:
        client.close()


def readme_commands(section: str) -> list[list[str]]:
    """The sqlite-utils and datasette commands of a README section, continuation lines joined."""
    import re
    import shlex

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    text = readme.split(f"### {section}\n", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for command in re.split(r"\n(?=\S)", block.strip()):
            commands.append(shlex.split(command, comments=True))
    return commands


def test_the_readmes_search_and_datasette_commands_work_as_written(web_demo, tmp_path) -> None:
    import shutil

    (tmp_path / "db").mkdir()
    shutil.copy(web_demo[0], tmp_path / "db" / "monitor.db")
    bin_dir = Path(sys.executable).parent
    outputs = []
    commands = readme_commands("Full-text search") + readme_commands("Datasette, with facets")
    assert len(commands) == 6
    for argv in commands:
        if "db/zh.db" in argv:  # Chinese search is tested on the work reports above
            continue
        if argv[0] == "datasette" and "--get" not in argv:
            continue  # serves until stopped
        done = subprocess.run([str(bin_dir / argv[0]), *argv[1:]], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and not done.stderr.strip(), (argv, done.stderr)
        outputs.append(done.stdout)
    search, csv, _, facets = outputs
    assert len(search.strip().splitlines()) == 7 and "annual message" in search  # head, rule, 5
    lines = csv.strip().splitlines()
    assert lines[0] == "id,title,published" and len(lines) == 6
    results = json.loads(facets)["facet_results"]
    assert {r["value"] for r in results["party"]["results"]} >= {"Republican", "Democratic"}
    assert results["language"]["results"][0] == {**results["language"]["results"][0],
                                                 "value": "en", "count": 249}


@pytest.mark.corpus
def test_plain_datasette_with_the_tools_plugin_finds_longer_words(reports) -> None:
    from importlib.metadata import entry_points

    if "rhetoric_monitor" not in {e.name for e in entry_points(group="datasette")}:
        pytest.skip("the datasette entry point is not installed: pip install -e '.[test]'")
    with Database(reports) as db:
        expected = len(containing(db, "国家安全"))
    found = subprocess.run(
        [str(Path(sys.executable).parent / "datasette"), str(reports), "--get",
         "/zh/documents.json?_search=国家安全&_size=0&_nocol=text&_nocol=cjk"],
        capture_output=True, text=True, check=True, timeout=120)
    assert json.loads(found.stdout)["filtered_table_rows_count"] == expected > 0
