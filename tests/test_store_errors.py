"""One-line errors for database trouble: locked, read-only, full, foreign, newer, damaged;
runs of dead processes marked aborted."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from small_fs import make_readonly, readonly_file, tmpfs

from monitor.cli import main
from monitor.documents import Document
from monitor.store import SCHEMA_VERSION, Database, StoreError
from monitor.store.schema import MIGRATIONS

MONITOR = [sys.executable, "-m", "monitor"]


def cli(db: Path, *args: str):
    return CliRunner().invoke(main, ["--db", str(db), *args])


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, output
    assert "Traceback" not in output
    return lines[0]


def runs(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT command, status, message FROM runs ORDER BY id").fetchall()


@pytest.fixture
def texts(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        (folder / f"d{i}.txt").write_text(f"security speech number {i} on culture")
    return folder


def test_a_held_write_lock_waits_with_a_note_then_names_the_holder(tmp_path, texts):
    db = tmp_path / "m.db"
    Database(db).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time\n"
         f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
         "c.execute('BEGIN IMMEDIATE'); print('held', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        done = subprocess.run([*MONITOR, "--db", str(db), "ingest", str(texts)],
                              capture_output=True, text=True,
                              env={**os.environ, "MONITOR_BUSY_TIMEOUT": "3"})
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 2
    assert "note:" in done.stderr and "waiting up to 1 s more for the write lock" in done.stderr
    line = one_error_line(done.stderr)
    assert "database is locked: waited 3 s" in line
    if Path("/proc/locks").exists():
        assert f"process {holder.pid} (-c import sqlite3" in line
    assert waited >= 3
    again = subprocess.run([*MONITOR, "--db", str(db), "ingest", str(texts)],
                           capture_output=True, text=True)
    assert again.returncode == 0 and "added 3" in again.stdout


def test_a_lock_released_in_time_is_waited_for(tmp_path, texts):
    db = Database(tmp_path / "m.db", busy_timeout=10)
    other = sqlite3.connect(tmp_path / "m.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    notes: list[str] = []
    db.notify = notes.append
    import threading

    threading.Timer(2.5, lambda: other.execute("COMMIT")).start()
    db.add_documents([Document(text="waited for", source="s")])
    assert db.document_count() == 1 and len(notes) == 1 and "waiting up to 8 s" in notes[0]
    other.close()


def test_a_newer_schema_is_one_line(tmp_path):
    path = tmp_path / "m.db"
    Database(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    result = cli(path, "sources")
    assert result.exit_code == 2
    assert one_error_line(result.output) == (
        f"error: {path}: schema version 99 is newer than this tool ({SCHEMA_VERSION}); "
        "upgrade rhetoric-monitor")


def test_a_file_that_is_not_a_database(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes\n" * 100)
    result = cli(path, "ingest", str(path))
    assert result.exit_code == 2
    assert "not a SQLite database" in one_error_line(result.output)
    assert path.read_text() == "these are my notes\n" * 100


def test_another_applications_database_is_not_mixed_with_ours(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    result = cli(path, "sources")
    assert result.exit_code == 2
    assert "a SQLite database of another application (tables photos)" in one_error_line(
        result.output)
    with sqlite3.connect(path) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["photos"]


def _damage(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    with open(path, "r+b") as f:
        for page in range(3, pages):
            f.seek(page * 4096 + 100)
            f.write(b"\xff" * 200)


def test_a_damaged_database_fails_in_one_line_naming_doctor(tmp_path, texts):
    path = tmp_path / "m.db"
    (texts / "big.txt").write_text("\n".join(f"security line {i}" for i in range(3000)))
    assert cli(path, "ingest", str(texts)).exit_code == 0
    _damage(path)
    (tmp_path / "new.txt").write_text("a new speech on security")
    result = cli(path, "ingest", str(tmp_path / "new.txt"))
    assert result.exit_code == 2
    line = one_error_line(result.output)
    assert "the database is damaged" in line and "monitor doctor" in line
    result = cli(path, "tally", "--lexicon", "power")
    assert result.exit_code == 2 and "monitor doctor" in one_error_line(result.output)


def test_a_read_only_folder_reads_and_refuses_writes_in_one_line(tmp_path, texts):
    with tmpfs(tmp_path / "fs", "4m") as fs:
        path = fs / "m.db"
        assert cli(path, "ingest", str(texts)).exit_code == 0
        assert cli(path, "tally", "--lexicon", "power").exit_code == 0
        make_readonly(fs)
        result = cli(path, "counts", "security")
        assert result.exit_code == 0 and "security" in result.output
        assert "in   " in cli(path, "sources").output
        (tmp_path / "new.txt").write_text("a new speech on security")
        result = cli(path, "ingest", str(tmp_path / "new.txt"))
        assert result.exit_code == 2
        assert "cannot write: the database is read-only" in one_error_line(result.output)
        db = Database(path)
        assert db.readonly and db.document_count() == 3
        db.close()


def test_a_read_only_file_reads_and_refuses_writes_in_one_line(tmp_path, texts):
    path = tmp_path / "m.db"
    assert cli(path, "ingest", str(texts)).exit_code == 0
    (tmp_path / "new.txt").write_text("a new speech on security")
    with readonly_file(path):
        assert "in   " in cli(path, "sources").output
        result = cli(path, "ingest", str(tmp_path / "new.txt"))
        assert result.exit_code == 2
        assert "cannot write: the database is read-only" in one_error_line(result.output)
    assert cli(path, "ingest", str(tmp_path / "new.txt")).exit_code == 0


def test_a_full_disk_shows_the_real_cause_and_marks_the_run_failed(tmp_path, texts):
    with tmpfs(tmp_path / "fs", "1200k") as fs:
        path = fs / "m.db"
        assert cli(path, "ingest", str(texts)).exit_code == 0
        many = tmp_path / "many.jsonl"
        with open(many, "w") as f:
            for i in range(400):
                words = " ".join(f"w{(i * 7919 + j * 104729) % 99991:05d}x" for j in range(300))
                f.write(json.dumps({"id": i, "text": words}) + "\n")
        result = cli(path, "ingest", str(many))
        assert result.exit_code == 2
        line = one_error_line(result.output)
        assert "the disk is full" in line and "rollback" not in line
        assert runs(path)[-1][1] == "failed" and "disk is full" in runs(path)[-1][2]
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] < 403


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_runs_of_dead_processes_are_marked_aborted(db):
    host = socket.gethostname()
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        rows = [("dead", _dead_pid(), host, now), ("other host", 1, "elsewhere", now),
                ("alive", os.getpid(), host, "2000-01-01T00:00:00+00:00"),
                ("recycled pid", sleeper.pid, host, "2000-01-01T00:00:00+00:00")]
        db.conn.executemany("INSERT INTO runs (command, pid, host, started) VALUES (?,?,?,?)",
                            rows)
        db.start_run("ingest x")
    finally:
        sleeper.kill()
        sleeper.wait()
    status = dict(db.conn.execute("SELECT command, status FROM runs"))
    assert status == {"dead": "aborted", "other host": "running", "alive": "running",
                      "recycled pid": "aborted", "ingest x": "running"}
    assert db.conn.execute("SELECT pid, host FROM runs WHERE command = 'ingest x'"
                           ).fetchone() == (os.getpid(), host)


def test_a_killed_ingest_is_marked_aborted_by_the_next_run(tmp_path, texts):
    path = tmp_path / "m.db"
    Database(path).close()
    child = subprocess.Popen([sys.executable, "-c", "import os, signal\n"
                              "from monitor.store import Database\n"
                              f"Database({str(path)!r}).start_run('ingest big')\n"
                              "os.kill(os.getpid(), signal.SIGKILL)"])
    child.wait()
    assert runs(path)[0][1] == "running"
    assert cli(path, "ingest", str(texts)).exit_code == 0
    assert [r[:2] for r in runs(path)] == [("ingest big", "aborted"),
                                           (f"ingest {texts}", "ok")]


def test_the_runs_migration_keeps_rows_and_what_refers_to_them(tmp_path):
    path = tmp_path / "v1.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
    conn.execute("INSERT INTO runs (command, started, status) VALUES ('ingest a', 'x', 'ok')")
    conn.execute("CREATE TABLE notes (run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE)")
    conn.execute("INSERT INTO notes VALUES (1)")
    conn.close()
    db = Database(path)
    assert db.conn.execute("SELECT command, status, pid FROM runs").fetchall() == [
        ("ingest a", "ok", None)]
    assert db.conn.execute("SELECT run_id FROM notes").fetchall() == [(1,)]
    db.conn.execute("UPDATE runs SET status = 'aborted'")
    with pytest.raises(sqlite3.IntegrityError):
        db.conn.execute("UPDATE runs SET status = 'lost'")
    assert db.conn.execute("PRAGMA foreign_keys").fetchone() == (1,)


def test_store_errors_are_store_errors_in_python(tmp_path):
    path = tmp_path / "x.db"
    path.write_bytes(b"\0" * 5000)
    with pytest.raises(StoreError, match="not a SQLite database"):
        Database(path)


def test_the_runs_migration_keeps_every_column_of_the_previous_schema(tmp_path):
    """Migration 11 rebuilds runs after every earlier one: whatever they added to runs (the
    sources of migration 4) is copied, and fetches and backfill shards still point at it."""
    path = tmp_path / "v6.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript("".join(MIGRATIONS[:6]) + "PRAGMA user_version = 6;")
    before = [row[1] for row in conn.execute("PRAGMA table_info(runs)")]
    conn.execute("INSERT INTO runs (command, started, finished, status, added, skipped, failed,"
                  " message, sources) VALUES ('fetch', 's', 'f', 'failed', 3, 2, 1, 'm',"
                  " '{\"un\": 3}')")
    conn.execute("INSERT INTO fetches (run_id, source, fetched_at) VALUES (1, 'un', 'x')")
    conn.execute("INSERT INTO lexicons (name, fingerprint, updated) VALUES ('p', 'f', 'u')")
    conn.execute("INSERT INTO backfill_shards (shard, version, lexicon_id, fingerprint,"
                 " documents, words, partial, run_id, loaded) VALUES"
                 " ('s.jsonl', 'v', 1, 'f', 1, 1, 'p', 1, 'l')")
    row = conn.execute(f"SELECT {', '.join(before)} FROM runs").fetchone()
    conn.close()
    db = Database(path)
    after = [r[1] for r in db.conn.execute("PRAGMA table_info(runs)")]
    assert set(before) <= set(after) and {"pid", "host"} <= set(after)
    assert db.conn.execute(f"SELECT {', '.join(before)} FROM runs").fetchone() == row
    assert db.conn.execute("SELECT run_id FROM fetches").fetchall() == [(1,)]
    assert db.conn.execute("SELECT run_id FROM backfill_shards").fetchall() == [(1,)]
    assert db.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    with pytest.raises(sqlite3.IntegrityError):  # the shard still refers to its run
        db.conn.execute("DELETE FROM runs")
    db.conn.execute("DELETE FROM backfill_shards")
    db.conn.execute("DELETE FROM runs")
    assert db.conn.execute("SELECT run_id FROM fetches").fetchall() == [(None,)]
