from __future__ import annotations

import sqlite3

import pytest

from monitor.documents import Document
from monitor.store import SCHEMA_VERSION, Database, SchemaError


def doc(text: str, **kw) -> Document:
    return Document(text=text, source=kw.pop("source", "speeches"), **kw)


def test_new_file_is_migrated_and_in_wal_mode(tmp_path):
    path = tmp_path / "sub" / "m.db"
    with Database(path) as db:
        assert db.schema_version == SCHEMA_VERSION
        assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in db.conn.execute("SELECT name FROM sqlite_master")}
    assert {"sources", "documents", "documents_fts", "lexicons", "terms", "counts",
            "tallied", "runs", "term_counts", "documents_view"} <= tables
    with Database(path) as again:  # reopening applies nothing twice
        assert again.schema_version == SCHEMA_VERSION


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "m.db"
    Database(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaError, match="newer than this tool"):
        Database(path)


def test_documents_dedupe_on_external_id_and_content(db):
    first = db.add_documents([
        doc("We seek security.", external_id="a", published="2022", precision="year"),
        doc("Culture attracts.", external_id="b"),
    ])
    assert (first.added, first.skipped) == (2, 0)
    again = db.add_documents([
        doc("Edited text, same id.", external_id="a"),
        doc("Culture   attracts.", external_id="c"),  # same words, re-wrapped
        doc("Culture attracts.", source="other"),
    ])
    assert (again.added, again.skipped) == (0, 3)
    assert db.document_count() == 2


def test_word_count_and_normalisation_are_stored(db):
    db.add_documents([doc("\ufeffChina\u2019s   rise\r\n安全 security")])
    text, words = db.conn.execute("SELECT text, word_count FROM documents").fetchone()
    assert text == "China\u2019s   rise\n安全 security"
    assert words == 5


def test_bad_document_rolls_back_the_whole_batch(db):
    db.add_documents([doc("kept before", external_id="k")])
    with pytest.raises(ValueError, match="x.txt: date '2022-10' does not match precision 'year'"):
        db.add_documents([
            doc("would be stored", external_id="n"),
            doc("bad date", published="2022-10", precision="year", origin="x.txt"),
        ])
    assert [r[0] for r in db.conn.execute("SELECT external_id FROM documents")] == ["k"]
    with pytest.raises(ValueError, match="empty text"):
        db.add_documents([doc("  \n ")])


def test_full_text_search_follows_inserts_updates_and_deletes(db):
    db.add_documents([doc("Wolf warrior diplomacy", title="Style"), doc("True multilateralism")])
    def hits(q):
        return db.conn.execute(
            "SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?", (q,)).fetchall()
    assert len(hits("warrior")) == 1
    with db.transaction() as conn:
        conn.execute("UPDATE documents SET text = 'Panda diplomacy' WHERE title = 'Style'")
    assert hits("warrior") == [] and len(hits("panda")) == 1
    with db.transaction() as conn:
        conn.execute("DELETE FROM documents WHERE title = 'Style'")
    assert hits("panda") == []


def test_sources_summary_counts_undated(db):
    db.add_documents([doc("one", published="1990-05-01", precision="day"), doc("two")])
    (row,) = db.sources()
    assert (row["name"], row["documents"], row["undated"], row["first"]) == (
        "speeches", 2, 1, "1990-05-01")


def test_run_log(db):
    run = db.start_run("ingest x")
    db.finish_run(run, added=3, failed=1, message="x.bin: binary file")
    status, added, failed = db.conn.execute(
        "SELECT status, added, failed FROM runs WHERE id = ?", (run,)).fetchone()
    assert (status, added, failed) == ("failed", 3, 1)
