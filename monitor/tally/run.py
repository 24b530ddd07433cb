"""Running a tally: which documents need scanning for which lexicons, and the loop.

Incremental by design: a document is scanned for a lexicon only when it has no
``tallied`` row carrying that lexicon's current fingerprint. Editing a lexicon changes
its fingerprint, which drops its old counts and re-tallies every document for it;
other lexicons keep theirs. Documents with zero matches still get a ``tallied`` row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..store import Database, utcnow
from .scan import Scanner, scan
from .write import Batch, store_counts

if TYPE_CHECKING:
    from ..lexicon import Lexicon, Matcher

#: Documents a worker reads and scans per task; a few MB of text each.
CHUNK_DOCS = 256
#: Documents written per transaction, so a crash loses little and readers are not blocked.
COMMIT_DOCS = 1024
#: SQLite page cache while writing counts, in KiB.
TALLY_CACHE_KB = 16 * 1024


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
            values = (lexicon.description, ",".join(lexicon.languages) or None,
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
                    conn.execute(
                        "DELETE FROM category_counts WHERE category_id IN"
                        " (SELECT id FROM categories WHERE lexicon_id = ?)", (lexicon_id,))
                    conn.execute("DELETE FROM tallied WHERE lexicon_id = ?", (lexicon_id,))
                conn.execute(
                    "UPDATE lexicons SET description = ?, language = ?, path = ?,"
                    " fingerprint = ?, updated = ? WHERE id = ?", (*values, lexicon_id),
                )
            _sync_terms(conn, lexicon_id, lexicon)
            _sync_categories(conn, lexicon_id, lexicon)
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


def _sync_categories(conn, lexicon_id: int, lexicon: Lexicon) -> None:
    """Every level of the lexicon's category tree, parents before children."""
    from ..lexicon import category_paths

    wanted = list(dict.fromkeys(p for t in lexicon.terms for p in category_paths(t.category)))
    have = dict(conn.execute("SELECT path, id FROM categories WHERE lexicon_id = ?",
                             (lexicon_id,)))
    conn.executemany("DELETE FROM categories WHERE id = ?",
                     [(have.pop(path),) for path in sorted(have.keys() - set(wanted),
                                                           key=len, reverse=True)])
    for path in sorted(wanted, key=lambda p: p.count("/")):
        if path not in have:
            parent = have.get(path.rsplit("/", 1)[0]) if "/" in path else None
            have[path] = conn.execute(
                "INSERT INTO categories (lexicon_id, path, parent_id, depth) VALUES (?, ?, ?, ?)",
                (lexicon_id, path, parent, path.count("/") + 1)).lastrowid


def pending_documents(db: Database, lexicon_id: int, fingerprint: str,
                      languages: Sequence[str] = ()) -> list[int]:
    """Ids of documents not yet tallied with this fingerprint, in id order.

    A lexicon with ``languages`` applies only to documents of those languages and to
    documents of unknown language: others are never tallied for it, so they are not in
    its denominators either.
    """
    only, args = "", [lexicon_id, fingerprint]
    if languages:
        only = (" AND (language IS NULL OR language IN"
                " (SELECT value FROM json_each(?)))")
        args.append(json.dumps(list(languages)))
    # sorted here, not by ORDER BY: without it SQLite reads a small covering index
    # instead of every row of the table that holds the texts (3 ms, not 10-40 ms)
    rows = db.conn.execute(
        "SELECT id FROM documents WHERE id NOT IN (SELECT document_id FROM tallied"
        f" WHERE lexicon_id = ? AND fingerprint = ?){only}", args,
    )
    return sorted(r[0] for r in rows)


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
    with lexicon_locks(db, [lexicon.name for lexicon in lexicons]):
        return _tally(db, lexicons, workers, progress)


@contextmanager
def lexicon_locks(db: Database, names: Sequence[str]):
    """Hold, for the whole tally, a lock per lexicon beside the database file: a second
    tally of the same lexicon waits for the first (saying so) and then scans only what is
    left, so two tallies never do the same work twice, and a tally of an edited lexicon
    never runs beside one of its previous version. Locks die with their process."""
    if str(db.path) == ":memory:" or db.readonly:
        yield
        return
    import fcntl

    files = []
    try:
        for name in sorted(set(names)):  # one order for everyone: no deadlock
            path = db.path.with_name(f".{db.path.name}.tally-{name}.lock")
            f = open(path, "a+")  # noqa: SIM115 (held until the tally ends)
            files.append(f)
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if db.notify:
                    db.notify(f"waiting for another tally of lexicon {name!r} to finish "
                              f"(lock {path.name})")
                fcntl.flock(f, fcntl.LOCK_EX)
        yield
    finally:
        for f in files:
            f.close()


def _tally(db: Database, lexicons: Sequence[Lexicon], workers: int | None,
           progress: Callable[[int], None] | None) -> TallyReport:
    report = TallyReport()
    ids = sync_lexicons(db, lexicons)
    groups: dict[tuple[int, ...], list[Lexicon]] = {}
    for lexicon in lexicons:
        pending = tuple(pending_documents(db, ids[lexicon.name], lexicon.fingerprint,
                                          lexicon.languages))
        report.scanned[lexicon.name] = len(pending)
        report.counts[lexicon.name] = 0
        if pending:
            groups.setdefault(pending, []).append(lexicon)
    # Up to 16 MB of page cache (default 2 MB; it fills only as pages are read): the
    # inserts into the counts b-trees run twice as fast when the last page of each term's
    # range stays in memory; 40 MB took the same CPU on the dense 2,000-term lexicon and
    # 14 MB more memory (171 against 185 MB for all processes), 256 MB no less either.
    cache = db.conn.execute("PRAGMA cache_size").fetchone()[0]
    db.conn.execute(f"PRAGMA cache_size = {-TALLY_CACHE_KB}")
    try:
        for pending, group in groups.items():
            _tally_group(db, group, ids, list(pending), workers, progress, report)
    finally:
        db.conn.execute(f"PRAGMA cache_size = {int(cache)}")
    return report


def _tally_group(db, group, ids, pending, workers, progress, report) -> None:
    from ..lexicon import Matcher

    matcher = Matcher(group)
    scanner = Scanner(matcher, _term_ids(db, matcher, ids), _category_ids(db, matcher, ids))
    fingerprints = {ids[lex.name]: lex.fingerprint for lex in group}
    batch = Batch(fingerprints=fingerprints)
    path = str(db.path) if str(db.path) == ":memory:" else str(db.path.resolve())
    # closed on the way out of an interrupted write too: the worker pool then stops here,
    # not at interpreter exit (where its teardown can hang). Four commits' worth of chunks
    # ahead: with one, the workers (0.06 s a chunk with the shipped lexicons) ran dry while
    # a batch was written (~0.2 s) and the tally took 1.9-2.1 s instead of 1.8 s
    with closing(scan(path, db.conn, scanner, group, pending, CHUNK_DOCS, workers,
                      ahead=4 * (COMMIT_DOCS // CHUNK_DOCS))) as chunks:
        for doc_ids, counts, categories, stored in chunks:
            batch.extend(doc_ids, counts, categories)
            for name, n in stored.items():
                report.counts[name] += n
            if len(batch) >= COMMIT_DOCS:
                store_counts(db, batch)
                batch = Batch(fingerprints=fingerprints)
            if progress:
                progress(len(doc_ids))
    store_counts(db, batch)


def _term_ids(db: Database, matcher: Matcher, ids: dict[str, int]) -> list[int]:
    lookup = {
        (lexicon_id, category, label): term_id
        for term_id, lexicon_id, category, label in db.conn.execute(
            "SELECT id, lexicon_id, category, label FROM terms")
    }
    return [lookup[(ids[name], t.category, t.label)] for name, t in matcher.terms]


def _category_ids(db: Database, matcher: Matcher, ids: dict[str, int]) -> list[int]:
    lookup = {(lexicon_id, path): category_id for category_id, lexicon_id, path in
              db.conn.execute("SELECT id, lexicon_id, path FROM categories")}
    return [lookup[(ids[name], path)] for name, path in matcher.categories]
