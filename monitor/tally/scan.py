"""Scanning: texts in, rows out, in this process or one worker process per core.

Workers read their chunk's texts themselves (a read-only connection each), scan them and
build the rows, so the writing process only sorts and inserts. At most ``2 * workers``
chunks are in flight, so memory stays bounded however slow the writer is.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..lexicon import Lexicon, Matcher

Rows = tuple[list[int], list[tuple[int, int, int]], list[tuple[int, int, int]], dict[str, int]]


class Scanner:
    """A matcher with the database ids of its terms and categories."""

    def __init__(self, matcher: Matcher, term_ids: list[int], category_ids: list[int]) -> None:
        self.matcher, self.term_ids, self.category_ids = matcher, term_ids, category_ids
        self.lexicon_of = [name for name, _ in matcher.terms]

    def rows(self, doc_ids: list[int], texts: list[str]) -> Rows:
        """(documents, count rows, category rows, count rows per lexicon)."""
        counts: list[tuple[int, int, int]] = []
        categories: list[tuple[int, int, int]] = []
        stored: dict[str, int] = {}
        term_ids, category_ids, lexicon_of = self.term_ids, self.category_ids, self.lexicon_of
        tally = self.matcher.tally
        for doc_id, text in zip(doc_ids, texts, strict=True):
            found, totals = tally(text)
            for index in found:
                stored[lexicon_of[index]] = stored.get(lexicon_of[index], 0) + 1
            counts += [(term_ids[i], doc_id, n) for i, n in found.items()]
            categories += [(category_ids[i], doc_id, n) for i, n in totals.items()]
        counts.sort()
        categories.sort()
        return doc_ids, counts, categories, stored


_worker_scanner: Scanner | None = None
_worker_conn = None


def scan(db_path: str, conn, scanner: Scanner, group: Sequence[Lexicon], pending: list[int],
         chunk_docs: int, workers: int | None) -> Iterator[Rows]:
    """Yield the rows of ``pending`` chunk by chunk, in order."""
    global _worker_scanner
    chunks = [pending[i:i + chunk_docs] for i in range(0, len(pending), chunk_docs)]
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or len(chunks) <= 1 or db_path == ":memory:":
        for chunk in chunks:
            yield scanner.rows(chunk, read_texts(conn, chunk))
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    _worker_scanner = scanner
    try:
        with context.Pool(workers, _init_worker,
                          (list(group), scanner.term_ids, scanner.category_ids, db_path)) as pool:
            waiting: deque = deque()
            todo = iter(chunks)
            for chunk in todo:
                waiting.append(pool.apply_async(_scan_chunk, (chunk,)))
                if len(waiting) >= 2 * workers:
                    break
            while waiting:
                rows = waiting.popleft().get()
                nxt = next(todo, None)
                if nxt is not None:
                    waiting.append(pool.apply_async(_scan_chunk, (nxt,)))
                yield rows
    finally:
        _worker_scanner = None


def _init_worker(group: list[Lexicon], term_ids: list[int], category_ids: list[int],
                 db_path: str) -> None:
    """Build the scanner in a spawned worker (a forked one inherits the parent's)."""
    import sqlite3

    global _worker_scanner, _worker_conn
    if _worker_scanner is None:
        from ..lexicon import Matcher

        _worker_scanner = Scanner(Matcher(group), term_ids, category_ids)
    _worker_conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=60)


def _scan_chunk(chunk: list[int]) -> Rows:
    assert _worker_scanner is not None and _worker_conn is not None
    return _worker_scanner.rows(chunk, read_texts(_worker_conn, chunk))


def read_texts(conn, chunk: list[int]) -> list[str]:
    rows = dict(conn.execute(
        "SELECT id, text FROM documents WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(chunk),),
    ))
    return [rows.get(i, "") for i in chunk]
