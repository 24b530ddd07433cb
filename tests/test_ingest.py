"""The ingest API and command: idempotency, batches, the run log, fallbacks, start-up cost."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.documents import Document, IngestError
from monitor.ingest import FieldMap, IngestReport, _flush, ingest_paths, parse_size


def snapshot(db):
    return db.conn.execute("SELECT * FROM documents ORDER BY id").fetchall()


def make_corpus(folder, n=5):
    (folder / "sub").mkdir(parents=True)
    for i in range(n):
        (folder / "sub" / f"s{i}.txt").write_text(f"Speech {i}: peace, security, development.")
    (folder / "r.jsonl").write_text("".join(
        json.dumps({"id": f"r{i}", "text": f"Record {i} on trade.", "year": 2000 + i}) + "\n"
        for i in range(n)))
    (folder / "t.csv").write_text("title,text\n" + "".join(f"T{i},Row {i} on climate.\n"
                                                          for i in range(n)))
    return folder


def test_ingesting_the_same_input_again_adds_nothing(db, tmp_path):
    corpus = make_corpus(tmp_path / "corpus")
    first = ingest_paths(db, [corpus])
    assert (first.added, first.skipped, first.failed) == (15, 0, 0)
    before = snapshot(db)
    again = ingest_paths(db, [corpus])
    assert (again.added, again.skipped, again.failed) == (0, 15, 0)
    # a copy elsewhere (same folder name) and an edited file: nothing stored changes
    copy = tmp_path / "elsewhere" / "corpus"
    shutil.copytree(corpus, copy)
    (copy / "sub" / "s0.txt").write_text("Edited later: a different text, same file.")
    third = ingest_paths(db, [copy])
    assert (third.added, third.skipped) == (0, 15)
    assert snapshot(db) == before


def test_external_ids_are_relative_to_the_given_root(db, tmp_path):
    corpus = make_corpus(tmp_path / "corpus", n=1)
    ingest_paths(db, str(corpus))  # one path on its own is fine too
    ids = {row[0] for row in db.conn.execute("SELECT external_id FROM documents")}
    assert ids == {"sub/s0.txt", "r0", "t.csv#2"}


def test_batches_and_the_run_log(db, tmp_path):
    corpus = make_corpus(tmp_path / "corpus", n=7)
    report = ingest_paths(db, [corpus], batch_size=3, command="ingest corpus")
    assert report.added == 21 and report.ok
    run = db.conn.execute("SELECT command, status, added, skipped, failed, message, finished"
                          " FROM runs WHERE id = ?", (report.run_id,)).fetchone()
    assert run[:6] == ("ingest corpus", "ok", 21, 0, 0,
                       "added 21, skipped duplicates 0, failed 0")
    assert run[6] is not None


def test_an_interrupted_run_keeps_committed_batches_and_is_logged(db, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = [json.dumps({"text": f"Record {i}."}) for i in range(10)]
    lines[7] = "{broken"
    (corpus / "r.jsonl").write_text("\n".join(lines) + "\n")

    def stop(error: IngestError) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest_paths(db, [corpus], batch_size=3, on_error=stop)
    assert db.document_count() == 6  # two full batches were committed before line 8
    status, message = db.conn.execute("SELECT status, message FROM runs").fetchone()
    assert (status, message) == ("aborted", "aborted: interrupted")
    again = ingest_paths(db, [corpus])
    assert (again.added, again.skipped, again.failed) == (3, 6, 1)


def test_a_document_the_store_rejects_fails_alone(db):
    good = Document(text="Fine.", source="s", origin="a.txt")
    bad = Document(text="Bad precision.", source="s", published="2022", precision="day",
                   origin="b.txt")
    report, errors = IngestReport(), []
    _flush(db, [good, bad], None, report, errors.append)
    assert report.added == 1
    assert [str(e) for e in errors] == ["b.txt: date '2022' does not match precision 'day'"]


def test_options_are_fallbacks_and_source_field_wins(db, tmp_path):
    (tmp_path / "r.jsonl").write_text(
        json.dumps({"text": "Own date and title.", "date": "2019-05", "title": "Own",
                    "outlet": "Xinhua"}) + "\n"
        + json.dumps({"text": "Nothing of its own."}) + "\n")
    ingest_paths(db, [tmp_path / "r.jsonl"], date="2022", title="Fallback",
                 source="fallback-source", fields=FieldMap(source="outlet"))
    rows = db.conn.execute("SELECT source, title, published, precision FROM documents_view"
                           " ORDER BY id").fetchall()
    assert rows == [("Xinhua", "Own", "2019-05", "month"),
                    ("fallback-source", "Fallback", "2022", "year")]


def test_unparseable_date_option_raises_before_anything_is_stored(db, tmp_path):
    (tmp_path / "a.txt").write_text("Text.")
    with pytest.raises(ValueError, match="unparseable date"):
        ingest_paths(db, [tmp_path], date="someday")
    assert db.document_count() == 0


def test_progress_bar_does_not_disturb_results(db, tmp_path, capsys):
    corpus = make_corpus(tmp_path / "corpus", n=3)
    (corpus / "bad.jsonl").write_text("{nope\n")
    errors = []
    report = ingest_paths(db, [corpus], progress=True, on_error=errors.append)
    assert (report.added, report.failed, len(errors)) == (9, 1, 1)


@pytest.mark.parametrize(("text", "size"), [("50MB", 50 * 1024**2), ("512KB", 512 * 1024),
                                            ("1.5 gb", int(1.5 * 1024**3)), ("1000", 1000)])
def test_parse_size(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["lots", "0", "-5MB", "5TB"])
def test_parse_size_rejects(text):
    with pytest.raises(ValueError):
        parse_size(text)


def test_cli_logs_the_command_with_its_options(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("A speech.")
    db_path = tmp_path / "m.db"
    result = CliRunner().invoke(main, ["--db", str(db_path), "ingest", str(tmp_path / "in"),
                                       "--source", "un", "--date", "2022-10"])
    assert result.exit_code == 0, result.output
    from monitor.store import Database

    with Database(db_path) as db:
        command, status = db.conn.execute("SELECT command, status FROM runs").fetchone()
        assert command == f"ingest {tmp_path / 'in'} --source=un --date=2022-10"
        assert status == "ok"
        assert db.sources()[0]["name"] == "un"


def test_ingest_help_and_start_up_stay_light():
    result = CliRunner().invoke(main, ["ingest", "--help"])
    assert result.exit_code == 0 and "--text-field" in result.output
    code = ("import sys, monitor.cli\n"
            "heavy = {'trafilatura', 'pypdf', 'charset_normalizer', 'monitor.sources',"
            " 'monitor.ingest'}\n"
            "print(sorted(heavy & set(sys.modules)))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "[]"
