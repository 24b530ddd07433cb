"""The tally stage: scan stored documents with compiled lexicons and store per-term counts.

Incremental by design: a document is scanned for a lexicon only when it has no
``tallied`` row carrying that lexicon's current fingerprint. Editing a lexicon changes
its fingerprint, which drops its old counts and re-tallies every document for it;
other lexicons keep theirs. Documents with zero matches still get a ``tallied`` row.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .store import Database, utcnow

if TYPE_CHECKING:
    from .lexicon import Lexicon, Matcher

#: Documents a worker reads and scans per task; a few MB of text each.
CHUNK_DOCS = 256
#: Documents written per transaction, so a crash loses little and readers are not blocked.
COMMIT_DOCS = 5000
#: SQLite page cache while writing counts, in KiB.
TALLY_CACHE_KB = 256 * 1024


@dataclass
class TallyReport:
    """What a tally run did, per lexicon name: documents scanned and counts stored."""

    scanned: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def documents(self) -> int:
        return max(self.scanned.values(), default=0)


def sync_lexicons(db: Database, lexicons: Sequence[Lexicon]) -> dict[str, int]:
    """Record lexicons and their terms; drop the counts of any lexicon whose content changed.

    Returns ``{lexicon name: lexicon id}``. Names are unique: two files declaring the same
    name are an error, since their counts would mix.
    """
    seen: dict[str, str] = {}
    for lexicon in lexicons:
        where = str(lexicon.path or lexicon.name)
        if lexicon.name in seen:
            raise ValueError(
                f"{where}: lexicon name {lexicon.name!r} is also used by {seen[lexicon.name]};"
                " give one of them another `name:`"
            )
        seen[lexicon.name] = where
    ids: dict[str, int] = {}
    with db.transaction() as conn:
        for lexicon in lexicons:
            row = conn.execute(
                "SELECT id, fingerprint FROM lexicons WHERE name = ?", (lexicon.name,)
            ).fetchone()
            values = (lexicon.description, lexicon.language,
                      str(lexicon.path) if lexicon.path else None, lexicon.fingerprint, utcnow())
            if row is None:
                lexicon_id = conn.execute(
                    "INSERT INTO lexicons (description, language, path, fingerprint, updated,"
                    " name) VALUES (?, ?, ?, ?, ?, ?)", (*values, lexicon.name),
                ).lastrowid
            else:
                lexicon_id = row[0]
                if row[1] != lexicon.fingerprint:
                    conn.execute(
                        "DELETE FROM counts WHERE term_id IN"
                        " (SELECT id FROM terms WHERE lexicon_id = ?)", (lexicon_id,))
                    conn.execute("DELETE FROM tallied WHERE lexicon_id = ?", (lexicon_id,))
                conn.execute(
                    "UPDATE lexicons SET description = ?, language = ?, path = ?,"
                    " fingerprint = ?, updated = ? WHERE id = ?", (*values, lexicon_id),
                )
            _sync_terms(conn, lexicon_id, lexicon)
            ids[lexicon.name] = lexicon_id
    return ids


def _sync_terms(conn, lexicon_id: int, lexicon: Lexicon) -> None:
    wanted = {(t.category, t.label) for t in lexicon.terms}
    have = {
        (category, label): term_id
        for term_id, category, label in conn.execute(
            "SELECT id, category, label FROM terms WHERE lexicon_id = ?", (lexicon_id,))
    }
    gone = [(have[key],) for key in have.keys() - wanted]
    conn.executemany("DELETE FROM terms WHERE id = ?", gone)
    conn.executemany(
        "INSERT INTO terms (lexicon_id, category, label) VALUES (?, ?, ?)",
        [(lexicon_id, c, label) for c, label in sorted(wanted - have.keys())],
    )


def pending_documents(db: Database, lexicon_id: int, fingerprint: str) -> list[int]:
    """Ids of documents not yet tallied with this fingerprint, in id order."""
    rows = db.conn.execute(
        "SELECT id FROM documents WHERE id NOT IN (SELECT document_id FROM tallied"
        " WHERE lexicon_id = ? AND fingerprint = ?) ORDER BY id",
        (lexicon_id, fingerprint),
    )
    return [r[0] for r in rows]


def tally_documents(
    db: Database,
    lexicons: Sequence[Lexicon],
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> TallyReport:
    """Count every lexicon term in every document not yet tallied with that lexicon.

    ``workers`` defaults to the number of cores; ``progress`` is called with the number
    of documents finished after each chunk. Lexicons with the same pending documents
    share one compiled matcher, so the common case (new documents, all lexicons) is one
    pass over the text.
    """
    report = TallyReport()
    ids = sync_lexicons(db, lexicons)
    groups: dict[tuple[int, ...], list[Lexicon]] = {}
    for lexicon in lexicons:
        pending = tuple(pending_documents(db, ids[lexicon.name], lexicon.fingerprint))
        report.scanned[lexicon.name] = len(pending)
        report.counts[lexicon.name] = 0
        if pending:
            groups.setdefault(pending, []).append(lexicon)
    # Up to 256 MB of page cache (default 2 MB; it fills only as pages are read): the
    # inserts into the counts b-trees run twice as fast when their pages stay in memory.
    cache = db.conn.execute("PRAGMA cache_size").fetchone()[0]
    db.conn.execute(f"PRAGMA cache_size = {-TALLY_CACHE_KB}")
    try:
        for pending, group in groups.items():
            _tally_group(db, group, ids, list(pending), workers, progress, report)
    finally:
        db.conn.execute(f"PRAGMA cache_size = {int(cache)}")
    return report


def _tally_group(db, group, ids, pending, workers, progress, report) -> None:
    from .lexicon import Matcher

    matcher = Matcher(group)
    scanner = _Scanner(matcher, _term_ids(db, matcher, ids))
    group_ids = [ids[lex.name] for lex in group]
    fingerprints = {ids[lex.name]: lex.fingerprint for lex in group}
    count_rows: list[tuple[int, int, int]] = []
    tallied_rows: list[tuple[int, int, str]] = []
    for doc_ids, rows, stored in _scan(db, scanner, group, pending, workers):
        count_rows += rows
        for name, n in stored.items():
            report.counts[name] += n
        tallied_rows.extend((doc_id, lid, fingerprints[lid])
                            for doc_id in doc_ids for lid in group_ids)
        if len(tallied_rows) >= COMMIT_DOCS * len(group_ids):
            _write(db, count_rows, tallied_rows)
            count_rows, tallied_rows = [], []
        if progress:
            progress(len(doc_ids))
    _write(db, count_rows, tallied_rows)


def _term_ids(db: Database, matcher: Matcher, ids: dict[str, int]) -> list[int]:
    lookup = {
        (lexicon_id, category, label): term_id
        for term_id, lexicon_id, category, label in db.conn.execute(
            "SELECT id, lexicon_id, category, label FROM terms")
    }
    return [lookup[(ids[name], t.category, t.label)] for name, t in matcher.terms]


def _write(db: Database, count_rows: list, tallied_rows: list) -> None:
    """Insert a batch in one transaction.

    Per-row foreign-key checks would double the cost of the insert, so they are off for
    it; instead the batch's documents and terms are checked once each, inside the same
    transaction, and rows of a document deleted meanwhile are dropped.
    """
    if not tallied_rows:
        return
    conn = db.conn
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        with db.transaction():
            doc_ids = json.dumps(sorted({row[0] for row in tallied_rows}))
            gone = {r[0] for r in conn.execute(
                "SELECT value FROM json_each(?) WHERE value NOT IN (SELECT id FROM documents)",
                (doc_ids,))}
            term_ids = json.dumps(sorted({row[1] for row in count_rows}))
            if conn.execute("SELECT count(*) FROM json_each(?) WHERE value NOT IN"
                            " (SELECT id FROM terms)", (term_ids,)).fetchone()[0]:
                raise ValueError("a lexicon's terms changed during the tally; run it again")
            if gone:
                count_rows = [row for row in count_rows if row[0] not in gone]
                tallied_rows = [row for row in tallied_rows if row[0] not in gone]
            conn.executemany(
                "INSERT OR REPLACE INTO counts (document_id, term_id, count) VALUES (?, ?, ?)",
                count_rows,
            )
            conn.executemany(
                "INSERT OR REPLACE INTO tallied (document_id, lexicon_id, fingerprint)"
                " VALUES (?, ?, ?)", tallied_rows,
            )
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


# -- scanning, in this process or one worker per core -------------------------------
class _Scanner:
    """A matcher with the database ids of its terms: texts in, ``counts`` rows out.

    Workers build the rows themselves, so the writing process only inserts them.
    """

    def __init__(self, matcher: Matcher, term_ids: list[int]) -> None:
        self.matcher, self.term_ids = matcher, term_ids
        self.lexicon_of = [name for name, _ in matcher.terms]

    def rows(self, doc_ids: list[int], texts: list[str]) -> tuple[list, dict[str, int]]:
        rows: list[tuple[int, int, int]] = []
        stored: dict[str, int] = {}
        term_ids, lexicon_of = self.term_ids, self.lexicon_of
        for doc_id, text in zip(doc_ids, texts, strict=True):
            counts = self.matcher.count(text)
            for index in counts:
                stored[lexicon_of[index]] = stored.get(lexicon_of[index], 0) + 1
            # in primary-key order, so the insert appends to the table's b-tree
            rows += sorted((doc_id, term_ids[index], n) for index, n in counts.items())
        return rows, stored


_worker_scanner: _Scanner | None = None
_worker_conn = None


def _scan(
    db: Database, scanner: _Scanner, group: Sequence[Lexicon], pending: list[int],
    workers: int | None,
) -> Iterator[tuple[list[int], list[tuple[int, int, int]], dict[str, int]]]:
    """Yield (document ids, their count rows, rows per lexicon) chunk by chunk, in order."""
    global _worker_scanner
    chunks = [pending[i:i + CHUNK_DOCS] for i in range(0, len(pending), CHUNK_DOCS)]
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or len(chunks) <= 1 or str(db.path) == ":memory:":
        for chunk in chunks:
            yield chunk, *scanner.rows(chunk, _read_texts(db.conn, chunk))
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    _worker_scanner = scanner
    try:
        with context.Pool(workers, _init_worker,
                          (list(group), scanner.term_ids, str(db.path.resolve()))) as pool:
            yield from pool.imap(_scan_chunk, chunks)
    finally:
        _worker_scanner = None


def _init_worker(group: list[Lexicon], term_ids: list[int], db_path: str) -> None:
    """Build the scanner in a spawned worker (a forked one inherits the parent's)."""
    import sqlite3

    global _worker_scanner, _worker_conn
    if _worker_scanner is None:
        from .lexicon import Matcher

        _worker_scanner = _Scanner(Matcher(group), term_ids)
    _worker_conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=60)


def _scan_chunk(chunk: list[int]) -> tuple[list[int], list, dict[str, int]]:
    assert _worker_scanner is not None and _worker_conn is not None
    return chunk, *_worker_scanner.rows(chunk, _read_texts(_worker_conn, chunk))


def _read_texts(conn, chunk: list[int]) -> list[str]:
    rows = dict(conn.execute(
        "SELECT id, text FROM documents WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(chunk),),
    ))
    return [rows.get(i, "") for i in chunk]
