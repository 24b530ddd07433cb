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
class PackedRows:
    """``(key, document_id, n)`` rows as the insert reads them, made where the rows are
    (in the scanning workers), so that the writer, the tally's critical path, only runs the
    statements: each row that fits packed in one integer (:data:`PACKED`), in key order,
    as JSON arrays of up to :data:`INSERT_ROWS`; the distinct keys; the rows too big to
    pack, as they are."""

    texts: list[str]
    keys: list[int]
    rest: np.ndarray

    def rows(self) -> np.ndarray:
        """The rows again, as one (rows, 3) int64 array in key order."""
        _, doc_bits, count_bits = PACKED
        packed = np.array([v for text in self.texts for v in json.loads(text)], dtype=np.int64)
        rows = np.stack((packed >> (doc_bits + count_bits),
                         (packed >> count_bits) & ((1 << doc_bits) - 1),
                         packed & ((1 << count_bits) - 1)), axis=1).reshape(-1, 3)
        rows = np.concatenate([rows, self.rest.reshape(-1, 3)])
        return rows[np.lexsort((rows[:, 1], rows[:, 0]))]


def pack_rows(rows: np.ndarray) -> PackedRows:
    """:class:`PackedRows` of a (rows, 3) integer array in any order."""
    rows = np.asarray(rows, dtype=np.int64).reshape(-1, 3)
    id_bits, doc_bits, count_bits = PACKED
    fits = ((rows >= 0).all(axis=1) & (rows[:, 0] < 1 << id_bits)
            & (rows[:, 1] < 1 << doc_bits) & (rows[:, 2] < 1 << count_bits))
    packed = rows[fits]
    # packed integers sort as (key, document): one sort of ints, not a lexsort
    packed = np.sort((packed[:, 0] << (doc_bits + count_bits)) | (packed[:, 1] << count_bits)
                     | packed[:, 2])
    texts = ["[" + ",".join(map(str, packed[start:start + INSERT_ROWS].tolist())) + "]"
             for start in range(0, len(packed), INSERT_ROWS)]
    rest = rows[~fits]
    rest = rest[np.lexsort((rest[:, 1], rest[:, 0]))]
    keys = np.union1d(np.unique(packed >> (doc_bits + count_bits)), rest[:, 0])
    return PackedRows(texts, keys.tolist(), rest)


@dataclass
class Batch:
    """Rows of some documents for some lexicons, as counted.

    ``counts``: ``(term_id, document_id, n)``; ``categories``: ``(category_id,
    document_id, n)``; ``fingerprints``: lexicon id -> the fingerprint counted under;
    ``documents``: every document scanned (also those with no match). Rows are tuples,
    (rows, 3) integer arrays or :class:`PackedRows` as the scanner makes them
    (:meth:`extend`).
    """

    documents: list[int] = field(default_factory=list)
    counts: list = field(default_factory=list)
    categories: list = field(default_factory=list)
    fingerprints: dict[int, str] = field(default_factory=dict)

    def extend(self, documents: list[int], counts: PackedRows | np.ndarray,
               categories: PackedRows | np.ndarray) -> None:
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
            counts, categories = _packed(batch.counts), _packed(batch.categories)
            for table, parts in (("terms", counts), ("categories", categories)):
                ids = json.dumps(sorted({k for part in parts for k in part.keys}))
                if conn.execute(f"SELECT count(*) FROM json_each(?) WHERE value NOT IN"
                                f" (SELECT id FROM {table})", (ids,)).fetchone()[0]:
                    raise StaleTallyError(
                        f"a lexicon's {table} changed during the tally; run it again")
            docs = json.dumps(sorted(set(batch.documents)))
            gone = sorted(r[0] for r in conn.execute(
                "SELECT value FROM json_each(?) WHERE value NOT IN (SELECT id FROM documents)",
                (docs,)))
            documents = batch.documents
            if gone:
                dropped = set(gone)
                documents = [d for d in documents if d not in dropped]
            for table, key, parts in (("counts", "term_id", counts),
                                      ("category_counts", "category_id", categories)):
                _insert(conn, table, key, parts, gone)
            tallied = json.dumps(sorted(set(documents)))
            for lid, fp in sorted(batch.fingerprints.items()):  # a statement per lexicon
                conn.execute(
                    "INSERT OR REPLACE INTO tallied (lexicon_id, document_id, fingerprint)"
                    " SELECT ?, value, ? FROM json_each(?)", (lid, fp, tallied))
            return len(documents)
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


def _insert(conn, table: str, key: str, parts: list[PackedRows], gone: list[int]) -> None:
    """Insert ``(key, document_id, count)`` rows, each part in key order, so that each
    term's rows are appended to its range of the b-tree; none of the documents ``gone``.
    A statement reads 16,384 packed rows from a JSON array (``json_each``): a third of the
    time of binding each row from Python with ``executemany`` (1.3 M rows: 0.8 s against
    2.0-2.9 s, measured in one run), which was the tally's critical path. Rows that do not
    fit in the bits are bound one by one."""
    _, doc_bits, count_bits = PACKED
    into = f"INSERT OR REPLACE INTO {table} ({key}, document_id, count)"
    document = f"(value >> {count_bits}) & {(1 << doc_bits) - 1}"
    sql = (f"{into} SELECT value >> {doc_bits + count_bits}, {document},"
           f" value & {(1 << count_bits) - 1} FROM json_each(?)")
    params: tuple = ()
    if gone:  # a document deleted during the tally: its rows are dropped
        sql += f" WHERE {document} NOT IN (SELECT value FROM json_each(?))"
        params = (json.dumps(gone),)
    for part in parts:
        for text in part.texts:
            conn.execute(sql, (text, *params))
    rest = np.concatenate([np.zeros((0, 3), np.int64),
                           *(part.rest.reshape(-1, 3) for part in parts)])
    if gone:
        rest = rest[~np.isin(rest[:, 1], np.array(gone, dtype=np.int64))]
    for start in range(0, len(rest), INSERT_ROWS):
        part = rest[start:start + INSERT_ROWS]
        # tuples zipped from three flat lists: a third less CPU than nested lists
        columns = [part[:, k].tolist() for k in range(3)]
        conn.executemany(f"{into} VALUES (?, ?, ?)", zip(*columns, strict=True))


def _packed(parts: list) -> list[PackedRows]:
    """Tuples, arrays and packed rows as packed rows (tuples and arrays as one part)."""
    packed = [p for p in parts if isinstance(p, PackedRows)]
    arrays = [np.asarray(p, dtype=np.int64).reshape(-1, 3) for p in parts
              if isinstance(p, np.ndarray)]
    tuples = [p for p in parts if not isinstance(p, (PackedRows, np.ndarray))]
    if tuples:
        arrays.append(np.array(tuples, dtype=np.int64).reshape(-1, 3))
    if arrays:
        packed.append(pack_rows(np.concatenate(arrays)))
    return packed


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
