"""Worker processes that share no lock: a killed worker never stops the others or the parent.

``multiprocessing.Pool`` hands tasks out through one queue guarded by a lock shared by all
workers; a worker killed while it holds that lock (a SIGTERM to the whole process group,
as ``systemd`` sends on stop, reaches idle workers waiting for work) leaves it held, and
the pool's teardown then waits for it for ever. Here each worker has its own pair of
pipes: the parent writes a task to one worker's pipe and reads results from each
worker's, so the death of a worker is only an end of file, reported as
:class:`WorkerLost`; and the death of the parent is an end of file for its workers, which
then end. In each worker a reader thread takes tasks off its pipe as they come and a
sender thread sends results back, so neither side ever waits for the other to read while
it writes. Every message is a task number and a pickle, so one that does not unpickle
fails its own task only.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import ForkingPickler
from typing import Any

_STOPS = {signal.SIGINT, signal.SIGTERM}
_HEADER = struct.Struct("<q?")  # task number, ok
#: How often a waiting parent calls its ``poll`` callback (seconds).
POLL_SECONDS = 0.25


def _pack(task: int, ok: bool, value: Any) -> bytes:
    return _HEADER.pack(task, ok) + ForkingPickler.dumps(value)


def _unpack(message: bytes) -> tuple[int, bool, Any]:
    """(task, ok, value); a value that does not unpickle is that task's error."""
    task, ok = _HEADER.unpack_from(message)
    try:
        return task, ok, ForkingPickler.loads(memoryview(message)[_HEADER.size:])
    except Exception as exc:
        return task, False, RuntimeError(f"{type(exc).__name__}: {exc}")


def _block_stops() -> Any:
    """Hold Ctrl-C and SIGTERM in this thread (where the platform can); the old mask."""
    if hasattr(signal, "pthread_sigmask"):
        return signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    return None


def _restore(mask: Any) -> None:
    if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


class WorkerLost(RuntimeError):
    """A worker process ended before its work was done (killed, out of memory)."""


class Workers:
    """``processes`` worker processes; each runs ``initializer(*initargs)`` once, then the
    tasks it is given. A context manager that ends them.

    ``name`` and ``hint`` make the one-line message of :class:`WorkerLost`; ``poll`` is
    called while the parent waits (a place to raise a held Ctrl-C). ``nice`` lowers the
    workers' priority: where the parent, which writes what they make, is the critical
    path and there are fewer cores than processes, it then keeps a core of its own.
    """

    def __init__(self, processes: int, initializer: Callable[..., None] | None = None,
                 initargs: tuple = (), *, name: str = "worker", hint: str = "",
                 poll: Callable[[], None] | None = None, context: Any = None,
                 nice: int = 0) -> None:
        if context is None:
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.name, self.hint, self._poll = name, hint, poll or (lambda: None)
        self._next = 0
        self._results: dict[int, tuple[bool, Any]] = {}
        self._owner: dict[int, int] = {}  # task -> worker index, while out
        self._dropped: set[int] = set()  # tasks out whose results nobody will read
        self._tasks: list[Connection] = []
        self._replies: list[Connection] = []
        self._processes: list = []
        fork = context.get_start_method() == "fork"
        try:
            for _ in range(max(processes, 1)):
                task_read, task_write = context.Pipe(duplex=False)
                reply_read, reply_write = context.Pipe(duplex=False)
                _widen(task_write)
                _widen(reply_write)
                # a forked child holds every descriptor of the parent: it closes the
                # parent's ends of its pipes and of its elder siblings', which would keep
                # them open after the parent died
                inherited = [task_write, reply_read, *self._tasks, *self._replies] if fork else []
                process = context.Process(target=_serve, daemon=True, args=(
                    task_read, reply_write, initializer, initargs, inherited, nice))
                # Ctrl-C and SIGTERM held over the fork (one that came before the worker
                # set its own handlers would run the parent's there) and until the worker
                # is on the lists terminate() ends
                held = _block_stops()
                try:
                    process.start()
                    self._tasks.append(task_write)
                    self._replies.append(reply_read)
                    self._processes.append(process)
                finally:
                    task_read.close()
                    reply_write.close()
                    _restore(held)
        except BaseException:
            self.terminate()
            raise

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._processes]

    def submit(self, func: Callable[..., Any], *args: Any) -> int:
        """Queue ``func(*args)`` on the least busy worker; returns the task's number."""
        loads = [0] * len(self._processes)
        for worker in self._owner.values():
            loads[worker] += 1
        worker = loads.index(min(loads))
        task = self._next
        self._next += 1
        try:
            self._tasks[worker].send_bytes(_pack(task, True, (func, args)))
        except (BrokenPipeError, ConnectionResetError, EOFError):
            self._lost(worker)
        self._owner[task] = worker
        return task

    def result(self, task: int) -> Any:
        """The value of task ``task`` (raising what it raised), waiting for it as needed."""
        while task not in self._results:
            if task not in self._owner:
                raise KeyError(f"no task {task} is out")
            self._poll()
            ready = wait(self._replies, timeout=POLL_SECONDS)
            self._poll()
            for reply in ready:
                worker = self._replies.index(reply)
                try:
                    message = reply.recv_bytes()
                except (EOFError, OSError):
                    self._lost(worker)
                done, ok, value = _unpack(message)
                self._owner.pop(done, None)
                if done in self._dropped:
                    self._dropped.discard(done)
                else:
                    self._results[done] = (ok, value)
        ok, value = self._results.pop(task)
        if not ok:
            raise value
        return value

    def imap(self, func: Callable[[list], list], items: Iterable[Any],
             chunksize: int = 1) -> Iterator[Any]:
        """``func(chunk)`` for each chunk of ``items``, every chunk submitted now; the
        results of each item in order, as they come. ``func`` maps a list to a list."""
        items = list(items)
        tasks: list[int] = []
        try:
            for i in range(0, len(items), chunksize):
                tasks.append(self.submit(func, items[i:i + chunksize]))
        except BaseException:
            for task in tasks:
                self.forget(task)
            raise
        return _InOrder(self, tasks)

    def forget(self, task: int) -> None:
        """Drop task ``task``'s result, now or when it comes."""
        if self._results.pop(task, None) is None and task in self._owner:
            self._dropped.add(task)

    def _lost(self, worker: int) -> None:
        process = self._processes[worker]
        try:
            process.join(timeout=1)
            code = process.exitcode
            if code is None:
                how = "its pipe closed"
            elif code < 0:
                try:
                    how = f"killed by {signal.Signals(-code).name}"
                except ValueError:
                    how = f"killed by signal {-code}"
                # a signal to the whole process group may reach this process a moment
                # after it ended the worker: then it is that signal the user sees
                time.sleep(0.05)
                self._poll()
            else:
                how = f"exit code {code}"
        finally:
            self.terminate()
        hint = f"; {self.hint}" if self.hint else ""
        raise WorkerLost(f"{self.name} worker process {process.pid} ended before its work "
                         f"was done ({how}){hint}")

    def close(self) -> None:
        """End the workers: at once if work is still out (its results would be dropped),
        else once they have seen the end of their tasks."""
        try:
            if not self._owner:
                for conn in self._tasks:
                    try:
                        conn.close()  # the end of file ends the worker
                    except OSError:
                        pass
                for process in self._processes:
                    process.join(timeout=5)
        finally:
            self.terminate()

    def terminate(self) -> None:
        """End the workers now (work still out is dropped)."""
        for process in self._processes:
            if process.exitcode is None:
                process.kill()
        for process in self._processes:
            process.join()
        for conn in self._tasks + self._replies:
            try:
                conn.close()
            except OSError:
                pass
        self._processes, self._tasks, self._replies = [], [], []
        self._owner.clear()
        self._results.clear()

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        if kind is None:
            self.close()
        else:
            self.terminate()


class _InOrder:
    """The results of an :meth:`Workers.imap`, item by item; those never read are
    dropped when it goes (a batch stored without them), not kept by the workers."""

    def __init__(self, workers: Workers, tasks: list[int]) -> None:
        self._workers, self._tasks = workers, tasks
        self._at = 0
        self._chunk: Iterator[Any] = iter(())

    def __iter__(self) -> _InOrder:
        return self

    def __next__(self) -> Any:
        while True:
            for value in self._chunk:
                return value
            if self._at >= len(self._tasks):
                raise StopIteration
            self._at += 1
            try:
                self._chunk = iter(self._workers.result(self._tasks[self._at - 1]))
            except BaseException:  # the items after a failed chunk are not given either
                self._forget_rest()
                raise

    def _forget_rest(self) -> None:
        for task in self._tasks[self._at:]:
            self._workers.forget(task)
        self._at = len(self._tasks)

    def __del__(self) -> None:
        self._forget_rest()


#: Bytes a pipe to or from a worker holds (Linux allows 1 MB without privileges; the
#: default is 64 KB).
PIPE_BYTES = 1 << 20


def _widen(conn: Connection) -> None:
    """Let the pipe hold a whole task of texts (an ingest sends ~300 KB at a time): with
    64 KB the parent waited for the worker to read each piece, which a busy worker's
    reader thread does only when it gets the GIL (~5 ms), and the parent, the critical
    path, stood still for 0.8 s of a 10 s ingest."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or a lower limit
        import fcntl

        fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _serve(tasks: Connection, replies: Connection, initializer: Callable[..., None] | None,
           initargs: tuple, inherited: list[Connection], nice: int = 0) -> None:
    """A worker: Ctrl-C is the parent's to handle, SIGTERM ends it quietly at once, and so
    does the end of its tasks (the parent closed them, or died)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)  # held since the fork
    for conn in inherited:
        conn.close()
    if nice:
        with contextlib.suppress(OSError):
            os.nice(nice)
    if initializer is not None:
        initializer(*initargs)
    inbox: queue.SimpleQueue = queue.SimpleQueue()
    outbox: queue.SimpleQueue = queue.SimpleQueue()

    def read() -> None:
        try:
            while True:
                inbox.put(tasks.recv_bytes())
        except BaseException:  # the end of file, or a broken pipe
            inbox.put(None)

    def send() -> None:
        while (message := outbox.get()) is not None:
            try:
                replies.send_bytes(message)
            except OSError:
                os._exit(0)  # the parent is gone

    threading.Thread(target=read, daemon=True).start()
    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    while (message := inbox.get()) is not None:
        task, ok, call = _unpack(message)
        try:
            if not ok:  # it did not unpickle: ``call`` is why
                raise call
            func, args = call
            reply = (task, True, func(*args))
        except Exception as exc:
            reply = (task, False, exc)
        # pickled here, not in the sender thread: big buffers freed in a thread's own
        # malloc arena stay with the process (+15 MB a worker in a dense tally)
        try:
            outbox.put(_pack(*reply))
        except Exception as exc:  # a value or an error that does not pickle
            outbox.put(_pack(task, False, RuntimeError(f"{type(exc).__name__}: {exc}")))
    outbox.put(None)
    sender.join()
    os._exit(0)  # no interpreter teardown: nothing is left to do
