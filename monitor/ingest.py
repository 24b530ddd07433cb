"""Ingest files and folders into the store: the Python API behind ``monitor ingest``.

>>> from monitor.store import Database
>>> from monitor.ingest import FieldMap, ingest_paths
>>> report = ingest_paths(Database("db/monitor.db"), ["speeches/"],
...                       fields=FieldMap(date="year"))          # doctest: +SKIP
>>> report.summary()                                             # doctest: +SKIP
'added 120, skipped duplicates 0, failed 1'

Documents are written in batches (``batch_size`` per transaction), so memory stays flat
and an interrupted run keeps what was committed; re-running adds only what is missing.
Nothing stored is ever changed: duplicates (same source and external id, or same text)
are skipped.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .dates import parse_date
from .documents import Document, IngestError
from .sources import DEFAULT_MAX_BYTES, FieldMap, FileItem, ReadOptions, read_file, walk
from .sources.readahead import ReadAhead
from .store import Database, Preparer

__all__ = ["DEFAULT_MAX_BYTES", "FieldMap", "IngestReport", "ingest_paths", "parse_size"]

MAX_KEPT_ERRORS = 1000
#: SQLite page cache while ingesting, in KiB (default 2 MB): the duplicate checks and the
#: MinHash band rows are read and written at random, and with 2 MB half their pages were
#: read back from the file (a third less system time on the UN corpus).
INGEST_CACHE_KB = 32 * 1024
#: Chunks (of 32 files, documents, errors or byte counts) read ahead at most: more than
#: a batch, so the reading thread keeps a batch ready while SQLite writes the one before.
READ_AHEAD_CHUNKS = 24
_UNITS = {"": 1, "B": 1, "K": 1024, "KB": 1024, "M": 1024**2, "MB": 1024**2,
          "G": 1024**3, "GB": 1024**3}


@dataclass
class IngestReport:
    """What one ingest did. ``errors`` keeps the first ``MAX_KEPT_ERRORS``; ``failed``
    counts them all. ``ignored`` counts files in folders with unsupported extensions."""

    added: int = 0
    skipped: int = 0
    failed: int = 0
    ignored: int = 0
    errors: list[IngestError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    run_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def summary(self) -> str:
        line = f"added {self.added}, skipped duplicates {self.skipped}, failed {self.failed}"
        if self.ignored:
            line += f" (ignored {self.ignored} files of unsupported types)"
        return line


def parse_size(value: str | int) -> int:
    """Bytes in ``50MB``, ``512K``, ``1.5 GB`` or ``1000000`` (K/M/G are powers of 1024)."""
    text = str(value).strip().upper().replace(" ", "")
    number = text.rstrip("KMGB")
    unit = text[len(number):]
    try:
        size = int(float(number) * _UNITS[unit])
    except (ValueError, KeyError):
        raise ValueError(f"not a size: {value!r} (try 50MB, 512KB or a number of bytes)") from None
    if size <= 0:
        raise ValueError(f"size must be positive: {value!r}")
    return size


def ingest_paths(
    db: Database,
    paths: str | Path | Iterable[str | Path],
    *,
    source: str | None = None,
    date: str | int | None = None,
    title: str | None = None,
    language: str | None = None,
    fields: FieldMap | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    batch_size: int = 500,
    progress: bool = False,
    on_error: Callable[[IngestError], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    command: str | None = None,
    workers: int | None = None,
) -> IngestReport:
    """Read every file under ``paths`` and store its documents; see the README's Ingest.

    ``language`` is every document's language (else a record's ``language`` field or the
    page's ``lang``, else detected by the store). ``source``, ``date`` and ``title`` are
    fallbacks for documents that carry none
    (``source`` otherwise defaults to the folder name or file stem). ``on_error`` is called
    with each ``IngestError`` as it happens, ``on_warning`` with each warning (a dropped
    placeholder or impossible date, stored as undated: not a failure). The run is logged
    in the ``runs`` table. ``workers`` processes (default: one per core) normalise, hash
    and count the texts of big batches while this one stores them.
    Raises ``ValueError`` for an unparseable ``date``; bad input never raises.
    """
    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    parsed_date = None
    if date is not None and str(date).strip():
        parsed_date = parse_date(date)
        if parsed_date is None:
            raise ValueError(f"unparseable date: {date!r}")
    options = ReadOptions(source=source, title=title, date=parsed_date,
                          fields=fields or FieldMap(), max_bytes=max_bytes, language=language)
    report = IngestReport()
    report.run_id = db.start_run(command or "ingest " + " ".join(str(p) for p in paths))
    bar = None

    def warn(message: str) -> None:
        if len(report.warnings) < MAX_KEPT_ERRORS:
            report.warnings.append(message)
        if on_warning is not None:
            if bar is None:
                on_warning(message)
            else:
                with bar.external_write_mode(file=sys.stderr):
                    on_warning(message)

    def ignore(_: Path) -> None:
        report.ignored += 1

    def fail(error: IngestError) -> None:
        report.failed += 1
        if len(report.errors) < MAX_KEPT_ERRORS:
            report.errors.append(error)
        if on_error is not None:
            if bar is None:
                on_error(error)
            else:
                with bar.external_write_mode(file=sys.stderr):
                    on_error(error)

    completed, message, status = False, "aborted: interrupted", None
    db.preparer = Preparer(workers)
    cache = db.conn.execute("PRAGMA cache_size").fetchone()[0]
    db.conn.execute(f"PRAGMA cache_size = {-INGEST_CACHE_KB}")
    try:
        items = list(walk(paths, on_ignored=ignore))
        bar = _progress_bar(sum(getattr(item, "size", 0) for item in items), progress)
        batch: list[Document] = []
        location: str | None = None
        pending: list[tuple[list[Document], str | None]] = []

        def store(batch: list[Document], location: str | None) -> None:
            """Start preparing ``batch``, then store the one read before it: the workers
            prepare the next batch while this process inserts and indexes this one. A
            batch too small for the workers is stored at once."""
            ahead = db.prefetch(batch)
            if pending:
                _flush(db, *pending.pop(), report, fail, warn)
            if ahead:
                pending.append((batch, location))
            else:
                _flush(db, batch, location, report, fail, warn)

        current: FileItem | None = None
        done = 0  # bytes of the current file counted on the progress bar
        reading = _read_all(items, options, bar is not None)
        with ReadAhead(reading, ahead=READ_AHEAD_CHUNKS) as reader:
            db.during_long_statements = reader.allowed  # it reads while SQLite writes
            for event in reader:
                if isinstance(event, int):
                    done += event
                    bar.update(event)
                elif isinstance(event, IngestError):
                    fail(event)
                elif isinstance(event, FileItem):
                    _count_rest(bar, current, done)
                    here = str(event.root.resolve())
                    if batch and here != location:
                        store(batch, location)
                        batch = []
                    location, current, done = here, event, 0
                else:
                    batch.append(event)
                    if len(batch) >= batch_size:
                        store(batch, location)
                        batch = []
            _count_rest(bar, current, done)
            store(batch, location)
            if pending:
                _flush(db, *pending.pop(), report, fail, warn)
        if report.added:
            db.raise_if_damaged()  # never report success into a damaged file
        completed = True
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            status = "aborted"
        else:
            message = f"aborted ({type(exc).__name__}: {exc})"
        raise
    finally:
        db.during_long_statements = nullcontext
        db.conn.execute(f"PRAGMA cache_size = {int(cache)}")
        db.preparer.close()
        db.preparer = None
        if bar is not None:
            bar.close()
        db.finish_run(report.run_id, added=report.added, skipped=report.skipped,
                      failed=report.failed or int(not completed),
                      message=report.summary() if completed else message, status=status)
    return report


def _read_all(items: list[FileItem | IngestError], options: ReadOptions, counted: bool
              ) -> Iterator[FileItem | Document | IngestError | int]:
    """Each file, then its documents and errors; with ``counted``, the bytes read since
    the last document (ints), for the progress bar."""
    for item in items:
        yield item
        if isinstance(item, IngestError):
            continue
        read: list[int] = []
        for doc in read_file(item, options, on_read=read.append if counted else None):
            if read:
                yield sum(read)
                read.clear()
            yield doc
        if read:
            yield sum(read)


def _count_rest(bar: Any, item: FileItem | None, done: int) -> None:
    """The rest of a file read to its end (what its reader did not count) on the bar."""
    if bar is not None and item is not None and item.size > done:
        bar.update(item.size - done)


def _flush(db: Database, batch: list[Document], location: str | None, report: IngestReport,
           fail: Callable[[IngestError], None],
           warn: Callable[[str], None] = lambda _: None) -> None:
    """Store ``batch`` in one transaction, then empty it.

    If the store rejects a document (readers check, so this should not happen), the batch
    is rolled back and retried one document at a time so only that document fails.
    """
    if not batch:
        return
    try:
        report.added += (result := db.add_documents(batch, "files", location)).added
        report.skipped += result.skipped
        for warning in result.warnings:
            warn(warning)
    except ValueError:
        for doc in batch:
            try:
                result = db.add_documents([doc], "files", location)
            except ValueError as exc:
                fail(IngestError(doc.origin, str(exc).removeprefix(f"{doc.origin}: ")))
                continue
            report.added += result.added
            report.skipped += result.skipped
            for warning in result.warnings:
                warn(warning)
    batch.clear()


def _progress_bar(total: int, enabled: bool) -> Any:
    """A byte-counting tqdm bar on stderr that shows up only if the run lasts > 0.5 s."""
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc="ingest",
                file=sys.stderr, delay=0.5, dynamic_ncols=True, leave=False)

