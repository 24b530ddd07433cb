"""Worker processes with their own pipes: results in order, errors carried back, and a
killed worker (busy or idle, alone or with all the others) an error, never a hang."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from monitor.workers import WorkerLost, Workers


def _square_all(items: list[int]) -> list[int]:
    return [i * i for i in items]


def _fail_on(value: int) -> int:
    if value == 3:
        raise ValueError("three is not allowed")
    return value


def _slow(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def _pid() -> int:
    return os.getpid()


def _niceness() -> int:
    return os.nice(0)


def _echo(data: bytes) -> int:
    return len(data)


def test_workers_can_yield_to_their_parent_and_take_big_tasks_at_once():
    with Workers(1, nice=4) as workers:
        assert workers.result(workers.submit(_niceness)) == os.nice(0) + 4
    with Workers(1) as workers:
        assert workers.result(workers.submit(_niceness)) == os.nice(0)
        if sys.platform == "linux":  # the pipe holds a whole task of texts
            import fcntl

            assert fcntl.fcntl(workers._tasks[0].fileno(), fcntl.F_GETPIPE_SZ) >= 1 << 20
            sent = [workers.submit(_echo, b"x" * 600_000) for _ in range(2)]
            assert [workers.result(t) for t in sent] == [600_000, 600_000]


def test_results_come_back_in_order_from_every_worker():
    with Workers(2) as workers:
        assert list(workers.imap(_square_all, range(200), chunksize=7)) == [
            i * i for i in range(200)]
        assert workers.result(workers.submit(_slow, 0.05)) == 0.05
        tasks = [workers.submit(_pid) for _ in range(6)]
        seen = [workers.result(t) for t in tasks]
        assert set(seen) == set(workers.pids) and len(workers.pids) == 2


def test_an_error_in_a_task_is_raised_in_the_parent_and_the_workers_go_on():
    with Workers(2) as workers:
        tasks = [workers.submit(_fail_on, i) for i in range(6)]
        assert workers.result(tasks[0]) == 0
        with pytest.raises(ValueError, match="three is not allowed"):
            workers.result(tasks[3])
        assert [workers.result(t) for t in tasks[4:]] == [4, 5]


def test_results_of_an_abandoned_imap_are_dropped_not_kept():
    with Workers(2) as workers:
        left = workers.imap(_square_all, range(100), chunksize=10)
        assert next(left) == 0
        del left
        assert list(workers.imap(_square_all, range(40), chunksize=1)) == [
            i * i for i in range(40)]  # after those, on both workers
        assert workers._results == {} and not workers._dropped  # noqa: SLF001


def test_a_worker_killed_while_busy_is_one_error_naming_it():
    with Workers(2, name="tally", hint="run it again") as workers:
        task = workers.submit(_slow, 30)
        time.sleep(0.5)
        victim = workers.pids[workers._owner[task]]  # noqa: SLF001
        os.kill(victim, signal.SIGKILL)
        started = time.monotonic()
        with pytest.raises(WorkerLost) as lost:
            workers.result(task)
        assert time.monotonic() - started < 5
        assert str(lost.value) == (f"tally worker process {victim} ended before its work was "
                                   "done (killed by SIGKILL); run it again")


PARENT = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {tests!r})
    from test_workers import _slow
    from monitor.workers import Workers, WorkerLost
    with Workers(2) as workers:
        print(*workers.pids, flush=True)
        try:
            workers.result(workers.submit(_slow, 60))
        except WorkerLost as exc:
            print("lost:", exc, flush=True)
            sys.exit(3)
""")


@pytest.mark.parametrize("round_", range(3))
def test_a_sigterm_to_the_whole_process_group_ends_it_at_once(tmp_path, round_):
    """The standard Pool hangs here: an idle worker dies holding the task queue's lock.
    The parent, with SIGTERM's default action, dies too; with none (ignored), it sees the
    workers gone and says so."""
    child = subprocess.Popen(
        [sys.executable, "-c", "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
         + PARENT.format(tests=os.path.dirname(__file__))],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        cwd=os.path.dirname(os.path.dirname(__file__)))
    pids = [int(p) for p in child.stdout.readline().split()]
    assert len(pids) == 2
    time.sleep(0.1 * round_)
    os.killpg(child.pid, signal.SIGTERM)  # idle worker and busy worker alike
    try:
        out, err = child.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        pytest.fail("the parent hung after its workers were terminated")
    assert child.returncode == 3, err
    assert "ended before its work was done (killed by SIGTERM)" in out
    assert "Traceback" not in err


class _Unloadable:
    """Pickles, but does not unpickle (as an exception whose __init__ takes two values)."""

    def __reduce__(self):
        return (_refuse, ())


def _refuse():
    raise ValueError("cannot rebuild")


def _identity(value):
    return value


def test_a_message_that_does_not_unpickle_fails_its_own_task_only():
    with Workers(2) as workers:
        sent = workers.submit(_identity, _Unloadable())  # fails in the worker
        back = workers.submit(_refuse_later)  # its value fails in the parent
        fine = workers.submit(_identity, 7)
        for task in (sent, back):
            with pytest.raises(RuntimeError, match="cannot rebuild"):
                workers.result(task)
        assert workers.result(fine) == 7


def _refuse_later():
    return _Unloadable()


def test_after_a_failed_chunk_imap_stops_instead_of_skipping_it():
    with Workers(2) as workers:
        results = workers.imap(_fail_chunk, range(8), chunksize=2)
        assert [next(results), next(results)] == [0, 1]
        with pytest.raises(ValueError):
            next(results)
        with pytest.raises(StopIteration):
            next(results)
        assert list(workers.imap(_fail_chunk, [5, 6])) == [5, 6]


def _fail_chunk(chunk: list[int]) -> list[int]:
    if 3 in chunk:
        raise ValueError("three")
    return chunk


ORPHAN = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from test_workers import _slow
    from monitor.workers import Workers
    workers = Workers(3)
    tasks = [workers.submit(_slow, 0.2) for _ in range(3)]
    print(*workers.pids, flush=True)
    import time
    time.sleep(60)
""")


def test_workers_end_when_their_parent_is_killed():
    """A forked worker holds copies of the parent's pipe ends unless it closes them: then
    it never saw the end of its tasks and outlived a SIGKILLed parent for ever."""
    child = subprocess.Popen([sys.executable, "-c", ORPHAN.format(
        tests=os.path.dirname(__file__))], stdout=subprocess.PIPE, text=True,
        cwd=os.path.dirname(os.path.dirname(__file__)))
    pids = [int(p) for p in child.stdout.readline().split()]
    assert len(pids) == 3
    child.kill()
    child.wait()
    deadline = time.monotonic() + 10
    alive = pids
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in pids if os.path.exists(f"/proc/{p}")
                 and open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"]
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    assert not alive, "workers outlived their parent"
