"""Reading the next documents in a thread while the writer waits on SQLite.

An ingest's writing process spends half its time inside SQLite statements that hold no
Python lock (the full-text insert of a batch, its commit), and a sixth reading and parsing
the records to store next. :class:`ReadAhead` runs the reading in a thread, but only while
the caller lets it (:meth:`ReadAhead.allowed`, entered around those statements, and while
the caller waits for items): otherwise the two threads would take turns at Python's lock
between the writer's many short statements, each turn costing the writer up to the
interpreter's switch interval (5 ms).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")

_END = object()


class _Raised:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class ReadAhead(Generic[T]):
    """Iterates ``items`` in a thread, up to ``ahead`` chunks of ``chunk`` items ahead of
    the consumer, in order; an exception the items raise is raised to the consumer where
    it came. A context manager: leaving it (or :meth:`close`) stops the thread."""

    def __init__(self, items: Iterable[T], chunk: int = 32, ahead: int = 8) -> None:
        self._items = items
        self._chunk = chunk
        self._queue: queue.Queue = queue.Queue(maxsize=ahead)
        self._allowed = threading.Event()
        self._stopped = False
        self._thread = threading.Thread(target=self._read, name="monitor-read-ahead",
                                        daemon=True)

    def _read(self) -> None:
        try:
            chunk: list[T] = []
            for item in self._items:
                chunk.append(item)
                if len(chunk) >= self._chunk:
                    self._put(chunk)
                    chunk = []
                self._allowed.wait()
                if self._stopped:
                    return
            self._put(chunk)
            self._put(_END)
        except BaseException as exc:  # raised to the consumer, in its thread
            self._put(_Raised(exc))

    def _put(self, value: object) -> None:
        while not self._stopped:
            try:
                self._queue.put(value, timeout=0.1)
                return
            except queue.Full:
                continue

    def __iter__(self) -> Iterator[T]:
        if not self._thread.is_alive():
            self._thread.start()
        while True:
            try:
                value = self._queue.get_nowait()
            except queue.Empty:
                with self.allowed():  # nothing read yet: the reader may run meanwhile
                    value = self._queue.get()
            if value is _END:
                return
            if isinstance(value, _Raised):
                raise value.exc
            yield from value

    @contextmanager
    def allowed(self) -> Iterator[None]:
        """The reading thread runs while this is entered."""
        self._allowed.set()
        try:
            yield
        finally:
            self._allowed.clear()

    def close(self) -> None:
        self._stopped = True
        self._allowed.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def __enter__(self) -> ReadAhead[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
