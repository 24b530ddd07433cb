"""Loading finished partials into the SQLite store, one shard and lexicon per transaction.

A shard's aggregates go to ``backfill_totals`` (documents and words per source, date and
precision) and ``backfill_counts`` (per term, category path and shared label), under one
``backfill_shards`` row that names the shard, its version and the lexicon fingerprint.
Loading the same shard again replaces its rows, so nothing is ever counted twice; rows of
an older lexicon fingerprint stay until the shard is backfilled again and are not read.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..store import Database, utcnow
from .shards import Shard
from .tasks import MARKER, partial_dir

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
    if data.get("fingerprint") != lexicon.fingerprint or data.get("version") != shard.version:
        return None
    return data


def load_partial(db: Database, fs: Any, root: str, shard: Shard, lexicon: Lexicon,
                 lexicon_id: int, marker: dict, run_id: int | None) -> None:
    """Replace what the store holds for this shard and lexicon by the finished partial."""
    import pyarrow.parquet as pq

    folder = partial_dir(root, lexicon, shard)
    with fs.open(f"{folder}/totals.parquet", "rb") as stream:
        totals = pq.read_table(stream).to_pylist()
    with fs.open(f"{folder}/series.parquet", "rb") as stream:
        series = pq.read_table(stream).to_pylist()
    location = shard.url.rsplit("/", 1)[0] if "/" in shard.url else "."
    source_ids: dict[str, int] = {}
    with db.transaction() as conn:
        for row in totals:
            name = row["source"]
            if name not in source_ids:
                source_ids[name] = db.source_id(name, kind="backfill", location=location)
        conn.execute("DELETE FROM backfill_shards WHERE shard = ? AND lexicon_id = ?",
                     (shard.url, lexicon_id))
        shard_id = conn.execute(
            "INSERT INTO backfill_shards (shard, version, lexicon_id, fingerprint, documents,"
            " words, failed, partial, run_id, loaded) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (shard.url, shard.version, lexicon_id, lexicon.fingerprint, marker["documents"],
             marker["words"], marker["failed"], folder, run_id, utcnow()),
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
