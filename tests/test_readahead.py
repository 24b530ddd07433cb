"""ReadAhead: an ingest reads its next records in a thread, only while its writer waits
in SQLite (monitor/sources/readahead.py): in order, errors where they came, bounded."""

from __future__ import annotations

import threading
import time

import pytest

from monitor.sources.readahead import ReadAhead


class Counted:
    def __init__(self, n: int, fail_at: int | None = None) -> None:
        self.n, self.fail_at, self.made = n, fail_at, 0

    def __iter__(self):
        for i in range(self.n):
            if i == self.fail_at:
                raise OSError(f"unreadable at {i}")
            self.made += 1
            yield i


def test_every_item_comes_once_in_order():
    with ReadAhead(Counted(1000), chunk=7, ahead=2) as reader:
        assert list(reader) == list(range(1000))


def test_an_error_comes_after_the_items_before_it():
    got = []
    with ReadAhead(Counted(100, fail_at=40), chunk=8, ahead=2) as reader:
        with pytest.raises(OSError, match="unreadable at 40"):
            for item in reader:
                got.append(item)
    assert got == list(range(40))


def test_it_reads_only_while_allowed_and_at_most_ahead():
    items = Counted(10_000)
    with ReadAhead(items, chunk=10, ahead=3) as reader:
        it = iter(reader)
        assert next(it) == 0  # waited: allowed meanwhile
        time.sleep(0.1)
        settled = items.made
        time.sleep(0.3)
        assert items.made == settled  # not allowed: the thread waits
        with reader.allowed():
            time.sleep(0.3)
        assert settled < items.made <= 10 * (3 + 2) + 1  # the queue, a chunk, one item
        assert list(it) == list(range(1, 10_000))


def test_leaving_early_stops_the_thread():
    items = Counted(10**9)
    with ReadAhead(items, chunk=10, ahead=2) as reader:
        for item in reader:
            if item == 25:
                break
    assert not any(t.name == "monitor-read-ahead" and t.is_alive()
                   for t in threading.enumerate())
    assert items.made < 100
