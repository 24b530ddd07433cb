"""One pass of the pipeline, as cron or the scheduler runs it: ``monitor run``.

Fetch every due source, tally what is new or updated with every lexicon, then write each
report that is due: the report of the last complete period (``[report] period``, weekly
by default) when its folder does not exist yet, so the Monday run writes last week's
report once and later runs leave it alone. All of it under the database's lock.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..fetch import FetchReport, fetch_sources
from ..report import build_report, load_config
from ..report.config import ConfigError
from ..sources.config import SourceConfigError, load_sources
from ..store import Database
from ..trends import periods
from .config import ScheduleConfig, load_schedule
from .lock import pipeline_lock

EXIT_OK, EXIT_FAILED, EXIT_CANNOT_RUN = 0, 1, 2


@dataclass
class RunResult:
    """What one pass did; ``errors`` are one-line messages (one per failed source...)."""

    fetch: FetchReport | None = None
    tallied: dict[str, int] = field(default_factory=dict)
    reports: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stopped: bool = False

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED if self.errors else EXIT_OK


def run_pipeline(
    db_path: str | os.PathLike[str], *, config: str | os.PathLike[str] | None = None,
    fetch: bool = True, tally: bool = True, reports: bool = True,
    due_only: bool = True, wait: float | None = None, today: date | None = None,
    stop: threading.Event | None = None, on_error: Callable[[str], None] | None = None,
    command: str = "run",
) -> RunResult:
    """Run the pipeline once under the lock. Raises ``LockBusy`` (another run held the
    lock past ``wait`` seconds) or ``SourceConfigError``/``ConfigError`` (a bad config)
    before anything is written; a failing source or report is an error line, not a raise.
    """
    sources = load_sources(config)
    schedule = load_schedule(config)
    report_config = load_config(config) if reports else None
    result = RunResult()

    def error(message: str) -> None:
        result.errors.append(message)
        if on_error is not None:
            on_error(message)

    wait = schedule.lock_wait if wait is None else wait
    with pipeline_lock(db_path, wait=wait, command=f"monitor {command}"), \
            Database(db_path) as db:
        if fetch and sources.sources:
            result.fetch = fetch_sources(db, sources, due_only=due_only, on_error=error,
                                         command=command, stop=stop)
        if stop is not None and stop.is_set():
            result.stopped = True
            return result
        if tally:
            result.tallied = _tally(db, error)
        if stop is not None and stop.is_set():
            result.stopped = True
            return result
        if reports and report_config is not None:
            result.reports = _reports(db, report_config, schedule, today, error)
    return result


def _tally(db: Database, error: Callable[[str], None]) -> dict[str, int]:
    from ..lexicon import LexiconError, named_lexicons
    from ..tally import tally_documents

    lexicons = []
    for name, file in named_lexicons().items():
        try:
            lexicons.append(file.load())
        except (LexiconError, ValueError) as exc:
            error(f"lexicon {name}: {exc}")
    if not lexicons:
        return {}
    run_id = db.start_run("tally " + " ".join(lex.name for lex in lexicons))
    try:
        report = tally_documents(db, lexicons)
    except ValueError as exc:
        db.finish_run(run_id, failed=1, message=str(exc))
        error(f"tally: {exc}")
        return {}
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM of monitor run: what was committed stays
        db.finish_run(run_id, failed=1, message="aborted: interrupted", status="aborted")
        raise
    db.finish_run(run_id, added=report.documents)
    return dict(report.scanned)


def due_report(db: Database, kind: str, out: Path, today: date | None = None) -> str | None:
    """The period whose report is due: the last complete one, unless its folder exists
    already; None too while nothing is tallied (a new database has nothing to report)."""
    key = periods.last_complete(kind, today)
    if (out / key).exists():
        return None
    if db.conn.execute("SELECT 1 FROM tallied LIMIT 1").fetchone() is None:
        return None
    return key


def _reports(db: Database, config, schedule: ScheduleConfig, today: date | None,
             error: Callable[[str], None]) -> list[Path]:
    key = due_report(db, config.period, schedule.reports, today)
    if key is None:
        return []
    try:
        return [build_report(db, period=config.period, for_=key, out=schedule.reports,
                             config=config)]
    except (ConfigError, ValueError) as exc:
        error(f"report {key}: {exc}")
        return []
    except Exception as exc:  # noqa: BLE001  (a bug in one report must not stop the run)
        error(f"report {key}: failed ({type(exc).__name__}: {exc})")
        return []


__all__ = ["EXIT_CANNOT_RUN", "EXIT_FAILED", "EXIT_OK", "RunResult", "SourceConfigError",
           "due_report", "run_pipeline"]
