"""Scanning: texts in, rows out, in this process or one worker process per core.

Workers read their chunk's texts themselves (a read-only connection each), scan them and
build the rows as compact arrays, so the writing process only inserts. At most ``2 *
workers + ahead`` chunks are in flight, so memory stays bounded however slow the writer
is; ``ahead`` (a few commits' worth of chunks) keeps the workers scanning while the
writer stores a batch.
"""

from __future__ import annotations

import gc
import json
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import repeat
from typing import TYPE_CHECKING

import numpy as np

from ..workers import Workers
from .write import PackedRows, pack_rows

if TYPE_CHECKING:
    from ..lexicon import Lexicon, Matcher

#: (documents, count rows, category rows, count rows per lexicon); the rows are
#: (term_id, document_id, n) and (category_id, document_id, n), packed for the insert
#: (:class:`~monitor.tally.write.PackedRows`: ~18 bytes a row; tuples of ints take ~100).
Rows = tuple[list[int], PackedRows, PackedRows, dict[str, int]]


class Scanner:
    """A matcher with the database ids of its terms and categories."""

    def __init__(self, matcher: Matcher, term_ids: list[int], category_ids: list[int]) -> None:
        self.matcher, self.term_ids, self.category_ids = matcher, term_ids, category_ids
        names = list(dict.fromkeys(name for name, _ in matcher.terms))
        self._lexicons = names
        self._lexicon_of = np.array([names.index(name) for name, _ in matcher.terms] or [0],
                                    dtype=np.int64)
        self._term_ids = np.array(term_ids or [0], dtype=np.int64)
        self._category_ids = np.array(category_ids or [0], dtype=np.int64)
        # per term, the categories its count adds to (all levels; none for nesting terms,
        # whose category totals come from their spans): -1 pads the shorter paths
        depth = max((len(c) for c in matcher.term_categories), default=1)
        levels = np.full((max(len(matcher.terms), 1), depth), -1, dtype=np.int64)
        for i, cats in enumerate(matcher.term_categories):
            if i not in matcher.nesting:
                levels[i, :len(cats)] = cats
        self._levels = levels

    def rows(self, doc_ids: list[int], texts: Iterable[str | bytes]) -> Rows:
        """The rows of these documents; category totals as :meth:`Matcher.tally` gives."""
        terms: list[int] = []
        counts: list[int] = []
        docs: list[int] = []
        cats: list[int] = []
        cat_counts: list[int] = []
        cat_docs: list[int] = []
        tally = self.matcher.tally_parts
        for k, text in enumerate(texts):
            found, nested = tally(text)
            terms += found
            counts += found.values()
            docs += repeat(k, len(found))
            if nested:
                cats += nested
                cat_counts += nested.values()
                cat_docs += repeat(k, len(nested))
        term = np.array(terms, dtype=np.int64)
        n = np.array(counts, dtype=np.int64)
        doc = np.array(docs, dtype=np.int64)
        ids = np.array(doc_ids, dtype=np.int64)
        stored = np.bincount(self._lexicon_of[term], minlength=len(self._lexicons))
        # category totals: each term's count into every level of its path, plus the
        # distinct spans of the nesting terms, summed per (document, category)
        keys, weights = [np.array(cat_docs, dtype=np.int64) * len(self.category_ids)
                         + np.array(cats, dtype=np.int64)], [np.array(cat_counts, np.int64)]
        for level in self._levels.T:
            cat = level[term]
            keep = cat >= 0
            keys.append(doc[keep] * len(self.category_ids) + cat[keep])
            weights.append(n[keep])
        unique, where = np.unique(np.concatenate(keys), return_inverse=True)
        totals = np.bincount(where, weights=np.concatenate(weights),
                             minlength=len(unique)).astype(np.int64)
        cat_doc, cat = np.divmod(unique, max(len(self.category_ids), 1))
        return (doc_ids, pack_rows(np.stack((self._term_ids[term], ids[doc], n), axis=1)),
                pack_rows(np.stack((self._category_ids[cat], ids[cat_doc], totals), axis=1)),
                {name: int(c) for name, c in zip(self._lexicons, stored, strict=True) if c})


#: Texts a worker reads at a time.
READ_DOCS = 32
_worker_scanner: Scanner | None = None
_worker_conn = None


def scan(db_path: str, conn, scanner: Scanner, group: Sequence[Lexicon], pending: list[int],
         chunk_docs: int, workers: int | None, ahead: int = 0) -> Iterator[Rows]:
    """Yield the rows of ``pending`` chunk by chunk, in order."""
    global _worker_scanner
    chunks = [pending[i:i + chunk_docs] for i in range(0, len(pending), chunk_docs)]
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or len(chunks) <= 1 or db_path == ":memory:":
        for chunk in chunks:
            yield scanner.rows(chunk, read_utf8(conn, chunk))
        return
    _worker_scanner = scanner
    gc.freeze()  # forked workers share the parent's objects: the collector would copy them
    try:
        # signals held from before the fork (a Ctrl-C inside the fork's hooks is lost) until
        # the workers are gone
        with _signals_deferred() as stopped, Workers(
                workers, _init_worker,
                (list(group), scanner.term_ids, scanner.category_ids, db_path),
                name="tally", hint="the counts stored so far stay: run monitor tally again",
                poll=stopped) as pool:
            waiting: deque[int] = deque()
            todo = iter(chunks)
            for chunk in todo:
                waiting.append(pool.submit(_scan_chunk, chunk))
                if len(waiting) >= 2 * workers + ahead:
                    break
            while waiting:
                rows = pool.result(waiting.popleft())
                nxt = next(todo, None)
                if nxt is not None:
                    waiting.append(pool.submit(_scan_chunk, nxt))
                stopped()  # a Ctrl-C or SIGTERM is raised here, between chunks
                yield rows
            stopped()
    finally:
        _worker_scanner = None
        gc.unfreeze()


@contextmanager
def _signals_deferred() -> Iterator[Callable[[], None]]:
    """Hold Ctrl-C and SIGTERM while the workers start and the parent talks to them;
    ``stopped()`` raises them.

    One that comes inside the fork's hooks would be lost, and one raised while a task is
    half-written to a worker's pipe would leave it unreadable; raised at ``stopped()`` it
    unwinds between messages. The handlers in place before (the CLI's) do the raising.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield lambda: None
        return
    caught: list[int] = []
    previous = {sig: handler for sig in (signal.SIGINT, signal.SIGTERM)
                if callable(handler := signal.getsignal(sig))}  # Python-level handlers only

    def hold(signum: int, frame: object) -> None:
        caught.append(signum)

    def stopped() -> None:
        if caught:
            previous[caught[0]](caught[0], None)
            raise KeyboardInterrupt

    for sig in previous:
        signal.signal(sig, hold)
    try:
        yield stopped
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    stopped()  # one that came while the workers were ended


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
    conn = _worker_conn
    # a few texts at a time: a worker holds ~1 MB of text, not the whole chunk's
    texts = (text for i in range(0, len(chunk), READ_DOCS)
             for text in read_utf8(conn, chunk[i:i + READ_DOCS]))
    return _worker_scanner.rows(chunk, texts)


def read_utf8(conn, chunk: list[int]) -> list[bytes]:
    """The texts of ``chunk`` as SQLite stores them (UTF-8): the matcher folds and scans
    the bytes, so most texts are never decoded whole (see monitor.lexicon.forms)."""
    rows = dict(conn.execute(
        "SELECT id, CAST(text AS BLOB) FROM documents"
        " WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(chunk),),
    ))
    return [rows.get(i) or b"" for i in chunk]
