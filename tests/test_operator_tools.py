"""``monitor doctor``, ``monitor backup``, ``monitor export`` / ``import``."""

from __future__ import annotations

import gzip
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import main
from monitor.documents import Document
from monitor.lexicon import resolve_lexicon
from monitor.store import Database
from monitor.store.maintenance import backup_database, export_documents
from monitor.tally import tally_documents

DOCS = [
    Document(text="National security and culture.", source="un", title="One",
             published="2021-09-21", precision="day", external_id="un-1",
             meta={"country": "FRA", "session": 76}),
    Document(text="安全 and 国家安全 in a report", source="zh", published="2022", precision="year",
             external_id="zh-1", url="http://example.org/zh", language="zh"),
    Document(text="Undated secu\u200brity, with soft\u00ad hyphens", source="un",
             external_id="un-2"),
]


def cli(db: Path, *args: str):
    return CliRunner().invoke(main, ["--db", str(db), *args])


def make_db(path: Path) -> Database:
    db = Database(path)
    db.add_documents(DOCS[:2])
    db.add_documents(DOCS[2:], kind="feed", location="http://example.org/feed")
    tally_documents(db, [resolve_lexicon("power"), resolve_lexicon("security_zh")])
    return db


def levels(output: str) -> list[str]:
    return [line.split()[0] for line in output.splitlines()[:-1]]


def test_doctor_on_a_healthy_database(tmp_path):
    make_db(tmp_path / "m.db").close()
    result = cli(tmp_path / "m.db", "doctor")
    assert result.exit_code == 0, result.output
    assert set(levels(result.output)) == {"ok"}
    for check in ("integrity_check: ok", "full-text index matches", "schema version",
                  "every count belongs", "lexicon power: all ",
                  "write-ahead log", "free on the disk"):
        assert check in result.output
    assert result.output.splitlines()[-1] == "no problems"


def test_doctor_finds_each_problem_with_its_fix_and_repair_mends_the_safe_ones(tmp_path):
    path = tmp_path / "m.db"
    db = make_db(path)
    db.add_documents([Document(text="a new one on security", source="un")])
    db.conn.execute("INSERT INTO runs (command, started, pid, host) VALUES"
                    " ('tally', '2026-01-01T00:00:00+00:00', 999999999, ?)",
                    (__import__("socket").gethostname(),))
    with db.transaction():  # the kind of leftovers a buggy writer could leave
        db.conn.execute("DELETE FROM tallied WHERE document_id = 1")
    db.index_documents = lambda ids: None  # a writer that left the full-text index behind
    db.add_documents([Document(text="not in the index", source="un")])
    db.conn.execute("UPDATE tallied SET fingerprint = 'old' WHERE document_id = 3")
    db.close()
    result = cli(path, "doctor")
    assert result.exit_code == 1
    out = result.output
    assert "problem  full-text index does not match the documents" in out
    assert "count rows without a tallied row" in out and "--repair" in out
    assert "problem  lexicon power: 1 documents have counts from another version" in out
    assert re.search(r"problem  lexicon power: \d of \d documents not tallied -- fix: "
                     r"monitor tally --lexicon power", out)
    assert "runs marked running whose process is gone" in out
    assert out.splitlines()[-1].endswith("problems")
    repaired = cli(path, "doctor", "--repair")
    assert "repaired rebuilt the full-text index" in repaired.output
    assert "repaired marked 1 runs of dead processes aborted" in repaired.output
    assert "full-text index matches" in repaired.output
    assert "every count belongs" in repaired.output
    assert cli(path, "tally", "--lexicon", "power", "--lexicon", "security_zh").exit_code == 0
    assert cli(path, "doctor").exit_code == 0


def test_doctor_sees_a_lexicon_edited_since_its_tally(tmp_path, monkeypatch):
    folder = tmp_path / "lexicons"
    folder.mkdir()
    (folder / "mine.yaml").write_text("categories: {a: [security]}\n")
    monkeypatch.setenv("MONITOR_LEXICONS", str(folder))
    path = tmp_path / "m.db"
    Database(path).add_documents(DOCS)
    assert cli(path, "tally", "--lexicon", "mine").exit_code == 0
    (folder / "mine.yaml").write_text("categories: {a: [security, culture]}\n")
    result = cli(path, "doctor")
    assert result.exit_code == 1
    assert f"problem  lexicon mine: {folder / 'mine.yaml'} changed since its last tally " \
           "-- fix: monitor tally --lexicon mine" in result.output


def test_doctor_on_a_damaged_file_names_the_salvage(tmp_path):
    path = tmp_path / "m.db"
    db = Database(path)
    db.add_documents([Document(text=f"line {i} " * 400, source="s") for i in range(40)])
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = db.conn.execute("PRAGMA page_count").fetchone()[0]
    db.close()
    with open(path, "r+b") as f:
        for page in range(3, pages, 2):
            f.seek(page * 4096)
            f.write(b"\x0d\xff\xff\xff\xff")  # leaf pages with impossible cell counts
    result = cli(path, "doctor")
    assert result.exit_code == 1
    assert "problem  integrity_check: " in result.output
    assert "export salvage.jsonl.gz" in result.output and "Traceback" not in result.output


def test_backup_is_verified_and_equal(tmp_path):
    make_db(tmp_path / "m.db").close()
    result = cli(tmp_path / "m.db", "backup", str(tmp_path / "b" / "copy.db"))
    assert result.exit_code == 0, result.output
    assert "3 documents" in result.output and "verified" in result.output
    with sqlite3.connect(tmp_path / "m.db") as a, sqlite3.connect(tmp_path / "b/copy.db") as b:
        for table in ("documents", "counts", "tallied", "terms", "runs"):
            assert a.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall() == \
                   b.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
        assert b.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["copy.db"]
    same = cli(tmp_path / "m.db", "backup", str(tmp_path / "m.db"))
    assert same.exit_code == 2 and "that is the database itself" in same.output


def test_backup_while_an_ingest_writes_is_a_consistent_snapshot(tmp_path):
    path = tmp_path / "m.db"
    Database(path).close()
    big = tmp_path / "big.jsonl"
    with open(big, "w") as f:
        for i in range(6000):
            f.write(json.dumps({"id": i, "text": f"speech {i} on security " * 20}) + "\n")
    writer = subprocess.Popen([sys.executable, "-m", "monitor", "--db", str(path), "ingest",
                               str(big)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    copies = []
    try:
        db = Database(path)
        while writer.poll() is None and len(copies) < 4:
            report = backup_database(db, tmp_path / f"copy{len(copies)}.db")
            copies.append(report.rows["documents"])
        db.close()
    finally:
        writer.wait()
    assert writer.returncode == 0
    assert copies and all(n % 500 == 0 or n == 6000 for n in copies), copies  # whole batches


def test_export_import_round_trip(tmp_path):
    a = make_db(tmp_path / "a.db")
    first = tmp_path / "a.jsonl.gz"
    assert export_documents(a, first) == 3
    lines = gzip.open(first, "rt", encoding="utf-8").read().splitlines()
    header = json.loads(lines[0])
    assert header == {"format": "rhetoric-monitor-documents", "version": 1,
                      "schema_version": a.schema_version, "documents": 3}
    assert json.loads(lines[1])["meta"] == {"country": "FRA", "session": 76}
    result = cli(tmp_path / "b.db", "import", str(first))
    assert result.exit_code == 0 and result.output.strip() == \
        "added 3, skipped duplicates 0, failed 0"
    b = Database(tmp_path / "b.db")
    second = tmp_path / "b.jsonl.gz"
    export_documents(b, second)
    assert gzip.open(second).read() == gzip.open(first).read()
    assert b.conn.execute("SELECT name, kind, location FROM sources ORDER BY name").fetchall() \
        == a.conn.execute("SELECT name, kind, location FROM sources ORDER BY name").fetchall()
    tally_documents(b, [resolve_lexicon("power"), resolve_lexicon("security_zh")])
    query = "SELECT lexicon, term, sum(count) FROM term_counts GROUP BY 1, 2 ORDER BY 1, 2"
    assert b.conn.execute(query).fetchall() == a.conn.execute(query).fetchall()
    assert cli(tmp_path / "b.db", "import", str(first)).output.strip() == \
        "added 0, skipped duplicates 3, failed 0"
    hits = b.conn.execute("SELECT count(*) FROM documents_fts WHERE documents_fts MATCH "
                          "'culture'").fetchone()[0]
    assert hits == 1


def test_export_of_one_source_and_to_stdout(tmp_path):
    make_db(tmp_path / "m.db").close()
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "m.db"), "export", "--source",
                                       "zh"])
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["documents"] == 1 and lines[1]["text"] == "安全 and 国家安全 in a report"
    bad = cli(tmp_path / "m.db", "export", "--source", "nope")
    assert bad.exit_code == 2 and "unknown source 'nope'" in bad.output


def test_import_refuses_what_is_not_an_export_and_fails_bad_lines_alone(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "hello"}\n')
    result = cli(tmp_path / "m.db", "import", str(path))
    assert result.exit_code == 2 and "not a rhetoric-monitor export" in result.output
    path.write_text(json.dumps({"format": "rhetoric-monitor-documents", "version": 1}) + "\n"
                    + json.dumps({"source": "s", "text": "good one"}) + "\n{broken\n"
                    + json.dumps({"source": "s", "text": "bad date", "published": "20x",
                                  "precision": "year"}) + "\n")
    result = cli(tmp_path / "m.db", "import", str(path))
    assert result.exit_code == 1
    assert "added 1, skipped duplicates 0, failed 2" in result.output
    assert f"{path}:3: " in result.output and "Traceback" not in result.output

