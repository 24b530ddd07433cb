"""Ingest prepares big batches in worker processes: the stored rows must be the same."""

from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path

from monitor.documents import Document
from monitor.ingest import FieldMap, ingest_paths
from monitor.store import Database, Preparer
from monitor.store.prepare import prepare
from tests.shared_corpora import corpus_path

COLUMNS = ("source_id, external_id, title, published, precision, language, word_count,"
           " content_hash, text, meta, cluster_id")


def _records(tmp_path: Path) -> Path:
    """300 UN speeches (some repeated under a new id, i.e. copies in another source), Chinese
    reports, a record without text: one JSON Lines file per source."""
    with gzip.open(corpus_path("ungdc/ungdc_1946_2024.jsonl.gz"), "rt", encoding="utf-8") as f:
        un = [json.loads(line) for line in itertools.islice(f, 0, 3000, 10)]
    zh = [json.loads(line) for line in
          corpus_path("zh/government_work_reports.jsonl").read_text("utf-8").splitlines()][:20]
    folder = tmp_path / "in"
    (folder / "un").mkdir(parents=True)
    (folder / "wire").mkdir()
    with open(folder / "un" / "speeches.jsonl", "w", encoding="utf-8") as f:
        for r in un:
            f.write(json.dumps({"id": r["id"], "year": r["year"], "text": r["text"]}) + "\n")
        for i, r in enumerate(zh):
            f.write(json.dumps({"id": f"zh{i}", "text": r["content"], "year": r["year"]},
                               ensure_ascii=False) + "\n")
        f.write(json.dumps({"id": "empty", "text": "  "}) + "\n")
        f.write(json.dumps({"id": un[0]["id"], "year": 1999, "text": "same id again"}) + "\n")
    with open(folder / "wire" / "copies.jsonl", "w", encoding="utf-8") as f:
        for r in un[:70]:  # copies in another source: clustered with the originals
            f.write(json.dumps({"id": r["id"] + "w", "year": r["year"],
                                "text": r["text"] + "\n\nDistributed by the wire."}) + "\n")
    return folder


def _rows(db: Database) -> tuple[list, list, list]:
    return (db.conn.execute(f"SELECT {COLUMNS} FROM documents ORDER BY id").fetchall(),
            db.conn.execute("SELECT * FROM minhash_signatures ORDER BY 1").fetchall(),
            db.conn.execute("SELECT * FROM minhash_bands ORDER BY 1, 2, 3").fetchall())


def test_worker_processes_store_what_this_process_stores(tmp_path):
    folder = _records(tmp_path)
    fields = FieldMap(id="id", date="year")
    results = []
    for name, workers, size in (("inline", 1, 500), ("workers", 2, 500), ("ahead", 2, 80)):
        with Database(tmp_path / f"{name}.db") as db:  # batches of 80: prepared ahead
            report = ingest_paths(db, [folder / "un", folder / "wire"], fields=fields,
                                  workers=workers, batch_size=size)
            assert report.failed == 1 and report.skipped == 1  # the empty text; the id again
            results.append((_rows(db), db.conn.execute(
                "SELECT count(*) FROM documents_fts WHERE documents_fts MATCH 'peace'"
            ).fetchone()[0]))
    (inline, inline_fts), (workers, workers_fts), (ahead, ahead_fts) = results
    assert len(inline[0]) == 300 + 20 + 70
    assert inline == workers == ahead and inline_fts == workers_fts == ahead_fts > 100
    assert sum(1 for row in workers[0] if row[0] == 2 and row[-1] is not None
               and row[-1] < 300) == 70  # every wire copy joined its original's cluster
    assert {row[5] for row in workers[0]} >= {"en", "zh"}


def test_preparer_keeps_the_order_and_small_batches_stay_in_this_process(tmp_path):
    texts = [f"Speech number {i}: peace and security. " * (1 + i % 5) for i in range(200)]
    with Preparer(2) as preparer:
        assert list(preparer.map([(t, True, False) for t in texts[:10]])) and (
            preparer._pool is None)
        ready = list(preparer.map([(t, True, True) for t in texts]))
        assert preparer._pool is not None
    assert [r.word_count for r in ready] == [6 * (1 + i % 5) for i in range(200)]
    with Database(tmp_path / "a.db") as db:
        db.preparer = Preparer(2)
        db.add_documents(Document(text=t, source="s", external_id=str(i))
                         for i, t in enumerate(texts))
        db.preparer.close()
        stored = [r[0] for r in db.conn.execute("SELECT text FROM documents ORDER BY id")]
    assert stored == [t.strip() for t in texts]


def test_a_text_that_cannot_be_prepared_fails_alone_with_its_name(tmp_path):
    from monitor.store.prepare import prepare

    assert "surrogate" in prepare(("bad \ud800 text", True, True)).error
    with Database(tmp_path / "b.db") as db:
        try:
            db.add_documents([Document(text="bad \ud800 text", source="s", origin="f.txt")])
        except ValueError as exc:
            assert str(exc).startswith("f.txt: ")
        else:
            raise AssertionError("a lone surrogate was stored")
        assert db.document_count() == 0


def test_prefetched_batches_give_the_results_of_the_texts_asked_for():
    texts = [f"Speech {i}: peace, security and development. " * (1 + i % 7) for i in range(300)]
    items = [(t, i % 2 == 0, True) for i, t in enumerate(texts)]
    direct = [prepare(item) for item in items]
    with Preparer(2) as preparer:
        assert not preparer.prefetch(items[:10])  # too few for the workers
        assert preparer.prefetch(items[:150]) and preparer.prefetch(items[150:])
        # some became known meanwhile; one is asked with another flag: prepared here
        asked = items[:150:3] + [(items[151][0], not items[151][1], True)] + items[152:]
        got = list(preparer.map(asked[:50])) + list(preparer.map(asked[50:]))
        assert preparer._ahead == []
    expected = [prepare(item) for item in asked]
    assert got == expected and got[:50] == direct[:150:3]
