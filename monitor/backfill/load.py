"""Loading finished partials into the SQLite store, one shard and lexicon per transaction.

A shard's aggregates go to ``backfill_totals`` (documents and words per source, date and
precision) and ``backfill_counts`` (per term, category path and shared label), under one
``backfill_shards`` row that names the shard, its version and the lexicon fingerprint.
Loading the same shard again replaces its rows, so nothing is ever counted twice; rows of
an older lexicon fingerprint stay until the shard is backfilled again and are not read.

A document is counted once across the whole archive and the stored documents: the first
shard loaded that holds a text (or a source and id) owns it in ``backfill_keys``, and a
copy in a later shard, or a text already ingested, is left out of that shard's aggregates
(which are then rebuilt from the partial's per-document rows), as ingest skips duplicates.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from ..store import Database, utcnow
from .shards import Shard
from .tasks import MARKER, PARTIAL_FORMAT, PartialResult, partial_dir

if TYPE_CHECKING:
    from ..lexicon import Lexicon


def loaded_shards(db: Database, lexicon_id: int, fingerprint: str) -> dict[str, str]:
    """{shard URL: version} of the shards loaded for this lexicon fingerprint."""
    return dict(db.conn.execute(
        "SELECT shard, version FROM backfill_shards WHERE lexicon_id = ? AND fingerprint = ?",
        (lexicon_id, fingerprint)))


def finished_partial(fs: Any, root: str, lexicon: Lexicon, shard: Shard) -> dict | None:
    """The marker of this shard's finished partial for ``lexicon``, or None."""
    marker = f"{partial_dir(root, lexicon, shard)}/{MARKER}"
    try:
        with fs.open(marker, "r") as stream:
            data = json.load(stream)
    except (FileNotFoundError, OSError, ValueError):
        return None
    if (data.get("fingerprint") != lexicon.fingerprint or data.get("version") != shard.version
            or data.get("format") != PARTIAL_FORMAT):
        return None
    return data


def _key(text: str) -> int:
    """A signed 64-bit key (SQLite's INTEGER) from a hash."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big", signed=True)


def _document_keys(row: dict) -> list[int]:
    keys = [_key("text\0" + row["text_hash"])]
    if row["external_id"] is not None:
        keys.append(_key(f"id\0{row['source']}\0{row['external_id']}"))
    return keys


def shard_documents(fs: Any, root: str, lexicon: Lexicon, shard: Shard) -> list[dict]:
    """The rows of the shard's ``documents.parquet`` (every lexicon's partial has them)."""
    import pyarrow.parquet as pq

    with fs.open(f"{partial_dir(root, lexicon, shard)}/documents.parquet", "rb") as stream:
        return pq.read_table(stream).to_pylist()


def claim_documents(db: Database, url: str, documents: list[dict]) -> tuple[set[str], set[str]]:
    """Claim the shard's documents; return (records left out, shards to load again).

    A key (a text hash, or a source and id) belongs to the shard that claimed it first;
    a record with a key claimed first by another shard, or stored by ingest, is left out.
    Keys the shard no longer has (it changed) are given up, and the other shards holding
    them are returned: their copies may now be theirs to count.
    """
    conn = db.conn
    conn.execute("INSERT OR IGNORE INTO backfill_urls (url) VALUES (?)", (url,))
    me = conn.execute("SELECT id FROM backfill_urls WHERE url = ?", (url,)).fetchone()[0]
    keyed = [(row, _document_keys(row)) for row in documents]
    current = {k for _, keys in keyed for k in keys}
    before = {k for (k,) in conn.execute("SELECT key FROM backfill_keys WHERE shard = ?", (me,))}
    gone = before - current
    reload: set[str] = set()
    for k in gone:
        owner = conn.execute("SELECT shard FROM backfill_keys WHERE key = ? ORDER BY seq LIMIT 1",
                             (k,)).fetchone()[0]
        if owner == me:
            reload.update(u for (u,) in conn.execute(
                "SELECT u.url FROM backfill_keys k JOIN backfill_urls u ON u.id = k.shard"
                " WHERE k.key = ? AND k.shard != ?", (k, me)))
        conn.execute("DELETE FROM backfill_keys WHERE key = ? AND shard = ?", (k, me))
    conn.executemany("INSERT OR IGNORE INTO backfill_keys (key, shard) VALUES (?, ?)",
                     [(k, me) for k in current - before])
    left_out: set[str] = set()
    for row, keys in keyed:
        mine = all(conn.execute(
            "SELECT shard FROM backfill_keys WHERE key = ? ORDER BY seq LIMIT 1", (k,)
        ).fetchone()[0] == me for k in keys)
        if not mine or conn.execute(
                "SELECT 1 FROM documents WHERE content_hash = ?", (row["text_hash"],)
        ).fetchone() or (row["external_id"] is not None and conn.execute(
                "SELECT 1 FROM documents d JOIN sources s ON s.id = d.source_id"
                " WHERE s.name = ? AND d.external_id = ?",
                (row["source"], row["external_id"])).fetchone()):
            left_out.add(row["record"])
    return left_out, reload


def _rebuilt(fs: Any, folder: str, lexicon: Lexicon, documents: list[dict],
             left_out: set[str]) -> tuple[list[dict], list[dict]]:
    """The shard's totals and series rows without the documents ``left_out``."""
    import pyarrow.parquet as pq

    def by_record(name: str, key) -> dict[str, dict]:
        grouped: dict[str, dict] = defaultdict(dict)
        with fs.open(f"{folder}/{name}.parquet", "rb") as stream:
            for row in pq.read_table(stream).to_pylist():
                if row["record"] not in left_out:
                    grouped[row["record"]][key(row)] = row["count"]
        return grouped

    counts = by_record("counts", lambda row: (row["category"], row["term"]))
    categories = by_record("categories", lambda row: row["category"])
    partial = PartialResult(lexicon)
    for row in documents:
        if row["counted"] and row["record"] not in left_out:
            doc = SimpleNamespace(origin=row["record"], external_id=row["external_id"],
                                  source=row["source"], published=row["published"],
                                  precision=row["precision"])
            partial.add(doc, row["word_count"], counts.get(row["record"], {}),
                        categories.get(row["record"], {}))
    totals = [dict(zip(("source", "published", "precision", "documents", "words"),
                       (*key, *value), strict=True)) for key, value in partial.totals.items()]
    series = [dict(zip(("kind", "category", "term", "source", "published", "precision",
                        "count", "docs"), (*key, *value), strict=True))
              for key, value in partial.series.items()]
    return totals, series


def load_partial(db: Database, fs: Any, root: str, shard: Shard, lexicon: Lexicon,
                 lexicon_id: int, marker: dict, run_id: int | None, documents: list[dict],
                 left_out: set[str]) -> None:
    """Replace what the store holds for this shard and lexicon by the finished partial,
    without the records ``left_out`` (see :func:`claim_documents`)."""
    import pyarrow.parquet as pq

    folder = partial_dir(root, lexicon, shard)
    location = shard.url.rsplit("/", 1)[0] if "/" in shard.url else "."
    source_ids: dict[str, int] = {}
    with db.transaction() as conn:
        if left_out:
            totals, series = _rebuilt(fs, folder, lexicon, documents, left_out)
        else:
            with fs.open(f"{folder}/totals.parquet", "rb") as stream:
                totals = pq.read_table(stream).to_pylist()
            with fs.open(f"{folder}/series.parquet", "rb") as stream:
                series = pq.read_table(stream).to_pylist()
        for row in totals:
            name = row["source"]
            if name not in source_ids:
                source_ids[name] = db.source_id(name, kind="backfill", location=location)
        conn.execute("DELETE FROM backfill_shards WHERE shard = ? AND lexicon_id = ?",
                     (shard.url, lexicon_id))
        shard_id = conn.execute(
            "INSERT INTO backfill_shards (shard, version, lexicon_id, fingerprint, documents,"
            " words, failed, partial, run_id, loaded, duplicates)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (shard.url, shard.version, lexicon_id, lexicon.fingerprint,
             marker["documents"] - len(left_out),
             marker["words"] - sum(r["word_count"] for r in documents if r["record"] in left_out),
             marker["failed"], folder, run_id, utcnow(), len(left_out)),
        ).lastrowid
        conn.executemany(
            "INSERT INTO backfill_totals (shard_id, source_id, published, precision,"
            " documents, words) VALUES (?, ?, ?, ?, ?, ?)",
            [(shard_id, source_ids[r["source"]], r["published"], r["precision"],
              r["documents"], r["words"]) for r in totals])
        conn.executemany(
            "INSERT INTO backfill_counts (shard_id, source_id, published, precision, kind,"
            " category, term, count, docs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(shard_id, source_ids[r["source"]], r["published"], r["precision"], r["kind"],
              r["category"], r["term"], r["count"], r["docs"]) for r in series])


def load_shard(db: Database, fs: Any, root: str, shard: Shard,
               partials: list[tuple[Lexicon, int, dict]], run_id: int | None,
               known: dict[str, tuple[Lexicon, int]]) -> tuple[int, list[str]]:
    """Load a shard's finished partials (lexicon, lexicon id, marker) in one transaction.

    Shards that held copies of documents this shard no longer has are loaded again from
    their partials (``known`` maps this run's lexicon names to (lexicon, id)). Returns the
    number of documents left out as copies and one error line per shard that could not
    be loaded again.
    """
    errors: list[str] = []
    with db.transaction():
        documents = shard_documents(fs, root, partials[0][0], shard)
        left_out, again = claim_documents(db, shard.url, documents)
        for lexicon, lexicon_id, marker in partials:
            load_partial(db, fs, root, shard, lexicon, lexicon_id, marker, run_id, documents,
                         left_out)
        for url in sorted(again - {shard.url}):
            errors.extend(_load_again(db, fs, root, url, run_id, known, shard.url))
    return len(left_out), errors


def _load_again(db: Database, fs: Any, root: str, url: str, run_id: int | None,
                known: dict[str, tuple[Lexicon, int]], changed: str) -> list[str]:
    from .shards import shard_format

    rows = db.conn.execute(
        "SELECT b.version, l.name FROM backfill_shards b JOIN lexicons l ON l.id = b.lexicon_id"
        " AND l.fingerprint = b.fingerprint WHERE b.shard = ?", (url,)).fetchall()
    partials = []
    for version, name in rows:
        shard = Shard(url, shard_format(url), version)
        lexicon, lexicon_id = known.get(name, (None, None))
        marker = finished_partial(fs, root, lexicon, shard) if lexicon else None
        if marker is None:  # forget it, so that the next backfill of it tallies it again
            db.conn.execute("DELETE FROM backfill_shards WHERE shard = ? AND lexicon_id ="
                            " (SELECT id FROM lexicons WHERE name = ?)", (url, name))
            return [f"{url}: holds copies of documents {changed} no longer has, and its"
                    f" partial result for {name} is not in the work folder: backfill {url}"
                    f" again (with --lexicon {name})"]
        partials.append((shard, lexicon, lexicon_id, marker))
    if not partials:
        return []
    shard = partials[0][0]
    documents = shard_documents(fs, root, partials[0][1], shard)
    left_out, _ = claim_documents(db, url, documents)
    for shard, lexicon, lexicon_id, marker in partials:
        load_partial(db, fs, root, shard, lexicon, lexicon_id, marker, run_id, documents,
                     left_out)
    return []
