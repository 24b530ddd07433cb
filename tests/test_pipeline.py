"""``monitor run`` (cron), its lock, ``monitor cron`` and the ``monitor schedule`` daemon,
as real processes against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from live_server import Answer, LiveServer, rss, write_config

from monitor.cli import main
from monitor.schedule import LockBusy, pipeline_lock
from monitor.schedule.config import load_schedule, standard_weekdays
from monitor.trends import periods


@pytest.fixture
def server():
    live = LiveServer()
    yield live
    live.close()


ONE_CHART = '[report]\nperiod = "week"\n[[report.charts]]\nseries = ["power:security"]\n'


def last_week_items(n: int, prefix: str = "a") -> list[dict[str, str]]:
    """Entries dated inside the last complete week, so its report is due."""
    start = periods.start(periods.last_complete("week"), "week")
    when = datetime(start.year, start.month, start.day, 12, tzinfo=timezone.utc)
    return [{"title": f"{prefix} {i}", "link": f"http://x.example/{prefix}/{i}",
             "guid": f"{prefix}-{i}", "date": format_datetime(when + timedelta(hours=i)),
             "description": f"Security and culture, item {prefix} {i}. " * 5}
            for i in range(n)]


def monitor(*args: str, cwd: Path, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("MONITOR_CONFIG", None)
    return subprocess.Popen([sys.executable, "-m", "monitor", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def integrity(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM runs WHERE status = 'running'"
                            ).fetchone()[0] == 0
        dupes = conn.execute("SELECT count(*) - count(DISTINCT external_id) FROM documents"
                             ).fetchone()[0]
        assert dupes == 0
    finally:
        conn.close()


def test_run_is_quiet_writes_the_due_report_once_and_exits_by_outcome(tmp_path, server):
    good = server.add("/good.rss", Answer(body=rss(last_week_items(5))))
    dead = server.add("/dead.rss", Answer(404, b"gone"))
    config = write_config(tmp_path / "monitor.toml",
                          f'[[sources]]\nname = "good"\nurl = "{good}"\n' + ONE_CHART)
    db = tmp_path / "db" / "monitor.db"
    runner = CliRunner()
    base = ["--db", str(db), "run", "--config", str(config)]
    first = runner.invoke(main, base)
    assert first.exit_code == 0 and first.output == "", first.output
    week = periods.last_complete("week")
    report = tmp_path / "reports" / week
    assert (report / "index.html").is_file()
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 5
    assert conn.execute("SELECT count(DISTINCT document_id) FROM tallied").fetchone()[0] == 5
    stamp = (report / "index.html").stat().st_mtime_ns
    again = runner.invoke(main, base)
    assert again.exit_code == 0 and again.output == ""
    assert (report / "index.html").stat().st_mtime_ns == stamp  # not due any more
    config.write_text(config.read_text().replace(
        "[report]", f'[[sources]]\nname = "dead"\nurl = "{dead}"\n[report]'))
    failed = runner.invoke(main, base)
    assert failed.exit_code == 1
    lines = failed.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: dead:") and "HTTP 404" in lines[0]
    config.write_text("[[sources]]\nname = 1\n")
    bad = runner.invoke(main, base)
    assert bad.exit_code == 2 and "sources[1].name" in bad.output


def test_a_held_lock_makes_a_run_wait_then_exit_2_naming_the_holder(tmp_path):
    db = tmp_path / "monitor.db"
    config = write_config(tmp_path / "monitor.toml", "")
    with pipeline_lock(db, command="monitor test-holder"):
        started = time.monotonic()
        out = CliRunner().invoke(main, ["--db", str(db), "run", "--wait", "0.5", "--config",
                                        str(config)])
        assert time.monotonic() - started >= 0.5
        with pytest.raises(LockBusy):
            with pipeline_lock(db, wait=0):
                pass
    assert out.exit_code == 2
    assert f"PID {os.getpid()}" in out.output and "monitor test-holder" in out.output
    assert "started 20" in out.output


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path):
    db = tmp_path / "monitor.db"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom monitor.schedule import pipeline_lock\n"
        f"with pipeline_lock({str(db)!r}):\n    print('held', flush=True)\n"
        "    time.sleep(60)\n")], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(LockBusy, match=f"PID {holder.pid}"):
        with pipeline_lock(db, wait=0.2):
            pass
    holder.kill()
    holder.wait()
    with pipeline_lock(db, wait=2):
        pass


def test_two_runs_at_once_neither_corrupt_nor_double_insert(tmp_path, server):
    url = server.add("/slow.rss", Answer(body=rss(last_week_items(30)), delay=1.0))
    config = write_config(tmp_path / "monitor.toml",
                          f'[[sources]]\nname = "slow"\nurl = "{url}"\n'
                          '[schedule]\nreports = "out"\n' + ONE_CHART)
    db = tmp_path / "monitor.db"
    runs = [monitor("--db", str(db), "run", "--all-sources", "--wait", "30", "--config",
                    str(config), cwd=tmp_path) for _ in range(2)]
    codes = [p.wait(timeout=120) for p in runs]
    errors = [p.stderr.read() for p in runs]
    assert codes == [0, 0], errors
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 30
    fetch_runs = conn.execute("SELECT started, finished FROM runs WHERE command = 'run'"
                              " ORDER BY id").fetchall()
    assert len(fetch_runs) == 2 and fetch_runs[0][1] <= fetch_runs[1][0]  # one after the other
    conn.close()
    integrity(db)


def test_cron_line_and_systemd_unit(tmp_path):
    runner = CliRunner()
    db = tmp_path / "db.sqlite"
    line = runner.invoke(main, ["--db", str(db), "cron", "--config", str(tmp_path / "m.toml"),
                                "--log", str(tmp_path / "monitor.log")]).output.strip()
    assert line.startswith("0 * * * * cd ") and f"--db {db} run --config" in line
    assert line.endswith(f"2>> {tmp_path / 'monitor.log'}")
    unit = runner.invoke(main, ["--db", str(db), "schedule", "--print-systemd", "--config",
                                str(tmp_path / "m.toml")]).output
    assert "[Service]" in unit and f"--db {db} schedule --config" in unit
    assert "KillSignal=SIGTERM" in unit and "WantedBy=" in unit


def test_schedule_config_and_standard_weekdays(tmp_path):
    path = tmp_path / "monitor.toml"
    path.write_text('[schedule]\nreport = "0 6 * * 1"\ntimezone = "Asia/Shanghai"\n'
                    'log_file = "logs/m.log"\n', encoding="utf-8")
    config = load_schedule(path)
    assert config.timezone == "Asia/Shanghai" and config.log_file == tmp_path / "logs/m.log"
    assert standard_weekdays("1") == "mon" and standard_weekdays("0") == "sun"
    assert standard_weekdays("7") == "sun" and standard_weekdays("1-5") == "mon,tue,wed,thu,fri"
    from monitor.schedule.config import cron_trigger

    monday = cron_trigger("0 6 * * 1", "UTC").get_next_fire_time(
        None, datetime(2026, 12, 1, tzinfo=timezone.utc))
    assert monday.date() == date(2026, 12, 7) and monday.weekday() == 0
    for bad, message in (('fetch = "61 * * * *"', "schedule.fetch"),
                         ('timezone = "Mars/Base"', "not a time zone"),
                         ('fetch = "hourly"', "five fields")):
        path.write_text(f"[schedule]\n{bad}\n", encoding="utf-8")
        with pytest.raises(ValueError, match=message):
            load_schedule(path)


def test_scheduler_fires_jobs_and_stops_cleanly_on_sigterm(tmp_path, server):
    fast = server.add("/fast.rss", Answer(body=rss(last_week_items(3, "f"))))
    slow = server.add("/slow.rss", Answer(body=rss(last_week_items(3, "s")), delay=1.5))
    config = write_config(tmp_path / "monitor.toml",
                          f'[[sources]]\nname = "fast"\nurl = "{fast}"\nevery = "1s"\n'
                          f'[[sources]]\nname = "slow"\nurl = "{slow}"\nevery = "1s"\n'
                          '[schedule]\nfetch = "every 1s"\nreport = "every 1h"\n'
                          'log_file = "logs/monitor.log"\nmisfire_grace = "5s"\n' + ONE_CHART)
    db = tmp_path / "monitor.db"
    daemon = monitor("--db", str(db), "schedule", "--config", str(config), cwd=tmp_path)
    log = tmp_path / "logs" / "monitor.log"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the second fetch job is under way: mid-run
        text = log.read_text() if log.exists() else ""
        if text.count("fetch: started") >= 2 and server.hits["/slow.rss"] >= 2:
            break
        time.sleep(0.1)
    else:
        daemon.kill()
        pytest.fail(f"the scheduler did not fire twice: {daemon.stderr.read()}")
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=30) == 0, daemon.stderr.read()
    text = log.read_text()
    assert "fetch: done" in text and "received SIGTERM" in text and text.rstrip().endswith(
        "stopped")
    assert "Traceback" not in text
    integrity(db)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 6
