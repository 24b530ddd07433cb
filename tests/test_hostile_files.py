"""Hostile inputs to ingest and report: unreadable paths, symlink loops, lone surrogates,
NUL bytes in record formats, non-UTF-8 file names, stale report folders."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.ingest import ingest_paths
from monitor.sources import files


def ingest(tmp_path: Path, *paths: Path | str):
    return CliRunner().invoke(main, ["--db", str(tmp_path / "m.db"), "ingest",
                                     *map(str, paths)])


def errors(output: str) -> list[str]:
    assert "Traceback" not in output
    return [line for line in output.splitlines() if line.startswith("error:")]


def stored(tmp_path: Path) -> int:
    import sqlite3

    with sqlite3.connect(tmp_path / "m.db") as conn:
        return conn.execute("SELECT count(*) FROM documents").fetchone()[0]


def test_a_symlink_loop_on_the_command_line_says_so(tmp_path):
    loop = tmp_path / "loop.txt"
    loop.symlink_to(loop)
    good = tmp_path / "good.txt"
    good.write_text("security")
    result = ingest(tmp_path, loop, good)
    assert result.exit_code == 1
    assert errors(result.output) == [
        f"error: {loop}: symlink loop (too many levels of symbolic links)"]
    assert stored(tmp_path) == 1


def test_a_path_in_a_folder_that_cannot_be_searched_is_one_failure(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "a.txt").write_text("hidden speech")
    good = tmp_path / "good.txt"
    good.write_text("security")
    if os.geteuid() == 0:  # root searches any folder: make the kernel's answer for it
        real_stat = os.stat

        def stat(path, *args, **kwargs):
            if str(path).startswith(str(locked) + os.sep):
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real_stat(path, *args, **kwargs)

        monkeypatch.setattr(files.os, "stat", stat)
    else:
        locked.chmod(0o600)
    try:
        result = ingest(tmp_path, locked / "a.txt", good)
    finally:
        locked.chmod(0o755)
    assert result.exit_code == 1
    assert errors(result.output) == [f"error: {locked / 'a.txt'}: cannot read (permission "
                                     "denied: a folder on the way cannot be searched)"]
    assert stored(tmp_path) == 1


def test_a_lone_surrogate_names_its_field_and_fails_its_record_only(tmp_path):
    path = tmp_path / "s.jsonl"
    lines = [{"id": 1, "text": "fine"}, {"id": 2, "text": "ok", "title": "bad \\ud800 title"},
             {"id": 3, "text": "bad \\udfff text"}, {"id": 4, "text": "ok", "speaker": "x\\ud83d"}]
    path.write_text("\n".join(json.dumps(line).replace("\\\\", "\\") for line in lines) + "\n")
    result = ingest(tmp_path, path)
    assert result.exit_code == 1
    assert errors(result.output) == [
        f"error: {path}:2: field 'title' is not valid Unicode (lone surrogate \\ud800 at "
        "character 5)",
        f"error: {path}:3: field 'text' is not valid Unicode (lone surrogate \\udfff at "
        "character 5)",
        f"error: {path}:4: field 'speaker' is not valid Unicode (lone surrogate \\ud83d at "
        "character 2)"]
    assert stored(tmp_path) == 1


def test_a_file_name_that_is_not_utf8_is_ingested_and_printable(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    name = os.fsdecode(b"caf\xe9.txt")
    (folder / name).write_text("security in the cafe")
    (folder / os.fsdecode(b"bad\xff.jsonl")).write_text('{"text": "x", "date": "never"}\n')
    result = ingest(tmp_path, folder)
    assert result.exit_code == 1
    assert errors(result.output) == [
        f"error: {folder}/bad\\xff.jsonl:1: unparseable date 'never' in field 'date'"]
    import sqlite3

    with sqlite3.connect(tmp_path / "m.db") as conn:
        assert conn.execute("SELECT external_id FROM documents").fetchall() == [("caf\\xe9.txt",)]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_nul_byte_fails_only_its_record(tmp_path, fmt):
    path = tmp_path / f"speeches.{fmt}"
    if fmt == "jsonl":
        rows = [json.dumps({"id": i, "text": f"speech {i} on security"}) for i in range(61)]
        rows[0] = rows[0].replace("speech", "spe\0ech")
        rows[40] = rows[40].replace("speech", "spe\0ech")
        path.write_text("\n".join(rows) + "\n")
    else:
        rows = ["id,text"] + [f"{i},speech {i} on security" for i in range(61)]
        rows[1] = rows[1].replace("speech", "spe\0ech")
        rows[41] = rows[41].replace("speech", "spe\0ech")
        path.write_text("\n".join(rows) + "\n")
    result = ingest(tmp_path, path)
    first = 1 if fmt == "jsonl" else 2
    assert errors(result.output) == [
        f"error: {path}:{first}: NUL byte (binary data) at column "
        f"{rows[first - 1].index(chr(0)) + 1}",
        f"error: {path}:{first + 40}: NUL byte (binary data) at column "
        f"{rows[first + 39].index(chr(0)) + 1}"]
    assert stored(tmp_path) == 59


def test_a_binary_file_named_jsonl_is_still_binary(tmp_path):
    path = tmp_path / "image.jsonl"
    path.write_bytes(b"".join(i.to_bytes(4, "little") for i in range(3000)))  # NULs abound
    result = ingest(tmp_path, path)
    assert errors(result.output) == [f"error: {path}: binary file (not text)"]


def test_stale_report_folders_are_removed_and_a_half_swapped_bundle_restored(tmp_path):
    from monitor.documents import Document
    from monitor.lexicon import resolve_lexicon
    from monitor.report import build_report
    from monitor.store import Database
    from monitor.tally import tally_documents

    db = Database(tmp_path / "m.db")
    db.add_documents([Document(text="security and culture", source="s", published="2021",
                               precision="year"),
                      Document(text="more security", source="s", published="2020",
                               precision="year")])
    tally_documents(db, [resolve_lexicon("power")])
    out = tmp_path / "reports"
    out.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = out / f".2021.tmp-{dead.pid}-abc"
    stale.mkdir()
    (stale / "chart-01.png").write_bytes(b"half")
    legacy = out / ".2021.tmp-k2j3h4"
    legacy.mkdir()
    os.utime(legacy, (time.time() - 7200, time.time() - 7200))
    live = out / f".2021.tmp-{os.getpid()}-xyz"
    live.mkdir()
    aside = out / f".2019.old-{dead.pid}-1"  # killed between the two renames of 2019
    aside.mkdir()
    (aside / "index.html").write_text("the 2019 report")
    build_report(db, period="year", for_="2021", out=out)
    names = sorted(p.name for p in out.iterdir())
    assert names == [live.name, "2019", "2021"]
    assert (out / "2019" / "index.html").read_text() == "the 2019 report"
    db.close()


def test_ingest_paths_api_reports_the_same(tmp_path, db):
    loop = tmp_path / "loop.txt"
    loop.symlink_to(loop)
    report = ingest_paths(db, [loop])
    assert [e.reason for e in report.errors] == [
        "symlink loop (too many levels of symbolic links)"]
