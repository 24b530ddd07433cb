"""One writer of fetched data at a time: a lock file next to the database (filelock).

``monitor run``, ``monitor fetch`` and the scheduler's jobs take it. A second run waits up
to ``wait`` seconds, then gives up with :class:`LockBusy`, whose message names the
holder's PID, command and start time (kept in ``<db>.lock.json`` beside the lock). The lock
is an OS file lock (``flock``), so a holder that dies, even by ``kill -9``, releases it at
once: a stale lock is simply taken over, and its leftover ``.json`` rewritten.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock, Timeout

DEFAULT_WAIT = 60.0


class LockBusy(RuntimeError):
    """Another process held the lock for longer than we were willing to wait."""


def lock_path(db_path: str | os.PathLike[str]) -> Path:
    return Path(str(db_path) + ".lock")


def holder(db_path: str | os.PathLike[str]) -> dict | None:
    """Who holds (or last held) the lock: ``{"pid", "started", "command"}``, if known."""
    try:
        return json.loads(Path(str(lock_path(db_path)) + ".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@contextmanager
def pipeline_lock(db_path: str | os.PathLike[str], *, wait: float = DEFAULT_WAIT,
                  command: str | None = None) -> Iterator[None]:
    """Hold the database's pipeline lock for the ``with`` block, or raise ``LockBusy``."""
    path = lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path), thread_local=False)
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        info = holder(db_path) or {}
        who = (f"PID {info.get('pid', '?')}, {info.get('command') or 'monitor'!r},"
               f" started {info.get('started', '?')}")
        raise LockBusy(f"{db_path}: another run holds the lock ({who}); gave up after"
                       f" waiting {wait:g} s") from None
    info_path = Path(str(path) + ".json")
    try:
        info_path.write_text(json.dumps({
            "pid": os.getpid(),
            "started": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            "command": command or " ".join(["monitor", *sys.argv[1:]]),
        }), encoding="utf-8")
        yield
    finally:
        lock.release()
