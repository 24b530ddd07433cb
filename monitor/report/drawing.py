"""Draw a report's charts in worker processes while the report goes on.

A chart takes a good part of a second in matplotlib, which holds the GIL throughout, and a
report draws ten or more: one worker process per core (4 at most) draws them while the
main process reads the alerts and keywords in context from the database (on 2 cores,
100,000 documents: the report in less than half the time). One chart, or one core: drawn
in place.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from ..trends.series import Trend
from ..workers import Workers
from .charts import Event, chart


class ChartDrawer:
    """A ``with`` block that draws every chart given to :meth:`draw`: when the block ends
    they are all written, or the first chart's error is raised (a bad chart is not left
    undrawn in silence)."""

    def __init__(self, charts: int, processes: int | None = None) -> None:
        if processes is None:  # the cores this process may use; 4 at most (memory)
            cores = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                     else os.cpu_count() or 1)
            processes = min(charts, cores, 4)
        self._workers = Workers(processes, _outlive_sigterm, name="report chart",
                                hint="run monitor report again") if processes > 1 else None
        self._tasks: list[int] = []

    def draw(self, trend: Trend, path: Path, kind: str, title: str,
             events: list[Event] | None, labels: dict[str, str]) -> None:
        if self._workers is None:
            _draw(trend, path, kind, title, events, labels)
        else:
            self._tasks.append(self._workers.submit(_draw, trend, path, kind, title,
                                                    events, labels))

    def __enter__(self) -> ChartDrawer:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        if self._workers is None:
            return
        try:
            if kind is None:
                for task in self._tasks:
                    self._workers.result(task)
        finally:
            if kind is None:
                self._workers.close()
            else:
                self._workers.terminate()


def _outlive_sigterm() -> None:
    """A chart worker outlives a SIGTERM to the process group (systemd's stop): the
    scheduler finishes the report it is writing before it stops, and a CLI report that is
    stopped ends its workers itself (SIGKILL); a worker whose parent died ends at the end
    of its tasks."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _draw(trend: Trend, path: Path, kind: str, title: str, events: list[Event] | None,
          labels: dict[str, str]) -> None:
    chart(trend, path, kind=kind, title=title, events=events, labels=labels)
