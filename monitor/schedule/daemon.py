"""``monitor schedule``: a long-running APScheduler 3 ``BlockingScheduler``.

Two jobs from ``[schedule]``: *fetch* (fetch due sources, tally) and *report* (tally, write
due reports), each a crontab expression or ``every <duration>``. Jobs coalesce (a backlog
of missed runs fires once), never overlap (``max_instances = 1``, one worker thread, and
the same lock as ``monitor run`` from cron), and still run when missed by less than the
misfire grace time. SIGTERM or SIGINT stops the scheduler gracefully: the running job
finishes the source it is storing (one transaction), skips the rest, and the process exits
0 once it has.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from ..report.config import ConfigError
from ..sources.config import SourceConfigError
from .config import ScheduleConfig, load_schedule, trigger
from .lock import LockBusy
from .pipeline import run_pipeline

LOG = logging.getLogger("monitor.schedule")


def setup_logging(config: ScheduleConfig) -> logging.Handler:
    """Log to ``log_file`` (rotated at ``log_max_size``, ``log_backups`` kept) or stderr."""
    if config.log_file is not None:
        config.log_file.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            config.log_file, maxBytes=config.log_max_bytes, backupCount=config.log_backups,
            encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    for name, level in (("monitor.schedule", logging.INFO), ("apscheduler", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(level)
    return handler


def run_scheduler(db_path: str | os.PathLike[str],
                  config: str | os.PathLike[str] | None = None) -> int:
    """Run the scheduler until SIGTERM/SIGINT; returns the exit code (0 after a clean stop).

    Raises ``ScheduleConfigError`` (and the other config errors) before starting.
    """
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler

    schedule = load_schedule(config)
    where = str(schedule.path or "monitor.toml")
    triggers = {name: trigger(getattr(schedule, name), schedule.timezone,
                              f"{where}: schedule.{name}") for name in ("fetch", "report")}
    handler = setup_logging(schedule)
    stop = threading.Event()
    scheduler = BlockingScheduler(
        timezone=schedule.timezone, executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": int(schedule.misfire_grace)})

    def job(name: str) -> None:
        LOG.info("%s: started", name)
        try:
            result = run_pipeline(db_path, config=config, fetch=name == "fetch",
                                  reports=name == "report", stop=stop, command=name,
                                  on_error=lambda line: LOG.error("%s: %s", name, line))
        except LockBusy as exc:
            LOG.warning("%s: skipped: %s", name, exc)
            return
        except (SourceConfigError, ConfigError) as exc:
            LOG.error("%s: cannot run: %s", name, exc)
            return
        except Exception as exc:  # noqa: BLE001  (the daemon must outlive a bad run)
            LOG.error("%s: failed: %s: %s", name, type(exc).__name__, exc)
            return
        fetched = result.fetch
        LOG.info("%s: done%s: %d new, %d updated, %d errors%s%s", name,
                 " (stopped early)" if result.stopped else "",
                 fetched.new if fetched else 0, fetched.updated if fetched else 0,
                 len(result.errors),
                 "".join(f"; report {p}" for p in result.reports),
                 "" if not fetched or not fetched.not_due else
                 f"; not due: {', '.join(fetched.not_due)}")

    for name, when in triggers.items():
        scheduler.add_job(job, when, args=[name], id=name, name=name)

    def graceful(signum: int, _frame: Any) -> None:
        LOG.info("received %s: finishing the current transaction, then stopping",
                 signal.Signals(signum).name)
        stop.set()
        threading.Thread(target=scheduler.shutdown, kwargs={"wait": True},
                         daemon=True).start()

    previous = {sig: signal.signal(sig, graceful) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for name, when in triggers.items():
            LOG.info("job %s: %s (%s)", name, getattr(schedule, name), when)
        scheduler.start()  # blocks until shutdown
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        LOG.info("stopped")
        for name in ("monitor.schedule", "apscheduler"):
            logging.getLogger(name).removeHandler(handler)
    return 0


def systemd_unit(command: list[str], workdir: Path, user: str | None = None) -> str:
    """A systemd service unit that runs ``command`` (``monitor ... schedule``)."""
    import shlex

    lines = [
        "[Unit]",
        "Description=rhetoric-monitor scheduler (fetch, tally, reports)",
        "After=network-online.target",
        "Wants=network-online.target",
        "",
        "[Service]",
        "Type=simple",
        f"WorkingDirectory={workdir}",
        f"ExecStart={shlex.join(command)}",
        "Restart=on-failure",
        "RestartSec=60",
        "KillSignal=SIGTERM",
        "TimeoutStopSec=300",
    ]
    if user:
        lines.append(f"User={user}")
    lines += ["", "[Install]", "WantedBy=multi-user.target", ""]
    return "\n".join(lines)
