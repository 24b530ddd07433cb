"""The counts layout of schema 2: a v1 database migrates forward, answers stay the same.

A v1 file is built with v1's own DDL (``MIGRATIONS[0]``, never edited) and v1's tally
layout, from real UN speeches; the reference answers are read from it with SQL over the
v1 tables. After the migration and a re-tally, ``monitor counts`` and trends must give
the same per-term answers, and category totals must equal the span rule's.
"""

from __future__ import annotations

import gzip
import itertools
import json
import sqlite3
from collections import defaultdict

import numpy as np
import pytest

from monitor.lexicon import Matcher, category_paths, category_spans, resolve_lexicon
from monitor.store import SCHEMA_VERSION, Database
from monitor.store.database import _split_sql
from monitor.store.schema import MIGRATIONS
from monitor.tally import Batch, StaleTallyError, store_counts, tally_documents
from monitor.text import content_hash, count_words
from monitor.trends import CountQuery, TrendQuery, read_counts, trend
from tests.shared_corpora import corpus_path

LEXICONS = ("power", "security_zh")


def _speeches(n: int = 240) -> list[dict]:
    path = corpus_path("ungdc/ungdc_1946_2024.jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in itertools.islice(f, 0, None, 10952 // n)][:n]


def build_v1(path, speeches, lexicons) -> None:
    """A database as v1 of the tool wrote it: v1 DDL, its counts layout, tallied rows."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    for statement in _split_sql(MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO sources (name, added) VALUES ('un', '2024-01-01')")
    for s in speeches:
        conn.execute(
            "INSERT INTO documents (source_id, external_id, published, precision, ingested_at,"
            " word_count, content_hash, text) VALUES (1, ?, ?, 'year', '2024', ?, ?, ?)",
            (s["id"], str(s["year"]), count_words(s["text"]), content_hash(s["text"]), s["text"]))
    docs = dict(conn.execute("SELECT external_id, id FROM documents"))
    for lexicon in lexicons:
        lid = conn.execute("INSERT INTO lexicons (name, fingerprint, updated) VALUES (?, ?, '')",
                           (lexicon.name, lexicon.fingerprint)).lastrowid
        ids = [conn.execute("INSERT INTO terms (lexicon_id, category, label) VALUES (?, ?, ?)",
                            (lid, t.category, t.label)).lastrowid for t in lexicon.terms]
        matcher = Matcher([lexicon])
        for s in speeches:
            doc = docs[s["id"]]
            conn.executemany("INSERT INTO counts VALUES (?, ?, ?)",
                             [(doc, ids[i], n) for i, n in matcher.count(s["text"]).items()])
            conn.execute("INSERT INTO tallied VALUES (?, ?, ?)", (doc, lid, lexicon.fingerprint))
    conn.execute("COMMIT")
    conn.close()


def v1_by_year(path, lexicon: str, labels: list[str] | None = None,
               category: str | None = None) -> dict[str, tuple[int, int]]:
    """year -> (occurrences, documents) summed over terms, as v1's queries did."""
    where, args = "l.name = ?", [lexicon]
    if labels is not None:
        where += f" AND t.label IN ({','.join('?' * len(labels))})"
        args += labels
    if category is not None:
        where += " AND (t.category = ? OR t.category LIKE ?)"
        args += [category, category + "/%"]
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT year, sum(n), count(*) FROM (SELECT d.published AS year, c.document_id,"
            " sum(c.count) AS n FROM counts c JOIN terms t ON t.id = c.term_id"
            " JOIN lexicons l ON l.id = t.lexicon_id JOIN documents d ON d.id = c.document_id"
            f" WHERE {where} GROUP BY c.document_id) GROUP BY year", args).fetchall()
    return {year: (n, docs) for year, n, docs in rows}


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    speeches = _speeches()
    lexicons = [resolve_lexicon(name) for name in LEXICONS]
    path = tmp_path_factory.mktemp("layout") / "v1.db"
    build_v1(path, speeches, lexicons)
    with sqlite3.connect(path) as conn:
        v1_rows = sorted(conn.execute("SELECT * FROM term_counts"))
    reference = {
        "security": v1_by_year(path, "power", ["security"]),
        "militar*": v1_by_year(path, "power", ["militar*"]),
        "安全": v1_by_year(path, "security_zh", ["安全"]),
        "hard_power": v1_by_year(path, "power", category="hard_power"),
    }
    db = Database(path)
    yield db, path, speeches, lexicons, v1_rows, reference
    db.close()


def test_a_v1_database_migrates_with_its_counts_and_asks_for_a_retally(migrated):
    db, path, _, lexicons, v1_rows, _ = migrated
    assert db.schema_version == SCHEMA_VERSION
    v1_columns = ("document_id, published, precision, source, title, lexicon, category, term,"
                  " count, word_count")  # the view has gained columns since (never lost one)
    assert sorted(db.conn.execute(f"SELECT {v1_columns} FROM term_counts")) == v1_rows
    assert db.conn.execute("SELECT count(*) FROM tallied").fetchone()[0] == 0
    with pytest.raises(ValueError, match="no stored totals yet"):
        trend(db, TrendQuery(["hard_power"]))
    t = trend(db, TrendQuery(["power:security"]))
    assert t.is_empty and "no tallied documents match this query" in t.notes
    report = tally_documents(db, lexicons, workers=2)
    # the speeches are English (detected when the file was migrated): not security_zh's
    assert report.scanned == {"power": 240, "security_zh": 0}
    v1_columns = ("document_id, published, precision, source, title, lexicon, category, term,"
                  " count, word_count")  # the view has gained columns since (never lost one)
    assert sorted(db.conn.execute(f"SELECT {v1_columns} FROM term_counts")) == v1_rows
    assert db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_term_answers_equal_v1s_and_category_totals_follow_the_span_rule(migrated):
    db, path, speeches, lexicons, _, reference = migrated
    if not db.conn.execute("SELECT count(*) FROM tallied").fetchone()[0]:
        tally_documents(db, lexicons, workers=1)
    for label in ("security", "militar*", "安全"):
        name = "power:security" if label == "security" else label
        rows, _ = read_counts(db, CountQuery(names=(name,), by="year"))
        assert {r["period"]: (r["count"], r["docs"]) for r in rows if r["docs"]} == reference[label]
        t = trend(db, TrendQuery([name], measure="count"))
        got = {r.period: (r.count, r.docs) for r in t.rows if r.docs}
        assert got == reference[label]
    # the category: same documents as v1, occurrences by the span rule, never more
    t = trend(db, TrendQuery(["hard_power"], measure="count"))
    got = {r.period: (r.count, r.docs) for r in t.rows if r.docs}
    old = reference["hard_power"]
    assert {p: d for p, (_, d) in got.items()} == {p: d for p, (_, d) in old.items()}
    assert all(got[p][0] <= old[p][0] for p in got) and got != old
    matcher = Matcher([lexicons[0]])
    top = matcher.categories.index(("power", "hard_power"))
    spans: dict[str, int] = defaultdict(int)
    for s in speeches:
        found = category_spans(matcher, matcher.matches(s["text"]))
        spans[str(s["year"])] += len(found.get(top, []))
    assert {p: c for p, (c, _) in got.items()} == {p: n for p, n in spans.items() if n}


def test_term_counts_and_category_totals_work_in_plain_sqlite_utils(migrated):
    import sqlite_utils

    db, path, _, lexicons, _, reference = migrated
    if not db.conn.execute("SELECT count(*) FROM tallied").fetchone()[0]:
        tally_documents(db, lexicons, workers=1)
    plain = sqlite_utils.Database(path)
    rows = list(plain.query("select published, sum(count) as n, count(*) as docs from term_counts"
                            " where term = 'security' group by published"))
    assert {r["published"]: (r["n"], r["docs"]) for r in rows} == reference["security"]
    assert list(plain["term_counts"].rows)[0].keys() == {
        "document_id", "published", "precision", "source", "title", "lexicon", "category",
        "term", "count", "word_count", "language", "meta"}
    levels = {r["category"] for r in plain.query(
        "select distinct category from category_totals where lexicon = 'power'")}
    assert {"hard_power", "hard_power/security", "soft_power"} <= levels
    assert all(p in levels for c in levels for p in category_paths(c))
    plan = " ".join(r[3] for r in plain.execute(
        "explain query plan select * from term_counts where term = 'security'").fetchall())
    assert "SCAN c" not in plan  # counts are read by term, never scanned whole


def test_a_batch_counted_under_an_old_fingerprint_is_refused(db):
    from monitor.documents import Document

    power = resolve_lexicon("power")
    db.add_documents([Document(text=f"security {i}", source="s") for i in range(300)])

    def edit_the_lexicon(done: int) -> None:  # another process re-syncs an edited lexicon
        with db.transaction() as conn:
            conn.execute("UPDATE lexicons SET fingerprint = 'edited' WHERE name = 'power'")

    with pytest.raises(StaleTallyError, match="lexicon 'power' changed during the tally"):
        tally_documents(db, [power], workers=1, progress=edit_the_lexicon)
    assert db.conn.execute("SELECT count(*) FROM counts").fetchone()[0] == 0
    assert db.conn.execute("SELECT count(*) FROM tallied").fetchone()[0] == 0
    lid = db.conn.execute("SELECT id FROM lexicons WHERE name = 'power'").fetchone()[0]
    with pytest.raises(StaleTallyError):
        store_counts(db, Batch(documents=[1], fingerprints={lid: power.fingerprint}))
    # with the stored fingerprint the same call goes through
    assert store_counts(db, Batch(documents=[1], fingerprints={lid: "edited"})) == 1


def test_rows_too_big_to_pack_are_stored_exactly(db):
    from monitor.documents import Document
    from monitor.tally.write import PACKED

    db.add_documents([Document(text="security " * 5000, source="s"),
                      Document(text="security military", source="s")])
    tally_documents(db, [resolve_lexicon("power")], workers=1)
    term = db.conn.execute("SELECT id FROM terms WHERE label = 'security'").fetchone()[0]
    assert db.conn.execute("SELECT document_id, count FROM counts WHERE term_id = ?"
                           " ORDER BY 1", (term,)).fetchall() == [(1, 5000), (2, 1)]
    # ids beyond the packed bits (a term id of 2^20, a document id of 2^31): bound as is
    big_term, big_doc = 1 << PACKED[0], 1 << PACKED[1]
    lid = db.conn.execute("SELECT id FROM lexicons WHERE name = 'power'").fetchone()[0]
    fingerprint = db.conn.execute("SELECT fingerprint FROM lexicons WHERE id = ?",
                                  (lid,)).fetchone()[0]
    db.conn.execute("PRAGMA foreign_keys = OFF")  # ids moved by hand, their rows with them
    with db.transaction() as conn:
        conn.execute("DELETE FROM counts WHERE term_id = ?", (term,))
        conn.execute("UPDATE terms SET id = ? WHERE id = ?", (big_term, term))
        conn.execute("UPDATE documents SET id = ? WHERE id = 2", (big_doc,))
    db.conn.execute("PRAGMA foreign_keys = ON")
    store_counts(db, Batch(documents=[1, big_doc], fingerprints={lid: fingerprint},
                           counts=[(big_term, 1, 7), (big_term, big_doc, 4096)]))
    assert db.conn.execute("SELECT document_id, count FROM counts WHERE term_id = ?"
                           " ORDER BY 1", (big_term,)).fetchall() == [(1, 7), (big_doc, 4096)]


def test_rows_of_a_document_deleted_during_the_tally_are_dropped(db):
    from monitor.documents import Document
    from monitor.tally.write import pack_rows

    power = resolve_lexicon("power")
    db.add_documents([Document(text=f"security {i}", source="s") for i in range(3)])
    tally_documents(db, [power], workers=1)
    security, military = (r[0] for r in db.conn.execute(
        "SELECT id FROM terms ORDER BY id LIMIT 2"))
    lid = db.conn.execute("SELECT id FROM lexicons WHERE name = 'power'").fetchone()[0]
    with db.transaction() as conn:  # counted, then deleted before the batch is written
        conn.execute("DELETE FROM documents WHERE id = 2")
        conn.execute("DELETE FROM counts")
    rows = np.array([(security, 1, 3), (security, 2, 5), (military, 2, 4096),
                     (military, 3, 1)])
    stored = store_counts(db, Batch(documents=[1, 2, 3], fingerprints={lid: power.fingerprint},
                                    counts=[pack_rows(rows)]))
    assert stored == 2
    assert db.conn.execute("SELECT term_id, document_id, count FROM counts ORDER BY 1, 2"
                           ).fetchall() == sorted([(security, 1, 3), (military, 3, 1)])
    assert pack_rows(rows).rows().tolist() == sorted(map(list, rows.tolist()))


def test_deleting_a_document_deletes_its_counts_and_category_totals(db):
    from monitor.documents import Document

    db.add_documents([Document(text="national security", source="s"),
                      Document(text="security", source="s")])
    tally_documents(db, [resolve_lexicon("power")], workers=1)
    with db.transaction() as conn:
        conn.execute("DELETE FROM documents WHERE id = 1")
    for table in ("counts", "category_counts"):
        left = db.conn.execute(f"SELECT DISTINCT document_id FROM {table}").fetchall()
        assert left == [(2,)]


def test_full_text_search_finds_documents_from_before_and_after_the_migration(migrated):
    from monitor.documents import Document

    db = migrated[0]
    db.add_documents([Document(text="A zanzibarian proposal.", source="un")])
    found = db.conn.execute("SELECT count(*) FROM documents_fts WHERE documents_fts MATCH"
                            " 'zanzibarian OR argentine'").fetchone()[0]
    assert found >= 2
    assert db.conn.execute("SELECT count(*) FROM documents_fts").fetchone()[0] == \
        db.document_count()


@pytest.mark.parametrize("threshold", [0.0, float("inf")])
def test_both_read_orders_give_the_same_answers(migrated, monkeypatch, threshold):
    """A small frame is read document by document, a big one term by term: same answers."""
    from monitor.trends import data

    db, _, _, lexicons, _, _ = migrated
    if not db.conn.execute("SELECT count(*) FROM tallied").fetchone()[0]:
        tally_documents(db, lexicons, workers=1)
    queries = [TrendQuery(["power:hard_power", "power:security", "militar*"], measure="count",
                          since="1950", until="1990"),
               TrendQuery(["安全", "security_zh:security"], measure="count")]
    expected = [trend(db, q).to_csv() for q in queries]
    counts = read_counts(db, CountQuery(names=("power:security",), by="year", since="1960"))
    every = read_counts(db, CountQuery(lexicon="power", by="total"))
    monkeypatch.setattr(data, "SMALL_FRAME", threshold)
    assert [trend(db, q).to_csv() for q in queries] == expected
    assert read_counts(db, CountQuery(names=("power:security",), by="year", since="1960")) == \
        counts
    assert read_counts(db, CountQuery(lexicon="power", by="total")) == every
