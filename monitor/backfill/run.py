"""The backfill run: one Dask task per shard, partial results loaded as they finish."""

from __future__ import annotations

import logging
import posixpath
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..sources import ReadOptions
from ..store import Database
from ..tally import sync_lexicons
from .load import finished_partial, load_shard, loaded_shards
from .shards import Shard, find_shards
from .tasks import ShardResult, tally_shard

if TYPE_CHECKING:
    from ..lexicon import Lexicon


@dataclass
class Progress:
    """Handed to the progress callback after each shard."""

    shards_done: int
    shards: int
    documents: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.documents / self.seconds if self.seconds > 0 else 0.0


@dataclass
class BackfillReport:
    """What a backfill did. ``errors`` has one line per failed shard or record."""

    shards: int = 0
    tallied: int = 0  # shards tallied by this run
    resumed: int = 0  # shards whose finished partials were only loaded
    skipped: int = 0  # shards already in the store for every lexicon
    failed_shards: int = 0
    failed_records: int = 0
    duplicates: int = 0  # records left out: same id or text within a shard, another, or ingested
    documents: int = 0  # documents tallied by this run
    words: int = 0
    seconds: float = 0.0  # wall time of the tasks
    task_seconds: float = 0.0  # summed time of the tasks on the workers
    workers: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    run_id: int | None = None

    @property
    def ok(self) -> bool:
        return not (self.failed_shards or self.failed_records)

    @property
    def rate(self) -> float:
        """Documents per second over the run's wall time."""
        return self.documents / self.seconds if self.seconds > 0 else 0.0

    @property
    def rate_per_worker(self) -> float:
        """Documents per second of one worker busy on a task."""
        return self.documents / self.task_seconds if self.task_seconds > 0 else 0.0

    def summary(self) -> str:
        line = (f"backfilled {self.tallied + self.resumed} of {self.shards} shards"
                f" ({self.skipped} already done), {self.documents:,} documents tallied,"
                f" skipped duplicates {self.duplicates},"
                f" failed {self.failed_shards} shards and {self.failed_records} records")
        if self.documents:
            line += f"; {self.workers} workers, {self.rate:,.0f} documents/s"
        return line


def default_work_dir(db: Database) -> str:
    """Where partial results go by default: a folder beside the database file."""
    return str(db.path.with_name(db.path.name + ".backfill"))


def backfill(
    db: Database,
    shards: Sequence[str],
    lexicons: Sequence[Lexicon],
    *,
    options: ReadOptions | None = None,
    work: str | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Callable[[Progress], None] | None = None,
    on_error: Callable[[str], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    command: str = "backfill",
) -> BackfillReport:
    """Tally archive shards on Dask and load their aggregates into the store.

    ``shards`` are paths, globs, folders or fsspec URLs of JSON Lines or Parquet files;
    ``work`` is where partial results go (any fsspec URL the workers and this process
    share; default beside the database). ``scheduler`` is a Dask scheduler address, else
    a ``LocalCluster`` of ``workers`` processes (default: the cores) is started. A shard
    whose partial is finished is never tallied again; one already loaded is skipped.
    """
    import fsspec

    options = options or ReadOptions()
    report = BackfillReport()

    def error(line: str) -> None:
        report.errors.append(line)
        if on_error:
            on_error(line)

    def warn(line: str) -> None:
        report.warnings.append(line)
        if on_warning:
            on_warning(line)

    found, url_errors = find_shards(list(shards))
    for line in url_errors:
        report.failed_shards += 1
        error(line)
    report.shards = len(found) + len(url_errors)
    ids = sync_lexicons(db, lexicons)
    work = work or default_work_dir(db)
    fs, root = fsspec.core.url_to_fs(work)
    fs.makedirs(root, exist_ok=True)
    report.run_id = db.start_run(command)
    loaded = {lex.name: loaded_shards(db, ids[lex.name], lex.fingerprint) for lex in lexicons}
    known = {lex.name: (lex, ids[lex.name]) for lex in lexicons}
    todo: list[tuple[Shard, list[Lexicon]]] = []
    for shard in found:
        missing = [lex for lex in lexicons if loaded[lex.name].get(shard.url) != shard.version]
        if not missing:
            report.skipped += 1
            continue
        pending, finished = [], []
        for lex in missing:
            marker = finished_partial(fs, root, lex, shard)
            if marker is None:
                pending.append(lex)
            else:
                finished.append((lex, ids[lex.name], marker))
                report.failed_records += marker.get("failed", 0)
        if finished:
            copies, errors = load_shard(db, fs, root, shard, finished, report.run_id, known)
            report.duplicates += copies
            report.failed_shards += len(errors)
            for line in errors:
                error(line)
        if pending:
            todo.append((shard, pending))
        else:
            report.resumed += 1
    interrupted = False
    try:
        if todo:
            _run_tasks(db, todo, options, work, fs, root, known, scheduler, workers, progress,
                       error, warn, report)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the shards loaded so far stay
        interrupted = True
        raise
    finally:
        db.finish_run(report.run_id, added=report.documents, skipped=report.skipped,
                      failed=report.failed_shards + report.failed_records + interrupted,
                      message=("aborted: interrupted; " if interrupted else "")
                      + report.summary(), status="aborted" if interrupted else None)
    return report


def _default_source(shard: Shard, options: ReadOptions) -> str:
    if options.source:
        return options.source
    folder = posixpath.basename(posixpath.dirname(shard.url.split("://", 1)[-1]))
    return folder or shard.name.split(".")[0]


def _run_tasks(db, todo, options, work, fs, root, known, scheduler, workers, progress, error,
               warn, report) -> None:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        client = Client(scheduler, timeout="30s")
    else:
        workers = workers or _cores()
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.CRITICAL)
        client = Client(cluster)
    try:
        report.workers = len(client.scheduler_info(n_workers=-1).get("workers", {})) \
            if scheduler else workers
        started = time.perf_counter()
        futures = {
            client.submit(tally_shard, shard, lexicons, options,
                          _default_source(shard, options), work,
                          key=f"backfill-{shard.key}-{uuid.uuid4().hex[:8]}", pure=False): (
                shard, lexicons)
            for shard, lexicons in todo
        }
        done = 0
        for future in as_completed(futures):
            shard, lexicons = futures.pop(future)
            done += 1
            try:
                result: ShardResult = future.result()
            except Exception as exc:  # a worker died or the task broke: the shard fails alone
                report.failed_shards += 1
                error(f"{shard.url}: shard failed ({type(exc).__name__}: {_oneline(exc)})")
                continue
            finally:
                future.release()
            if result.error:
                report.failed_shards += 1
                error(result.error)
                continue
            finished = []
            for lex in lexicons:
                marker = finished_partial(fs, root, lex, shard)
                if marker is None:
                    report.failed_shards += 1
                    error(f"{shard.url}: the partial result is missing from {work}")
                    break
                finished.append((lex, known[lex.name][1], marker))
            else:
                copies, errors = load_shard(db, fs, root, shard, finished, report.run_id, known)
                report.duplicates += copies
                report.failed_shards += len(errors)
                for line in errors:
                    error(line)
                report.tallied += 1
            report.documents += result.documents
            report.words += result.words
            report.task_seconds += result.seconds
            report.failed_records += result.failed
            report.duplicates += result.duplicates
            for line in result.errors:
                error(line)
            for line in result.warnings:
                warn(line)
            if result.failed > len(result.errors):
                error(f"{shard.url}: {result.failed - len(result.errors)} more records failed")
            report.seconds = time.perf_counter() - started
            if progress:
                progress(Progress(done, len(todo), report.documents, report.seconds))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _oneline(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) < 300 else text[:297] + "..."


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)
