"""Fuzzing the readers, date parsing and the lexicon loader, and a kept corpus of nasty
inputs (tests/nasty/ plus generated giants): each gives a clear one-line error or the
right count, in bounded time and memory."""

from __future__ import annotations

import gzip
import json
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.dates import parse_date
from monitor.documents import Document, IngestError
from monitor.lexicon import check_lexicon
from monitor.sources import ReadOptions, read_file, walk
from monitor.sources.decode import DecodeError, decode_bytes

NASTY = Path(__file__).parent / "nasty"
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@FUZZ
@given(st.one_of(st.text(), st.integers(), st.floats(),
                 st.text(alphabet="0123456789-/年月日 :TZ+")))
def test_parse_date_returns_a_valid_partial_date_or_none(value):
    parsed = parse_date(value)
    if parsed is None:
        return
    iso, precision = parsed
    assert {"year": 4, "month": 7, "day": 10}[precision] == len(iso)
    parts = [int(p) for p in iso.split("-")] + [1] * (3 - iso.count("-") - 1)
    date(*parts)  # a real calendar date


@FUZZ
@given(st.binary(max_size=3000))
def test_decode_bytes_gives_text_or_a_decode_error(data):
    try:
        text = decode_bytes(data)
    except DecodeError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(text, str)


_FORMATS = ["txt", "md", "html", "json", "jsonl", "csv", "txt.gz", "jsonl.gz"]
_SHAPES = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=500).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.lists(st.dictionaries(st.sampled_from(["text", "date", "id", "title", "x"]),
                             st.one_of(st.text(max_size=40), st.integers(), st.none(),
                                       st.floats(allow_nan=True)), max_size=5), max_size=8)
    .map(lambda rows: "\n".join(json.dumps(r) for r in rows).encode()),
    st.lists(st.lists(st.text(alphabet='ab,"\n\r\x00 security', max_size=12), max_size=4),
             max_size=6).map(lambda rows: "\n".join(",".join(r) for r in rows).encode()),
)


@FUZZ
@given(fmt=st.sampled_from(_FORMATS), data=_SHAPES)
def test_readers_yield_documents_or_one_line_errors(fmt, data):
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        path = folder / f"input.{fmt}"
        path.write_bytes(gzip.compress(data) if fmt.endswith(".gz") else data)
        options = ReadOptions(max_bytes=1 << 20)
        items = list(walk([path]))
        out = [x for item in items if not isinstance(item, IngestError)
               for x in read_file(item, options)]
    finally:
        shutil.rmtree(folder)
    for x in out:
        assert isinstance(x, (Document, IngestError))
        if isinstance(x, IngestError):
            assert "\n" not in str(x) and "unexpected error" not in x.reason, x
        else:
            assert x.text.strip() and x.source


_YAML = st.text(alphabet="-:[]{}&*!|>'\"#,? \n\tabcxyz*~\ufeff\u200b安", max_size=300)


@FUZZ
@given(text=_YAML)
def test_the_lexicon_loader_never_raises(text):
    folder = Path(tempfile.mkdtemp(prefix="fuzz-lex-"))
    try:
        path = folder / "lex.yaml"
        path.write_text("categories:\n" + text, encoding="utf-8")
        problems = check_lexicon(path)
    finally:
        shutil.rmtree(folder)
    assert all(isinstance(p, str) and p.startswith(str(path)) and "\n" not in p
               for p in problems)


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))


def _giants(folder: Path) -> None:
    """The generated nasty inputs: too big to keep in the repository."""
    (folder / "long-line.txt").write_text("security " * 1_200_000)  # a 10.8 MB line
    (folder / "long-line.jsonl").write_text(json.dumps({"text": "culture " * 1_300_000}) + "\n")
    header = "text," + ",".join(f"c{i}" for i in range(1_000_000))
    (folder / "wide.csv").write_text(header + "\n" + "national security" + "," * 999_999 + "\n")
    (folder / "nested.html").write_text("<html><body>" + "<div>" * 100_000 + "<p>values</p>"
                                        + "</div>" * 100_000 + "</body></html>")
    with gzip.open(folder / "bomb.txt.gz", "wb", compresslevel=1) as f:
        chunk = b"security " * 100_000
        for _ in range(60):  # 54 MB once decompressed, over the 50 MB limit
            f.write(chunk)
    with gzip.open(folder / "bomb.jsonl.gz", "wb", compresslevel=1) as f:
        f.write(b'{"text": "' + b"dialogue " * 6_000_000 + b'"}\n{"text": "after the bomb"}\n')


def test_the_nasty_corpus_gives_errors_or_right_counts_in_bounded_time_and_memory(tmp_path):
    folder = tmp_path / "nasty"
    shutil.copytree(NASTY, folder, ignore=shutil.ignore_patterns("*.yaml", "README.md"))
    _giants(folder)
    db = tmp_path / "m.db"
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "monitor", "--db", str(db), "ingest",
                           str(folder), "--no-progress"], capture_output=True, text=True,
                          timeout=300, preexec_fn=_limit_memory)
    tallied = subprocess.run([sys.executable, "-m", "monitor", "--db", str(db), "tally",
                              "--lexicon", "power"], capture_output=True, text=True,
                             timeout=300, preexec_fn=_limit_memory)
    seconds = time.monotonic() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert "Traceback" not in done.stderr + tallied.stderr
    assert done.returncode == 1 and tallied.returncode == 0, tallied.stderr
    errors = sorted(line.split(": ", 2)[1].removeprefix(str(folder) + "/")
                    + ": " + line.split(": ", 2)[2] for line in done.stderr.splitlines()
                    if line.startswith("error:") and "nested.html: no main text" not in line)
    assert errors == [
        "bomb.jsonl.gz:1: document too large (51.5 MB, over the 50.0 MB limit)",
        "bomb.txt.gz: document too large (over the 50.0 MB limit)",
        "not-json.jsonl:1: malformed JSON (Expecting property name enclosed in double quotes "
        "at column 2)",
        "nul.csv:2: NUL byte (binary data) at column 4",
        "nul.jsonl:1: NUL byte (binary data) at column 14",
        "surrogate.jsonl:2: field 'text' is not valid Unicode (lone surrogate \\ud800 at "
        "character 5)",
        "unclosed.csv:2: malformed CSV (quoted field not closed before the end of the file)",
    ], done.stderr  # and nested.html: a document, or "no main text found in the page"
    conn = sqlite3.connect(db)
    counts = dict(conn.execute(
        "SELECT d.external_id || ':' || c.term, c.count FROM term_counts c"
        " JOIN documents d ON d.id = c.document_id"))
    assert counts["rtl.txt:security"] == 3
    assert counts["invisible.html:security"] == 40
    assert counts["long-line.txt:security"] == 1_200_000
    assert counts["long-line.jsonl#1:culture"] == 1_300_000
    assert counts["wide.csv#2:national security"] == 1
    assert counts["nul.jsonl#2:security"] == 1 and counts["nul.csv#3:security"] == 1
    assert counts["bomb.jsonl.gz#2:dialogue"] == 0 if "bomb.jsonl.gz#2:dialogue" in counts \
        else conn.execute("SELECT count(*) FROM documents WHERE text = 'after the bomb'"
                          ).fetchone()[0] == 1
    nested = conn.execute("SELECT count(*) FROM documents WHERE external_id = 'nested.html'"
                          ).fetchone()[0]
    assert nested == 1 or "nested.html" in done.stderr
    assert seconds < 240 and peak_mb < 3000, (seconds, peak_mb)


@pytest.mark.parametrize("name, problem", [
    ("bomb.yaml", "alias bomb"), ("loop.yaml", "refers to a value that contains it"),
    ("bom-term.yaml", "U+FEFF BYTE ORDER MARK"),
])
def test_the_nasty_lexicons_are_one_error_each(name, problem):
    started = time.monotonic()
    problems = check_lexicon(NASTY / name)
    assert problems and problem in problems[0]
    assert time.monotonic() - started < 10
