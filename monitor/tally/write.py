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

from ..store import Database


class StaleTallyError(ValueError):
    """The batch was counted under a lexicon (or terms) that changed meanwhile."""


@dataclass
class Batch:
    """Rows of some documents for some lexicons, as counted.

    ``counts``: ``(term_id, document_id, n)``; ``categories``: ``(category_id,
    document_id, n)``; ``fingerprints``: lexicon id -> the fingerprint counted under;
    ``documents``: every document scanned (also those with no match).
    """

    documents: list[int] = field(default_factory=list)
    counts: list[tuple[int, int, int]] = field(default_factory=list)
    categories: list[tuple[int, int, int]] = field(default_factory=list)
    fingerprints: dict[int, str] = field(default_factory=dict)

    def extend(self, documents: list[int], counts: list, categories: list) -> None:
        self.documents += documents
        self.counts += counts
        self.categories += categories

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
            for table, rows in (("terms", batch.counts), ("categories", batch.categories)):
                ids = json.dumps(sorted({row[0] for row in rows}))
                if conn.execute(f"SELECT count(*) FROM json_each(?) WHERE value NOT IN"
                                f" (SELECT id FROM {table})", (ids,)).fetchone()[0]:
                    raise StaleTallyError(
                        f"a lexicon's {table} changed during the tally; run it again")
            docs = json.dumps(sorted(set(batch.documents)))
            gone = {r[0] for r in conn.execute(
                "SELECT value FROM json_each(?) WHERE value NOT IN (SELECT id FROM documents)",
                (docs,))}
            counts, categories, documents = batch.counts, batch.categories, batch.documents
            if gone:
                counts = [r for r in counts if r[1] not in gone]
                categories = [r for r in categories if r[1] not in gone]
                documents = [d for d in documents if d not in gone]
            # in key order: each term's rows are appended to its range of the b-tree
            counts.sort()
            categories.sort()
            conn.executemany(
                "INSERT OR REPLACE INTO counts (term_id, document_id, count) VALUES (?, ?, ?)",
                counts)
            conn.executemany(
                "INSERT OR REPLACE INTO category_counts (category_id, document_id, count)"
                " VALUES (?, ?, ?)", categories)
            conn.executemany(
                "INSERT OR REPLACE INTO tallied (lexicon_id, document_id, fingerprint)"
                " VALUES (?, ?, ?)",
                [(lid, doc, fp) for lid, fp in sorted(batch.fingerprints.items())
                 for doc in sorted(documents)])
            return len(documents)
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


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
