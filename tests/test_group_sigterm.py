"""A SIGTERM to the whole process group (``kill -TERM -PGID``, systemd's default stop)
while ingest or tally workers run: one line, exit 143, the run aborted, never a hang; an
ingest worker killed alone: one line, exit 1, the run failed, what was stored kept.

With ``multiprocessing.Pool`` 1 in 10 such tallies hung: a worker killed while it waited
for work held the task queue's lock, and the pool's teardown waited for it for ever."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from crash_harness import LEXICON, make_corpus

MONITOR = [sys.executable, "-m", "monitor"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("group") / "corpus"
    make_corpus(folder, 8, records=20000)
    return folder


def _workers_of(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def _stop_group_after(child: subprocess.Popen, db: Path, delay: float) -> tuple[str, str]:
    """SIGTERM to the group ``delay`` seconds after the run's workers exist."""
    deadline = time.monotonic() + 60
    while len(_workers_of(child.pid)) < 2 and time.monotonic() < deadline:
        if child.poll() is not None:
            break
        time.sleep(0.02)
    time.sleep(delay)
    try:
        os.killpg(child.pid, signal.SIGTERM)
    except ProcessLookupError:  # it finished first
        pass
    try:
        return child.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        pytest.fail(f"hung after a group SIGTERM {delay} s in")


def _assert_ended_in_one_line(child: subprocess.Popen, out: str, err: str, db: Path,
                              summary: str) -> None:
    if child.returncode == 0:  # finished before the signal: nothing to check
        return
    assert child.returncode == 143, err
    assert err.strip().splitlines() == ["error: terminated (SIGTERM)"], err
    with sqlite3.connect(db) as conn:
        status = conn.execute("SELECT status FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # aborted, or (the signal came as the command returned) ended with all its work done
    assert status == ("aborted",) or (status == ("ok",) and summary in out), (status, out)


def test_a_group_sigterm_during_a_tally_ends_it_in_one_line(tmp_path, corpus):
    lexicon = tmp_path / "t.yaml"
    lexicon.write_text(LEXICON)
    ingested = tmp_path / "ingested.db"
    subprocess.run([*MONITOR, "--db", str(ingested), "ingest", str(corpus)], check=True,
                   capture_output=True)
    stopped = 0
    for delay in (0.0, 0.05, 0.15, 0.3, 0.6, 1.0):
        db = tmp_path / f"m{delay}.db"  # all to tally each time, however fast the last was
        with sqlite3.connect(ingested) as source, sqlite3.connect(db) as copy:
            source.backup(copy)
        child = subprocess.Popen([*MONITOR, "--db", str(db), "tally", "--lexicon",
                                  str(lexicon), "--workers", "2"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, start_new_session=True)
        out, err = _stop_group_after(child, db, delay)
        _assert_ended_in_one_line(child, out, err, db, "stored")
        stopped += child.returncode == 143
    assert stopped >= 4  # most were stopped while scanning
    done = subprocess.run([*MONITOR, "--db", str(db), "tally", "--lexicon", str(lexicon)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_sigterm_as_a_tally_closes_is_not_an_abort(tmp_path, corpus):
    """After the last line the database closes (a WAL checkpoint): a SIGTERM then used to
    reach click as "Aborted!" with exit 1 (10 times in 10), the run already ended."""
    lexicon = tmp_path / "t.yaml"
    lexicon.write_text(LEXICON)
    ingested = tmp_path / "ingested.db"
    subprocess.run([*MONITOR, "--db", str(ingested), "ingest", str(corpus)], check=True,
                   capture_output=True)
    for attempt in range(6):
        db = tmp_path / f"m{attempt}.db"
        with sqlite3.connect(ingested) as source, sqlite3.connect(db) as copy:
            source.backup(copy)
        child = subprocess.Popen([*MONITOR, "--db", str(db), "tally", "--lexicon",
                                  str(lexicon)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, start_new_session=True)
        last = child.stdout.readline()
        os.killpg(child.pid, signal.SIGTERM)
        out, err = child.communicate(timeout=30)
        _assert_ended_in_one_line(child, last + out, err, db, "stored")
        if child.returncode == 0:
            assert err == "", err
            with sqlite3.connect(db) as conn:
                assert conn.execute("SELECT status FROM runs ORDER BY id DESC LIMIT 1"
                                    ).fetchone() == ("ok",)


def test_a_group_sigterm_during_an_ingest_ends_it_in_one_line(tmp_path, corpus):
    stopped = 0
    for delay in (0.0, 0.2, 0.6):
        db = tmp_path / f"m{delay}.db"
        child = subprocess.Popen([*MONITOR, "--db", str(db), "ingest", str(corpus)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 start_new_session=True)
        out, err = _stop_group_after(child, db, delay)
        _assert_ended_in_one_line(child, out, err, db, "added")
        stopped += child.returncode == 143
    assert stopped >= 2


def test_an_ingest_worker_killed_alone_ends_the_ingest_with_one_line(tmp_path, corpus):
    db = tmp_path / "m.db"
    child = subprocess.Popen([*MONITOR, "--db", str(db), "ingest", str(corpus)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    deadline = time.monotonic() + 60
    while len(_workers_of(child.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    victim = _workers_of(child.pid)[0]
    os.kill(victim, signal.SIGKILL)
    err = child.communicate(timeout=60)[1]
    assert child.returncode == 1, err
    assert err.strip().splitlines() == [
        f"error: ingest worker process {victim} ended before its work was done (killed by "
        "SIGKILL); the documents stored so far stay: run monitor ingest again"], err
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM runs").fetchall() == [("failed",)]
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        kept = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    assert kept % 500 == 0  # whole batches only
    again = subprocess.run([*MONITOR, "--db", str(db), "ingest", str(corpus)],
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    clean = tmp_path / "clean.db"
    subprocess.run([*MONITOR, "--db", str(clean), "ingest", str(corpus)], check=True,
                   capture_output=True)
    counted = []
    for path in (db, clean):
        with sqlite3.connect(path) as conn:
            counted.append(conn.execute("SELECT count(*) FROM documents").fetchone()[0])
    assert counted[0] == counted[1] > kept  # the re-run stored the rest, nothing twice
