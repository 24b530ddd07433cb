"""Bad input: one error line naming file, line and cause; the rest of the batch is stored;
exit code 1; nothing stored before changes; never a traceback."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.documents import Document

GOOD = "Peace and development remain the themes of our time."


def run(db_path: Path, *args: str):
    result = CliRunner().invoke(main, ["--db", str(db_path), "ingest", *map(str, args)])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def stored(db):
    return db.conn.execute("SELECT * FROM documents ORDER BY id").fetchall()


def external_ids(db):
    return {row[0] for row in db.conn.execute("SELECT external_id FROM documents")}


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "speeches"
    folder.mkdir()
    return folder


def error_lines(result):
    lines = result.stderr.splitlines()
    assert all(line.startswith("error: ") for line in lines), lines
    return lines


def test_bad_inputs_in_one_batch(db, tmp_path, corpus):
    """Every kind of bad input at once, next to good documents and earlier stored rows."""
    db.add_documents([Document(text="Stored before: security first.", source="speeches",
                               external_id="old.txt", published="2020", precision="year")])
    before = stored(db)

    (corpus / "good.txt").write_text(GOOD)
    (corpus / "old.txt").write_text("A changed text under an id that is already stored.")
    (corpus / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (corpus / "broken.txt.gz").write_bytes(b"this is not gzip at all")
    lines = [{"id": 1, "text": "Record one."}, None, {"id": 3, "text": ""},
             {"id": 4, "text": "Record four.", "date": "next Tuesday"},
             {"id": 5, "text": "Record five.", "date": "2022-10"}]
    (corpus / "records.jsonl").write_text(
        "\n".join('{"id": 2, "text": "broken", ' if r is None else json.dumps(r) for r in lines)
        + "\n")
    (corpus / "notext.csv").write_text("Date,Speech\n2022,Hello\n")
    (corpus / "empty.md").write_text("  \n\n")
    (corpus / "damaged.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\ngarbage")

    result = run(tmp_path / "monitor.db", corpus)

    assert result.exit_code == 1
    errors = error_lines(result)
    expected = [
        f"error: {corpus / 'binary.txt'}: binary file (not text)",
        f"error: {corpus / 'broken.txt.gz'}: broken gzip (Not a gzipped file (b'th'))",
        f"error: {corpus / 'damaged.pdf'}: unreadable PDF (",
        f"error: {corpus / 'empty.md'}: empty text",
        f"error: {corpus / 'notext.csv'}: no text column (tried text, content, body;"
        " columns: Date, Speech; use --text-field)",
        f"error: {corpus / 'records.jsonl'}:2: malformed JSON (Expecting property name "
        "enclosed in double quotes at column 29)",
        f"error: {corpus / 'records.jsonl'}:3: empty text in field 'text'",
        f"error: {corpus / 'records.jsonl'}:4: unparseable date 'next Tuesday' in field 'date'",
    ]
    assert len(errors) == len(expected), errors
    for line, start in zip(errors, expected, strict=True):
        assert line.startswith(start), (line, start)
    assert result.stdout.strip() == "added 3, skipped duplicates 1, failed 8"
    # the good documents of the batch are stored; what was stored before is unchanged
    assert external_ids(db) == {"old.txt", "good.txt", "1", "5"}
    assert stored(db)[0] == before[0]
    run_row = db.conn.execute("SELECT status, added, skipped, failed FROM runs").fetchone()
    assert run_row == ("failed", 3, 1, 8)


def test_a_200_mb_document_is_refused_without_reading_it_all(db, tmp_path, corpus):
    with gzip.open(corpus / "huge.txt.gz", "wb", compresslevel=1) as f:
        chunk = b"word " * (1024 * 1024 // 5)
        for _ in range(200):
            f.write(chunk)
    (corpus / "fine.txt").write_text(GOOD)
    result = run(tmp_path / "monitor.db", corpus)
    assert result.exit_code == 1
    assert error_lines(result) == [
        f"error: {corpus / 'huge.txt.gz'}: document too large (over the 50.0 MB limit)"]
    assert external_ids(db) == {"fine.txt"}


def test_max_size_option_applies_to_files_lines_and_records(db, tmp_path, corpus):
    (corpus / "big.txt").write_text("x" * 3000)
    (corpus / "lines.jsonl").write_text(
        json.dumps({"text": "y " * 2000}) + "\n" + json.dumps({"text": "short"}) + "\n")
    (corpus / "rows.csv").write_text("text\n" + "z" * 1500 + "\nsmall\n")
    result = run(tmp_path / "monitor.db", corpus, "--max-size", "1KB")
    assert result.exit_code == 1
    assert error_lines(result) == [
        f"error: {corpus / 'big.txt'}: document too large (3000 bytes, over the 1024 bytes"
        " limit)",
        f"error: {corpus / 'lines.jsonl'}:1: document too large (4013 bytes, over the 1024"
        " bytes limit)",
        f"error: {corpus / 'rows.csv'}:2: document too large (1500 bytes, over the 1024 bytes"
        " limit)",
    ]
    assert result.stdout.strip() == "added 2, skipped duplicates 0, failed 3"


def test_truncated_gzip_keeps_the_lines_before_the_damage(db, tmp_path, corpus):
    data = "".join(json.dumps({"id": i, "text": f"Speech {i}. " + "words " * 50}) + "\n"
                   for i in range(2000))
    packed = gzip.compress(data.encode())
    (corpus / "cut.jsonl.gz").write_bytes(packed[: len(packed) // 2])
    result = run(tmp_path / "monitor.db", corpus)
    assert result.exit_code == 1
    (line,) = error_lines(result)
    assert line.startswith(f"error: {corpus / 'cut.jsonl.gz'}: broken gzip (")
    assert 0 < db.document_count() < 2000


def test_malformed_json_array_names_the_line(db, tmp_path, corpus):
    (corpus / "a.json").write_text('[\n  {"text": "one"},\n  {"text": "two"}\n  {"text": 3}\n]')
    result = run(tmp_path / "monitor.db", corpus)
    assert error_lines(result) == [
        f"error: {corpus / 'a.json'}:4: malformed JSON (expecting ',' or ']' after record 2)"]
    assert db.document_count() == 2


def test_records_that_are_not_objects_or_lack_text(db, tmp_path, corpus):
    (corpus / "r.jsonl").write_text('["a list"]\n{"title": "no text"}\n{"text": 42}\n')
    result = run(tmp_path / "monitor.db", corpus)
    assert error_lines(result) == [
        f"error: {corpus / 'r.jsonl'}:1: record is a JSON array, not an object",
        f"error: {corpus / 'r.jsonl'}:2: no text field (tried text, content, body; use"
        " --text-field)",
        f"error: {corpus / 'r.jsonl'}:3: text field 'text' is not a string",
    ]


def test_invalid_utf8_line_in_a_utf8_file(db, tmp_path, corpus):
    good = json.dumps({"text": "Olá, nação"}, ensure_ascii=False).encode()
    bad = json.dumps({"text": "Ol\u00e1"}, ensure_ascii=False).encode("latin-1")
    (corpus / "mixed.jsonl").write_bytes(good + b"\n" + bad + b"\n")
    result = run(tmp_path / "monitor.db", corpus)
    (line,) = error_lines(result)
    assert line.startswith(f"error: {corpus / 'mixed.jsonl'}:2: not valid utf-8 (")
    assert db.document_count() == 1


def test_csv_explicit_column_missing(db, tmp_path, corpus):
    (corpus / "x.csv").write_text("text,when\nHello there,2022\n")
    result = run(tmp_path / "monitor.db", corpus, "--date-field", "Date")
    assert error_lines(result) == [
        f"error: {corpus / 'x.csv'}: no 'Date' column for --date-field (columns: text, when)"]


def test_missing_path_and_unsupported_file(db, tmp_path, corpus):
    (corpus / "ok.txt").write_text(GOOD)
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")
    result = run(tmp_path / "monitor.db", tmp_path / "nope", tmp_path / "notes.docx", corpus)
    assert result.exit_code == 1
    errors = error_lines(result)
    assert errors[0] == f"error: {tmp_path / 'nope'}: no such file or directory"
    assert errors[1].startswith(f"error: {tmp_path / 'notes.docx'}: unsupported file type")
    assert db.document_count() == 1


def test_a_folder_that_cannot_be_listed_is_an_error(db, tmp_path, corpus, monkeypatch):
    import os

    from monitor.sources import files

    (corpus / "ok.txt").write_text(GOOD)
    (corpus / "secret").mkdir()
    real_walk = os.walk

    def walk(top, onerror=None, **kw):  # as os.walk does for a folder it may not read
        for dirpath, dirnames, filenames in real_walk(top, onerror=onerror, **kw):
            if dirpath.endswith("secret"):
                onerror(PermissionError(13, "Permission denied", dirpath))
                continue
            yield dirpath, dirnames, filenames

    monkeypatch.setattr(files.os, "walk", walk)
    result = run(tmp_path / "monitor.db", corpus)
    assert result.exit_code == 1
    assert error_lines(result) == [
        f"error: {corpus / 'secret'}: cannot read folder (Permission denied)"]
    assert db.document_count() == 1


def test_bad_options_are_usage_errors(db, tmp_path, corpus):
    (corpus / "ok.txt").write_text(GOOD)
    for args in (["--date", "someday"], ["--max-size", "lots"]):
        result = run(tmp_path / "monitor.db", corpus, *args)
        assert result.exit_code == 2
        assert "Invalid value" in result.stderr
    assert db.document_count() == 0


def test_clean_run_exits_zero_and_prints_the_summary(db, tmp_path, corpus):
    (corpus / "ok.txt").write_text(GOOD)
    result = run(tmp_path / "monitor.db", corpus)
    assert (result.exit_code, result.stderr, result.stdout) == (
        0, "", "added 1, skipped duplicates 0, failed 0\n")


def test_bad_csv_rows_fail_alone(db, tmp_path, corpus):
    """A row that does not decode or is over --max-size is one error; the next rows are read."""
    good = "Olá nação".encode()
    (corpus / "rows.csv").write_bytes(
        b"id,text\n"
        b"1," + good + b"\n"
        b"2,Ol\xe1 latin-1 byte\n"  # not UTF-8 in an otherwise UTF-8 file
        b"3,Third row is fine\n"
        b"4," + b"z" * 70_000 + b"\n"  # over the limit by far, skipped as a line
        b'5,"A quoted field\nover two lines"\n'
        b"6,Last row\n")
    result = run(tmp_path / "monitor.db", corpus, "--max-size", "1KB")
    assert result.exit_code == 1
    errors = error_lines(result)
    assert len(errors) == 2, errors
    assert errors[0].startswith(f"error: {corpus / 'rows.csv'}:3: not valid utf-8 (")
    assert errors[1] == (f"error: {corpus / 'rows.csv'}:5: document too large (70003 bytes,"
                         " over the 1024 bytes limit)")
    assert result.stdout.strip() == "added 4, skipped duplicates 0, failed 2"
    assert external_ids(db) == {"1", "3", "5", "6"}


def test_bad_line_inside_a_quoted_csv_field_drops_that_row_only(db, tmp_path, corpus):
    (corpus / "rows.csv").write_bytes(  # UTF-8 but for the \xff on line 3
        b'id,text\n1,"First line\nsecond line \xff bad\nthird line"\n'
        + "2,Next row: a nação\n".encode())
    result = run(tmp_path / "monitor.db", corpus)
    (line,) = error_lines(result)
    assert line.startswith(f"error: {corpus / 'rows.csv'}:3: not valid utf-8 (")
    assert external_ids(db) == {"2"}


def test_unterminated_csv_quote_is_an_error(db, tmp_path, corpus):
    (corpus / "open.csv").write_text('id,text\n0,Before\n1,"unterminated\n2,more\n')
    (corpus / "later.csv").write_text(  # the row starts on line 4, the open quote on 5
        'id,text,note\na,"Two\nlines",x\nb,"Spans\ntwo","never closed\nc,more\n')
    result = run(tmp_path / "monitor.db", corpus)
    assert result.exit_code == 1
    assert error_lines(result) == [
        f"error: {corpus / 'later.csv'}:5: malformed CSV (quoted field not closed before the"
        " end of the file)",
        f"error: {corpus / 'open.csv'}:3: malformed CSV (quoted field not closed before the"
        " end of the file)",
    ]
    assert external_ids(db) == {"0", "a"}


def test_unterminated_quote_in_csv_header(db, tmp_path, corpus):
    (corpus / "h.csv").write_text('"id,text\n1,hello\n')
    result = run(tmp_path / "monitor.db", corpus)
    assert error_lines(result) == [
        f"error: {corpus / 'h.csv'}:1: unreadable CSV header (quoted field not closed before"
        " the end of the file)"]
