"""Coverage-guided fuzzing by hand with atheris (``pip install atheris``; not in CI).

Targets: ``readers`` (every file format, also gzip'd, through ``walk`` and ``read_file``,
then each document counted with the ``power`` lexicon), ``dates`` (``parse_date``),
``decode`` (``decode_bytes``) and ``lexicon`` (the YAML lexicon loader, then a matcher of
what loads). A finding is an exception escaping, a reader's "unexpected error" or a
message of more than one line, a date that is no calendar date, or an input that takes
longer than ``--timeout`` seconds. Findings are written to ``--findings`` (one file per
distinct finding) and the run goes on; keep each in ``tests/nasty/`` with a test::

    python tests/fuzz/fuzz_inputs.py readers --seconds 300
    python tests/fuzz/fuzz_inputs.py all --seconds 120      # each target in turn

The seeds are the kept nasty corpus and the shipped lexicons.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback
from datetime import date
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["monitor"]):
    from monitor.dates import parse_date
    from monitor.documents import IngestError
    from monitor.lexicon import LexiconError, Matcher, load_lexicon, resolve_lexicon
    from monitor.sources import ReadOptions, read_file, walk
    from monitor.sources.decode import DecodeError, decode_bytes

HERE = Path(__file__).resolve().parent
NASTY, LEXICONS = HERE.parent / "nasty", HERE.parents[1] / "lexicons"
FORMATS = ["txt", "md", "html", "json", "jsonl", "csv", "txt.gz", "jsonl.gz", "csv.gz"]
TARGETS = ("readers", "dates", "decode", "lexicon")
TEXT = "National security, soft power and culture: the security council's dialogue."


class Finding(Exception):
    """A wrong result that raised nothing."""


class _Slow(Exception):
    pass


def _on_alarm(signum, frame):
    raise _Slow


class Target:
    def __init__(self, work: Path, findings: Path, timeout: int) -> None:
        self.work, self.findings, self.timeout = work, findings, timeout
        self.cases, self.found = 0, set()
        self.power = None

    def one(self, kind: str, data: bytes) -> None:
        self.cases += 1
        signal.alarm(self.timeout)
        try:
            getattr(self, kind)(data)
        except _Slow:
            self.record(kind, data, f"slower than {self.timeout} s")
        except Exception as exc:  # noqa: BLE001 - every escape is a finding
            where = traceback.extract_tb(exc.__traceback__)[-1]
            self.record(kind, data, f"{type(exc).__name__} at {Path(where.filename).name}:"
                                    f"{where.lineno}: {str(exc)[:200]}")
        finally:
            signal.alarm(0)

    def record(self, kind: str, data: bytes, what: str) -> None:
        key = what.split(": ")[0] if not what.startswith("Finding") else what[:120]
        if (kind, key) in self.found:
            return
        self.found.add((kind, key))
        name = f"{kind}-{hashlib.sha1(data).hexdigest()[:12]}"
        (self.findings / name).write_bytes(data)
        (self.findings / f"{name}.txt").write_text(what + "\n")
        print(f"FINDING {name}: {what}", flush=True)

    def readers(self, data: bytes) -> None:
        if not data:
            return
        fmt, body = FORMATS[data[0] % len(FORMATS)], data[1:]
        folder = Path(tempfile.mkdtemp(dir=self.work))
        try:
            path = folder / f"input.{fmt}"
            path.write_bytes(gzip.compress(body, compresslevel=1) if fmt.endswith(".gz")
                             else body)
            out = [x for item in walk([path]) if not isinstance(item, IngestError)
                   for x in read_file(item, ReadOptions(max_bytes=1 << 20))]
        finally:
            shutil.rmtree(folder)
        if self.power is None:
            self.power = Matcher([resolve_lexicon("power")])
        for x in out:
            if isinstance(x, IngestError):
                if "\n" in str(x) or "unexpected error" in x.reason:
                    raise Finding(f"{fmt}: {x}")
            elif not x.text.strip():
                raise Finding(f"{fmt}: a document without text")
            else:
                self.power.tally(x.text)

    def dates(self, data: bytes) -> None:
        value = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))
        parsed = parse_date(value)
        if parsed is not None:
            iso, precision = parsed
            if {"year": 4, "month": 7, "day": 10}[precision] != len(iso):
                raise Finding(f"{value!r} gives {parsed}")
            parts = [int(p) for p in iso.split("-")] + [1] * (2 - iso.count("-"))
            date(*parts)

    def decode(self, data: bytes) -> None:
        for markup in (False, True):
            try:
                text = decode_bytes(data, markup=markup)
            except DecodeError as exc:
                if "\n" in str(exc):
                    raise Finding(f"a message of several lines: {exc!r}") from None
            else:
                assert isinstance(text, str)

    def lexicon(self, data: bytes) -> None:
        path = self.work / "lex.yaml"
        path.write_bytes(data)
        try:
            lexicon = load_lexicon(path)
        except LexiconError as exc:
            bad = [p for p in exc.problems if "\n" in p or not p.startswith(str(path))]
            if bad:
                raise Finding(f"a problem not one line naming the file: {bad[0]!r}") from None
            return
        if 0 < len(lexicon.terms) <= 200:
            Matcher([lexicon]).tally(TEXT)


def seeds(kind: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    samples: list[bytes] = []
    if kind == "readers":
        for path in sorted(NASTY.iterdir()):
            ext = ".".join(path.name.split(".")[1:])
            if ext in FORMATS:
                samples.append(bytes([FORMATS.index(ext)]) + path.read_bytes())
        rows = [{"id": "a", "date": "2020-01", "text": "security"}, {"text": "culture"}]
        samples.append(bytes([FORMATS.index("jsonl")])
                       + "\n".join(json.dumps(r) for r in rows).encode())
        samples.append(bytes([FORMATS.index("csv")]) + b"id,date,text\n1,2020,security\n")
    elif kind == "dates":
        samples = [s.encode() for s in ("2020-01-02", "1999", "March 2020", "2020年3月5日",
                                        "Tue, 10 Jun 2003 04:00:00 GMT", "12/31/1999")]
    elif kind == "decode":
        samples = [TEXT.encode("utf-16"), TEXT.encode("latin-1"), "国家安全".encode("gb2312"),
                   b'<meta charset="koi8-r">' + "мир".encode("koi8-r")]
    else:
        samples = [p.read_bytes() for p in sorted(LEXICONS.glob("*.yaml"))]
        samples += [p.read_bytes() for p in sorted(NASTY.glob("*.yaml"))]
    for data in samples:
        (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def fuzz(kind: str, seconds: int, findings: Path, timeout: int, work: Path) -> None:
    """One target in this process (atheris runs once per process, then exits)."""
    os.environ["MONITOR_CACHE"] = str(work / "cache")
    corpus = work / "corpus"
    seeds(kind, corpus)
    target = Target(work, findings, timeout)
    signal.signal(signal.SIGALRM, _on_alarm)
    atheris.Setup([sys.argv[0], f"-max_total_time={seconds}", "-max_len=20000",
                   "-rss_limit_mb=3000", "-print_final_stats=1", str(corpus)],
                  lambda data: target.one(kind, data))
    atheris.Fuzz()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", choices=(*TARGETS, "all"))
    parser.add_argument("--seconds", type=int, default=60, help="per target")
    parser.add_argument("--timeout", type=int, default=10, help="seconds per input")
    parser.add_argument("--findings", type=Path, default=Path("fuzz-findings"))
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)  # the child's folder
    args = parser.parse_args()
    args.findings.mkdir(parents=True, exist_ok=True)
    if args.work:
        fuzz(args.target, args.seconds, args.findings.resolve(), args.timeout, args.work)
        return
    for kind in TARGETS if args.target == "all" else (args.target,):
        work = Path(tempfile.mkdtemp(prefix=f"fuzz-{kind}-"))
        try:
            done = subprocess.run([sys.executable, __file__, kind, "--seconds", str(args.seconds),
                                   "--timeout", str(args.timeout), "--findings",
                                   str(args.findings), "--work", str(work)],
                                  capture_output=True, text=True, check=False)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        runs = [line.split()[-1] for line in done.stderr.splitlines()
                if line.startswith("stat::number_of_executed_units")]
        found = [line for line in done.stdout.splitlines() if line.startswith("FINDING")]
        print(f"{kind}: {runs[0] if runs else '?'} cases in {args.seconds} s, "
              f"{len(found)} findings (exit {done.returncode})", flush=True)
        for line in found:
            print("  " + line)
        if not runs:
            print(done.stderr[-2000:])


if __name__ == "__main__":
    main()
