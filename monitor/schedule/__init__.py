"""Running the pipeline unattended: the lock that keeps runs from overlapping, ``monitor
run`` (fetch, ingest, tally, due reports) and the scheduler daemon."""

from __future__ import annotations

from .lock import LockBusy, pipeline_lock

__all__ = ["LockBusy", "pipeline_lock"]
