"""Storing a batch of counts: one transaction that first checks the batch is still valid.

A batch was counted under some lexicon fingerprints and term and category ids. Between
the scan and the write another process may have edited a lexicon (new fingerprint, old
counts dropped), removed terms or deleted documents. The checks run inside the same
``BEGIN IMMEDIATE`` transaction as the inserts, so no writer can slip in between: a batch
counted under a fingerprint that is no longer the stored one is refused whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from ..store import Database

#: Rows per insert statement (as Python lists or text only for that statement).
INSERT_ROWS = 16_384
#: A count row packed in one SQLite integer: id (20 bits), document id (31), count (12).
PACKED = (20, 31, 12)


class StaleTallyError(ValueError):
    """The batch was counted under a lexicon (or terms) that changed meanwhile."""


@dataclass
class Batch:
    """Rows of some documents for some lexicons, as counted.

    ``counts``: ``(term_id, document_id, n)``; ``categories``: ``(category_id,
    document_id, n)``; ``fingerprints``: lexicon id -> the fingerprint counted under;
    ``documents``: every document scanned (also those with no match). Rows are tuples,
    or (rows, 3) integer arrays as the scanner makes them (:meth:`extend`).
    """

    documents: list[int] = field(default_factory=list)
    counts: list = field(default_factory=list)
    categories: list = field(default_factory=list)
    fingerprints: dict[int, str] = field(default_factory=dict)

    def extend(self, documents: list[int], counts: np.ndarray, categories: np.ndarray) -> None:
        self.documents += documents
        self.counts.append(counts)
        self.categories.append(categories)

    def __len__(self) -> int:
        return len(self.documents)


def store_counts(db: Database, batch: Batch) -> int:
    """Insert ``batch`` (and a ``tallied`` row per document and lexicon) in one transaction.

    Raises :class:`StaleTallyError`, storing nothing, when a lexicon's stored fingerprint
    is not the batch's or its terms or categories are gone. Rows of documents deleted
    meanwhile are dropped. Returns the number of documents stored. Per-row foreign-key
    checks would double the cost of the insert, so they are off for it; the checks above
    cover them once per batch.
    """
    if not batch.documents:
        return 0
    conn = db.conn
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        with db.transaction():
            _check_fingerprints(conn, batch.fingerprints)
            counts, categories = _rows(batch.counts), _rows(batch.categories)
            for table, rows in (("terms", counts), ("categories", categories)):
                ids = json.dumps(np.unique(rows[:, 0]).tolist())
                if conn.execute(f"SELECT count(*) FROM json_each(?) WHERE value NOT IN"
                                f" (SELECT id FROM {table})", (ids,)).fetchone()[0]:
                    raise StaleTallyError(
                        f"a lexicon's {table} changed during the tally; run it again")
            docs = json.dumps(sorted(set(batch.documents)))
            gone = {r[0] for r in conn.execute(
                "SELECT value FROM json_each(?) WHERE value NOT IN (SELECT id FROM documents)",
                (docs,))}
            documents = batch.documents
            if gone:
                lost = np.array(sorted(gone), dtype=np.int64)
                counts = counts[~np.isin(counts[:, 1], lost)]
                categories = categories[~np.isin(categories[:, 1], lost)]
                documents = [d for d in documents if d not in gone]
            for table, key, rows in (("counts", "term_id", counts),
                                     ("category_counts", "category_id", categories)):
                _insert(conn, table, key, rows)
            conn.executemany(
                "INSERT OR REPLACE INTO tallied (lexicon_id, document_id, fingerprint)"
                " VALUES (?, ?, ?)",
                [(lid, doc, fp) for lid, fp in sorted(batch.fingerprints.items())
                 for doc in sorted(documents)])
            return len(documents)
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


def _insert(conn, table: str, key: str, rows: np.ndarray) -> None:
    """Insert ``(key, document_id, count)`` rows in key order, so that each term's rows are
    appended to its range of the b-tree. A row that fits is packed in one integer and a
    statement reads 16,384 of them from a JSON array (``json_each``): a third of the time of
    binding each row from Python with ``executemany`` (1.3 M rows: 0.8 s against 2.0-2.9 s,
    measured in one run), which was the tally's critical path. Rows that do not fit (an id
    or a count too big for its bits) are bound one by one."""
    rows = rows[np.lexsort((rows[:, 1], rows[:, 0]))]
    id_bits, doc_bits, count_bits = PACKED
    fits = ((rows >= 0).all(axis=1) & (rows[:, 0] < 1 << id_bits)
            & (rows[:, 1] < 1 << doc_bits) & (rows[:, 2] < 1 << count_bits))
    packed = rows[fits]
    packed = (packed[:, 0] << (doc_bits + count_bits)) | (packed[:, 1] << count_bits) | packed[:, 2]
    into = f"INSERT OR REPLACE INTO {table} ({key}, document_id, count)"
    sql = (f"{into} SELECT value >> {doc_bits + count_bits}, (value >> {count_bits}) &"
           f" {(1 << doc_bits) - 1}, value & {(1 << count_bits) - 1} FROM json_each(?)")
    for start in range(0, len(packed), INSERT_ROWS):
        conn.execute(sql, ("[" + ",".join(map(str, packed[start:start + INSERT_ROWS].tolist()))
                           + "]",))
    rest = rows[~fits]
    for start in range(0, len(rest), INSERT_ROWS):
        part = rest[start:start + INSERT_ROWS]
        # tuples zipped from three flat lists: a third less CPU than nested lists
        columns = [part[:, k].tolist() for k in range(3)]
        conn.executemany(f"{into} VALUES (?, ?, ?)", zip(*columns, strict=True))


def _rows(parts: list) -> np.ndarray:
    """Tuples and arrays of rows as one (rows, 3) int64 array."""
    arrays = [p for p in parts if isinstance(p, np.ndarray)]
    tuples = [p for p in parts if not isinstance(p, np.ndarray)]
    if tuples:
        arrays.append(np.array(tuples, dtype=np.int64))
    return (np.concatenate([a.reshape(-1, 3) for a in arrays]).astype(np.int64, copy=False)
            if arrays else np.zeros((0, 3), dtype=np.int64))


def _check_fingerprints(conn, fingerprints: dict[int, str]) -> None:
    stored = {lid: (name, fp) for lid, name, fp in conn.execute(
        "SELECT id, name, fingerprint FROM lexicons WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(fingerprints)),))}
    for lexicon_id, fingerprint in sorted(fingerprints.items()):
        name, now = stored.get(lexicon_id, (f"#{lexicon_id}", None))
        if now != fingerprint:
            raise StaleTallyError(
                f"lexicon {name!r} changed during the tally (its stored fingerprint is no"
                " longer the one these counts were made with); run monitor tally again")
