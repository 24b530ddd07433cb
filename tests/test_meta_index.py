"""Meta fields get expression indexes, and --where country=X reads them (same answers)."""

from __future__ import annotations

import sqlite3

from monitor.documents import Document
from monitor.lexicon import lexicon_from_dict
from monitor.store import Database
from monitor.store.database import _split_sql
from monitor.store.fields import MAX_INDEXES, ensure_meta_indexes, indexed_keys
from monitor.store.schema import META_INDEXES, MIGRATIONS
from monitor.tally import tally_documents
from monitor.trends import TrendQuery, parse_where, trend, where_sql

COUNTRIES = ["CHN", "USA", "RUS", "FRA"]


def speeches() -> list[Document]:
    return [Document(
        text=f"Speech {i}: security and development." + " security" * (i % 3),
        source="un", language="en", published=str(2000 + i % 5), precision="year",
        meta={"country": COUNTRIES[i % 4], "session": 55 + i % 5, "tags": ["a", "b"],
              "summary": "long " * 30, "odd key": "x"})
        for i in range(40)]


def rows(db: Database, *where: str) -> list[tuple]:
    result = trend(db, TrendQuery(["en:security"], measure="count", where=list(where)))
    return [(r.period, r.count, r.docs, r.total_docs) for r in result.rows]


def test_short_scalar_keys_are_indexed_and_filters_use_them(tmp_path) -> None:
    lexicon = lexicon_from_dict({"categories": {"hard": ["security"]}}, "en")
    with Database(tmp_path / "m.db") as db:
        db.add_documents(speeches())
        assert indexed_keys(db.conn) == {"country", "session"}  # not lists, long text, spaces
        tally_documents(db, [lexicon], workers=1)
        condition, args = where_sql([parse_where("country in CHN,USA")])
        plan = " ".join(r[3] for r in db.conn.execute(
            "EXPLAIN QUERY PLAN SELECT d.id FROM documents d JOIN sources s"
            f" ON s.id = d.source_id WHERE 1{condition}", args))
        assert "documents_meta_country" in plan
        filters = [("country=CHN",), ("country in CHN,USA",), ("session=57",),
                   ("country != CHN",), ("country=CHN", "session in 55,56")]
        indexed = {f: rows(db, *f) for f in filters}
        assert indexed[("country=CHN",)] and indexed[("session=57",)]
        for key in ("country", "session"):
            db.conn.execute(f'DROP INDEX "documents_meta_{key}"')
        assert {f: rows(db, *f) for f in filters} == indexed  # a scan gives the same
        # the whole corpus = CHN + the others
        chn, rest = rows(db, "country=CHN"), rows(db, "country != CHN")
        assert [a[3] + b[3] for a, b in zip(chn, rest, strict=True)] == [8] * 5


def test_at_most_max_indexes_keys(tmp_path) -> None:
    with Database(tmp_path / "m.db") as db:
        made = ensure_meta_indexes(db.conn, [f"k{i}" for i in range(MAX_INDEXES + 5)])
        assert len(made) == MAX_INDEXES == len(indexed_keys(db.conn))
        assert ensure_meta_indexes(db.conn, ["more"]) == []


def test_an_older_database_gets_indexes_for_its_stored_keys(tmp_path) -> None:
    path = tmp_path / "old.db"
    with Database(path) as db:
        db.add_documents(speeches())
    conn = sqlite3.connect(path, isolation_level=None)
    for key in indexed_keys(conn):
        conn.execute(f'DROP INDEX "documents_meta_{key}"')
    before = MIGRATIONS.index(META_INDEXES)
    conn.execute(f"PRAGMA user_version = {before}")
    conn.close()
    assert _split_sql(META_INDEXES)
    with Database(path) as db:
        assert indexed_keys(db.conn) == {"country", "session"}


def test_an_older_database_gets_languages_and_loses_tallies_not_its_lexicons(tmp_path) -> None:
    """Documents stored before detection: security_zh no longer counts English speeches."""
    from monitor.lexicon import resolve_lexicon
    from monitor.store.schema import STORED_LANGUAGES

    path = tmp_path / "old.db"
    english = ["We must defend national security and promote development for all nations."
               f" Speech number {i} of the general debate, on peace and cooperation." for i in
               range(3)]
    chinese = [f"第{i}篇。我们要坚持总体国家安全观，统筹发展和安全，维护国家安全和社会稳定。"
               for i in range(2)]
    with Database(path) as db:
        db.add_documents([Document(text=t, source="s", published="2020", precision="year")
                          for t in english + chinese])
        db.conn.execute("UPDATE documents SET language = NULL")  # as before detection
        tally_documents(db, [resolve_lexicon("security_zh")], workers=1)
        before = trend(db, TrendQuery(["security_zh:国家安全"], measure="count")).rows
        assert [(r.count, r.total_docs) for r in before] == [(4, 5)]
        db.conn.execute(f"PRAGMA user_version = {MIGRATIONS.index(STORED_LANGUAGES)}")
    with Database(path) as db:
        languages = [r[0] for r in db.conn.execute("SELECT language FROM documents ORDER BY id")]
        assert languages == ["en"] * 3 + ["zh"] * 2
        after = trend(db, TrendQuery(["security_zh:国家安全"], measure="count")).rows
        assert [(r.count, r.total_docs) for r in after] == [(4, 2)]
        assert tally_documents(db, [resolve_lexicon("security_zh")], workers=1
                               ).scanned["security_zh"] == 0  # nothing left to do
