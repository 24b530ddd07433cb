"""The per-document work of storing a document, in this process or in worker processes.

Before a document is inserted its text is normalised, hashed, its words counted, its
language detected (when the source gave none) and its MinHash signature computed (for
syndicated copies): a few milliseconds of Python per document, most of an ingest. For a
big batch, :class:`Preparer` does that work in one process per core while the writing
process inserts the documents already prepared, in order; the results are the same
values, computed by the same functions.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..text import content_hash, count_words, detect_language, normalise_text
from ..workers import Workers
from .search import cjk_pairs
from .textscan import count_words as fast_count_words

#: A batch with fewer documents is prepared in this process (workers would not pay).
PARALLEL_DOCS = 64
#: Documents sent to a worker at a time.
WORKER_CHUNK = 16
#: The workers' priority below the writing process, the critical path (see Workers).
WORKER_NICE = 10


@dataclass(frozen=True)
class Prepared:
    """What :meth:`Database.add_documents` stores besides the document's own fields."""

    text: str | None  # the normalised text; None when it equals the raw text (not sent back)
    content_hash: str
    word_count: int
    language: str | None  # detected; None when not asked for or not reliable
    signature: bytes | None  # MinHash signature (uint32 values), when clustering
    shingles: int  # its number of distinct shingles
    error: str | None = None  # why the text could not be prepared
    bands: list[int] | None = None  # the signature's LSH band hashes
    cjk: bool | None = None  # whether the text holds CJK characters (None: not known)


def prepare(item: tuple[str, bool, bool]) -> Prepared:
    """``(raw text, detect the language?, compute the signature?)`` -> :class:`Prepared`."""
    raw, detect, cluster = item
    try:
        return _prepare(raw, normalise_text(raw), detect, cluster)
    except (ValueError, TypeError) as exc:  # e.g. a lone surrogate: the caller says which
        return Prepared(raw, "", 0, None, None, 0, error=str(exc) or type(exc).__name__)


def _prepare(raw: str, text: str, detect: bool, cluster: bool) -> Prepared:
    digest = content_hash(text)
    words = fast_count_words(text)
    if words is None:
        words = count_words(text)
    signature, shingles, bands = None, 0, None
    if cluster and text:
        from .clusters import band_hashes, signature_and_size

        values, shingles = signature_and_size(text)
        signature, bands = values.tobytes(), band_hashes(values)
    return Prepared(None if text == raw else text, digest, words,
                    detect_language(text) if detect and text else None, signature, shingles,
                    bands=bands, cjk=cjk_pairs(None, text) is not None)


class Preparer:
    """Prepares documents in ``workers`` processes (default: one per core); a context
    manager that ends them. Small batches, and ``workers=1``, stay in this process."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool = None
        self._ahead: list[tuple[dict[int, int], list, Iterator[Prepared]]] = []

    def map(self, items: list[tuple[str, bool, bool]]) -> Iterator[Prepared]:
        """The prepared documents, in the order of ``items``, as they are ready: those
        :meth:`prefetch` started taken from the workers, the others prepared here."""
        for i, (index, ahead, results) in enumerate(self._ahead):
            if items and id(items[0][0]) in index:
                del self._ahead[:i + 1]  # older batches were stored without them
                return _take(items, index, ahead, results)
        if self.workers <= 1 or len(items) < PARALLEL_DOCS:
            return map(prepare, items)
        return self._start(items)

    def prefetch(self, items: list[tuple[str, bool, bool]]) -> bool:
        """Start preparing ``items`` (the texts of a batch to be stored next) while this
        process stores the batch before: a later :meth:`map` of them, or of some of them
        (those still new by then), takes the results. Two batches at most are ahead.
        False when not started: a small batch, or no workers."""
        if self.workers <= 1 or len(items) < PARALLEL_DOCS:
            return False
        self._ahead = self._ahead[-1:]
        self._ahead.append(({id(item[0]): i for i, item in enumerate(items)}, items,
                            self._start(items)))
        return True

    def _start(self, items: list[tuple[str, bool, bool]]) -> Iterator[Prepared]:
        if self._pool is None:
            _warm_up()  # what the workers use is imported here, once: forked, they share it
            gc.freeze()  # and the collector does not copy those pages in every worker
            self._pool = Workers(self.workers, name="ingest", hint=(
                "the documents stored so far stay: run monitor ingest again"), nice=WORKER_NICE)
        return self._pool.imap(_prepare_chunk, items, chunksize=WORKER_CHUNK)

    def close(self) -> None:
        self._ahead = []
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None
            gc.unfreeze()

    def __enter__(self) -> Preparer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _take(items: list[tuple[str, bool, bool]], index: dict[int, int], ahead: list,
          results: Iterator[Prepared]) -> Iterator[Prepared]:
    """The results of ``items`` from those of ``ahead`` (a superset, in the same order),
    skipping the others; an item not among them (or asked otherwise) prepared here."""
    position = 0
    for item in items:
        at = index.get(id(item[0]), -1)
        if at < position or ahead[at] != item or ahead[at][0] is not item[0]:
            yield prepare(item)
            continue
        for _ in range(at - position):
            next(results)
        position = at + 1
        yield next(results)


def _warm_up() -> None:
    from .clusters import signature_and_size
    from .textscan import _tables

    _tables()  # the character and CRC tables, built once (50 ms)
    signature_and_size("a few words to hash")  # draws the permutations
    detect_language("a few words to detect")  # loads CLD2


def _prepare_chunk(items: list[tuple[str, bool, bool]]) -> list[Prepared]:
    return [prepare(item) for item in items]


def prepare_all(preparer: Preparer | None, items: Iterable[tuple[str, bool, bool]]
                ) -> Iterator[Prepared]:
    items = list(items)
    return preparer.map(items) if preparer is not None else map(prepare, items)
