"""Bounded concurrency stress: two ingests, repeated tallies and sqlite-utils readers at
once. No "database is locked" reaches the user, no row is lost or doubled, and readers
never see half a batch. Then Ctrl-C and SIGTERM in the middle of an ingest."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import sqlite_utils
from crash_harness import LEXICON, canonical_dump, make_corpus

from monitor.store import Database

MONITOR = [sys.executable, "-m", "monitor"]


def default_sigint() -> None:
    """Ctrl-C as a terminal gives it: a process started with SIGINT ignored (as a test
    process may be, after a library set it so) keeps ignoring it, as Unix wants."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ingests_tallies_and_readers_at_once(tmp_path):
    env = {**os.environ, "MONITOR_CACHE": str(tmp_path / "cache"), "MONITOR_LEXICONS": ""}
    lexicon = tmp_path / "stress.yaml"
    lexicon.write_text(LEXICON)
    for name, seed in (("a", 1), ("b", 2)):
        make_corpus(tmp_path / name, seed, records=1000)
        (tmp_path / name / "more.csv").unlink()  # 1000 JSON lines + 20 texts each
    db = tmp_path / "stress.db"
    clean = tmp_path / "clean.db"
    for name in ("a", "b"):
        subprocess.run([*MONITOR, "--db", str(clean), "ingest", str(tmp_path / name),
                        "--source", name], env=env, check=True, capture_output=True)
    subprocess.run([*MONITOR, "--db", str(clean), "tally", "--lexicon", str(lexicon)], env=env,
                   check=True, capture_output=True)
    Database(db).close()
    seen: list[tuple[int, int]] = []
    stop = threading.Event()
    problems: list[str] = []

    def read() -> None:
        reader = sqlite_utils.Database(db)
        while not stop.is_set():
            try:
                docs = reader.execute("SELECT count(*) FROM documents").fetchone()[0]
                rows = reader.execute(
                    "SELECT count(*) FROM counts c JOIN terms t ON t.id = c.term_id"
                    " WHERE NOT EXISTS (SELECT 1 FROM tallied d WHERE d.lexicon_id ="
                    " t.lexicon_id AND d.document_id = c.document_id)").fetchone()[0]
            except sqlite3.Error as exc:  # a reader must never be refused
                problems.append(f"reader: {exc}")
                continue
            seen.append((docs, rows))
            time.sleep(0.01)
        reader.close()

    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in readers:
        thread.start()
    started = time.monotonic()
    writers = [subprocess.Popen([*MONITOR, "--db", str(db), "ingest", str(tmp_path / name),
                                 "--source", name], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    tallies = []
    while any(w.poll() is None for w in writers) or len(tallies) < 3:
        tallies.append(subprocess.run([*MONITOR, "--db", str(db), "tally", "--lexicon",
                                       str(lexicon)], env=env, capture_output=True, text=True))
    outputs = [w.communicate() for w in writers]
    tallies.append(subprocess.run([*MONITOR, "--db", str(db), "tally", "--lexicon",
                                   str(lexicon)], env=env, capture_output=True, text=True))
    stop.set()
    for thread in readers:
        thread.join()
    took = time.monotonic() - started
    for done, (out, err) in zip(writers, outputs, strict=True):
        assert done.returncode == 0 and "locked" not in err, err
        assert "added 1020, skipped duplicates 0, failed 0" in out
    for done in tallies:
        assert done.returncode == 0 and "locked" not in done.stderr, done.stderr
    assert not problems, problems[:3]
    # a batch is 500 documents: a reader sees whole batches only (the 20 texts come last)
    assert all(docs % 500 in (0, 20, 40) for docs, _ in seen), sorted({d for d, _ in seen})
    assert all(orphans == 0 for _, orphans in seen)
    assert len(seen) > 20 and took < 120
    assert canonical_dump(db) == canonical_dump(clean)


def _interrupt(tmp_path: Path, sig: int) -> tuple[subprocess.CompletedProcess, Path]:
    make_corpus(tmp_path / "corpus", 3, records=8000)
    db = tmp_path / "m.db"
    child = subprocess.Popen([*MONITOR, "--db", str(db), "ingest", str(tmp_path / "corpus")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=default_sigint)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.2)
        try:
            with sqlite3.connect(db) as conn:
                if conn.execute("SELECT count(*) FROM documents").fetchone()[0] >= 500:
                    break
        except sqlite3.Error:
            continue
    child.send_signal(sig)
    out, err = child.communicate(timeout=60)
    return subprocess.CompletedProcess(child.args, child.returncode, out, err), db


def test_sigterm_and_ctrl_c_during_an_ingest_end_in_one_line_and_abort_the_run(tmp_path):
    for sig, code, line in ((signal.SIGTERM, 143, "error: terminated (SIGTERM)"),
                            (signal.SIGINT, 130, "error: interrupted (Ctrl-C)")):
        here = tmp_path / str(code)
        done, db = _interrupt(here, sig)
        assert done.returncode == code, done.stderr
        assert done.stderr.strip().splitlines() == [line]
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT status, message FROM runs").fetchall() == [
                ("aborted", "aborted: interrupted")]
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] % 500 == 0

def _communicate(child: subprocess.Popen) -> str:
    """The child's stderr once it ends; one that hangs is killed with its workers (its
    own process group), so a failing test leaves nothing running."""
    try:
        return child.communicate(timeout=60)[1]
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        raise


def _stop(child: subprocess.Popen, sig: int, code: int, line: str) -> None:
    """Send ``sig`` as a user would (Ctrl-C reaches the whole process group); the command
    ends with exit ``code`` and the one line ``line`` on stderr."""
    if sig == signal.SIGINT:
        os.killpg(child.pid, sig)
    else:
        child.send_signal(sig)
    err = _communicate(child)
    assert child.returncode == code, err
    assert err.strip().splitlines() == [line], err



def _ingested(tmp_path: Path, seed: int, records: int) -> tuple[Path, Path]:
    """(database, lexicon file) of a generated corpus, ingested, for a tally to interrupt."""
    lexicon = tmp_path / "t.yaml"
    lexicon.write_text(LEXICON)
    make_corpus(tmp_path / "corpus", seed, records=records)
    db = tmp_path / "m.db"
    subprocess.run([*MONITOR, "--db", str(db), "ingest", str(tmp_path / "corpus")],
                   check=True, capture_output=True)
    return db, lexicon


def test_sigterm_and_ctrl_c_during_a_tally_end_in_one_line_and_abort_the_run(tmp_path):
    db, lexicon = _ingested(tmp_path, 4, records=20000)  # long enough to interrupt twice
    for sig, code, line in ((signal.SIGTERM, 143, "error: terminated (SIGTERM)"),
                            (signal.SIGINT, 130, "error: interrupted (Ctrl-C)")):
        child = subprocess.Popen([*MONITOR, "--db", str(db), "tally", "--lexicon", str(lexicon),
                                  "--workers", "2"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, start_new_session=True,
                                 preexec_fn=default_sigint)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.1)
            with sqlite3.connect(db) as conn:
                if conn.execute("SELECT count(*) FROM runs WHERE status = 'running'"
                                ).fetchone()[0]:
                    break
        _stop(child, sig, code, line)
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT status, message FROM runs ORDER BY id DESC LIMIT 1"
                                ).fetchone() == ("aborted", "aborted: interrupted")
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    done = subprocess.run([*MONITOR, "--db", str(db), "tally", "--lexicon", str(lexicon)],
                          capture_output=True, text=True)
    assert done.returncode == 0


def test_sigterm_and_ctrl_c_during_a_fetch_end_in_one_line_and_abort_the_run(tmp_path):
    from live_server import Answer, LiveServer, feed_bytes, write_config
    from shared_corpora import corpus_path

    corpus_path("feeds")
    server = LiveServer()

    def slow(out) -> None:  # a feed that trickles in, so the fetch is surely under way
        out.write(b'<?xml version="1.0"?>\n<rss version="2.0"><channel>')
        for _ in range(120):
            out.write(b" ")
            out.flush()
            time.sleep(0.25)

    try:
        fast = server.add("/npr.json", Answer(body=feed_bytes("npr-2021.json")))
        slow_url = server.add("/slow.rss", Answer(body=slow))
        config = write_config(tmp_path / "monitor.toml",
                              f'[[sources]]\nname = "npr"\nkind = "feed"\nurl = "{fast}"\n\n'
                              f'[[sources]]\nname = "slow"\nkind = "feed"\nurl = "{slow_url}"\n')
        for sig, code, line in ((signal.SIGTERM, 143, "error: terminated (SIGTERM)"),
                                (signal.SIGINT, 130, "error: interrupted (Ctrl-C)")):
            db = tmp_path / f"{code}.db"
            child = subprocess.Popen([*MONITOR, "--db", str(db), "fetch", "--config",
                                      str(config)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, start_new_session=True,
                                     preexec_fn=default_sigint)
            deadline, asked = time.monotonic() + 60, server.hits["/slow.rss"]
            while time.monotonic() < deadline and not (
                    server.hits["/slow.rss"] > asked and db.exists() and _documents(db) == 25):
                time.sleep(0.1)
            _stop(child, sig, code, line)
            with sqlite3.connect(db) as conn:
                (status, message), = conn.execute("SELECT status, message FROM runs")
                assert status == "aborted" and message.startswith("aborted: interrupted")
                assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 25
    finally:
        server.close()


def _documents(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    except sqlite3.Error:  # not created yet
        return 0


_CTRL_C_WHILE_IMPORTING = """\
import importlib.abc, os, runpy, signal, sys

class CtrlC(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "monitor.cli.tally":  # a Ctrl-C while the commands are imported
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None

signal.signal(signal.SIGINT, signal.default_int_handler)
sys.meta_path.insert(0, CtrlC())
sys.argv = ["monitor", "--version"]
runpy.run_module("monitor", run_name="__main__")
"""


def test_ctrl_c_while_the_command_starts_is_one_line_too(tmp_path):
    done = subprocess.run([sys.executable, "-c", _CTRL_C_WHILE_IMPORTING],
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (130, "error: interrupted (Ctrl-C)\n")
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    assert 'monitor = "monitor.entry:run"' in pyproject  # the console script starts there too


_CTRL_C_AFTER_THE_RUN_STARTED = """\
import signal, sys
from monitor.store import database

start = database.Database.start_run

def start_then_ctrl_c(self, command):
    start(self, command)
    raise KeyboardInterrupt  # after the row is committed, before the command's own handler

signal.signal(signal.SIGINT, signal.default_int_handler)
database.Database.start_run = start_then_ctrl_c
from monitor.entry import run
sys.argv = ["monitor", *sys.argv[1:]]
run()
"""


def test_a_ctrl_c_just_after_a_run_started_still_marks_it_aborted(tmp_path):
    (tmp_path / "a.txt").write_text("security first")
    db = str(tmp_path / "m.db")
    subprocess.run([*MONITOR, "--db", db, "ingest", str(tmp_path / "a.txt")], check=True,
                   capture_output=True)
    for command in (["tally", "--lexicon", "power"], ["ingest", str(tmp_path / "a.txt")]):
        done = subprocess.run([sys.executable, "-c", _CTRL_C_AFTER_THE_RUN_STARTED, "--db", db,
                               *command], capture_output=True, text=True, timeout=60)
        assert (done.returncode, done.stderr) == (130, "error: interrupted (Ctrl-C)\n")
        with sqlite3.connect(db) as conn:
            name, status, message = conn.execute(
                "SELECT command, status, message FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        assert name.startswith(command[0]) and (status, message) == ("aborted",
                                                                     "aborted: interrupted")


def test_a_tally_worker_terminated_alone_ends_the_tally_with_one_line_not_a_hang(tmp_path):
    """A worker stopped mid-chunk never sends its chunk back: the tally says so and stops,
    instead of waiting for it for ever."""
    db, lexicon = _ingested(tmp_path, 5, records=20000)
    child = subprocess.Popen([*MONITOR, "--db", str(db), "tally", "--lexicon", str(lexicon),
                              "--workers", "2"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    workers: list[int] = []
    deadline = time.monotonic() + 60
    while not workers and time.monotonic() < deadline:
        time.sleep(0.05)
        with open(f"/proc/{child.pid}/task/{child.pid}/children") as f:
            workers = [int(pid) for pid in f.read().split()]
    assert workers, "the tally started no worker"
    while time.monotonic() < deadline:  # busy with a chunk: 0.15 s of CPU
        with open(f"/proc/{workers[0]}/stat") as f:
            if int(f.read().rsplit(")", 1)[1].split()[11]) >= 0.15 * os.sysconf("SC_CLK_TCK"):
                break
        time.sleep(0.02)
    # mid-chunk, computing: stopped, and killed only if not inside a system call (one
    # killed while waiting for work or sending its rows would die holding a queue lock:
    # the known process-group-SIGTERM limit in the README, not what this test is about)
    for _ in range(500):
        os.kill(workers[0], signal.SIGSTOP)
        time.sleep(0.005)
        with open(f"/proc/{workers[0]}/syscall") as f:
            computing = f.read().split()[0] == "-1"  # stopped in user space, not a call
        if computing:
            break
        os.kill(workers[0], signal.SIGCONT)
        time.sleep(0.003)
    os.kill(workers[0], signal.SIGTERM)  # that chunk never comes back
    os.kill(workers[0], signal.SIGCONT)
    err = _communicate(child)
    assert child.returncode == 1, err
    assert err.strip().splitlines() == [
        f"error: tally worker process {workers[0]} ended before its work was done (killed by "
        "SIGTERM); the counts stored so far stay: run monitor tally again"], err
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM runs ORDER BY id DESC LIMIT 1").fetchone() == (
            "failed",)
    done = subprocess.run([*MONITOR, "--db", str(db), "tally", "--lexicon", str(lexicon)],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "Traceback" not in done.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM documents WHERE id NOT IN"
                            " (SELECT document_id FROM tallied)").fetchone() == (0,)
