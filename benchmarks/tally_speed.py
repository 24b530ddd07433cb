"""Tally speed and memory on the whole UN General Debate corpus (issue 10's targets). By hand:

    .venv/bin/python benchmarks/tally_speed.py [--docs N] [--workers N]

In one run, on the same texts (read once into a database and into memory):
1. the bare scan: ``Matcher.count`` over the texts in memory, one core;
2. ``monitor tally`` end to end in a fresh process (read, scan on every core, category
   totals, write), with the peak resident memory of all its processes;
3. ``monitor tally`` again with nothing new;
4. sklearn ``CountVectorizer(vocabulary=..., ngram_range=(1, 2)).transform`` with the same
   words and phrases (wildcards have no CountVectorizer equivalent and are left out);
for the dense 2,000-term lexicon of ``dense_lexicon.py`` and for the shipped lexicons.
Targets: dense (2) >= 4x faster than (4) and <= 1.5x (1); shipped (2) >= 15x faster than
(4); memory of (2) under 200 MB.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import yaml
from dense_lexicon import CORPUS, build, load_texts
from procmem import run_measured

from monitor.documents import Document
from monitor.lexicon import Matcher, load_lexicon, resolve_lexicon
from monitor.store import Database

SHIPPED = ("power", "soft_power_pillars", "xi_thought", "diplomatic_style", "security_zh")


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def vocabulary(lexicons) -> list[str]:
    """Plain words and phrases of the lexicons (what CountVectorizer can count)."""
    return sorted({t.label.lower() for lex in lexicons for t in lex.terms
                   if "*" not in t.label and not t.stem and len(t.label.split()) <= 2})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=None, help="speeches (default: all)")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        raise SystemExit(f"corpus not found: {CORPUS}")
    texts = load_texts(args.docs)
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        dense_file = Path(tmp) / "dense.yaml"
        dense_file.write_text(yaml.safe_dump(build(texts[::5])), encoding="utf-8")
        cases = {"dense": ([load_lexicon(dense_file)], ["-l", str(dense_file)]),
                 "shipped": ([resolve_lexicon(n) for n in SHIPPED],
                             [a for n in SHIPPED for a in ("-l", n)])}
        db_file = Path(tmp) / "bench.db"
        with Database(db_file) as db:
            for i in range(0, len(texts), 1000):
                db.add_documents(Document(text=t, source="ungdc", external_id=str(i + j))
                                 for j, t in enumerate(texts[i:i + 1000]))
        print(f"{len(texts)} speeches, {megabytes:.0f} MB")
        from sklearn.feature_extraction.text import CountVectorizer

        for name, (lexicons, options) in cases.items():
            matcher = Matcher(lexicons)  # compiled (and cached) before anything is timed
            start_cpu = time.process_time()
            bare = timed(lambda m=matcher: [m.count(t) for t in texts])
            bare_cpu = time.process_time() - start_cpu
            command = [sys.executable, "-m", "monitor", "--db", str(db_file), "tally", *options]
            if args.workers:
                command += ["--workers", str(args.workers)]
            end_to_end, peak, cpu = run_measured(command, stdout=sys.stderr)
            rerun, _, _ = run_measured(command, stdout=sys.stderr)
            words = vocabulary(lexicons)
            vectorizer = CountVectorizer(vocabulary=words, ngram_range=(1, 2))
            start_cpu = time.process_time()
            sklearn = timed(lambda v=vectorizer: v.transform(texts))
            sklearn_cpu = time.process_time() - start_cpu
            with sqlite3.connect(db_file) as conn:
                rows = conn.execute("SELECT count(*) FROM counts").fetchone()[0]
                cats = conn.execute("SELECT count(*) FROM category_counts").fetchone()[0]
            print(f"\n{name}: {len(matcher.terms)} terms ({len(words)} for CountVectorizer),"
                  f" {len(matcher.nesting)} can nest; {rows:,} count rows in all,"
                  f" {cats:,} category rows")
            print(f"  bare scan, Matcher.count, 1 core     {bare:7.2f} s wall {bare_cpu:7.2f} s CPU"
                  f"  {megabytes / bare:6.1f} MB/s")
            print(f"  monitor tally, fresh process         {end_to_end:7.2f} s wall"
                  f" {cpu:7.2f} s CPU"
                  f"  {megabytes / end_to_end:6.1f} MB/s"
                  f"  peak {peak / 2**20:.0f} MB (Pss, all processes)")
            print(f"  monitor tally again, nothing new     {rerun:7.2f} s wall")
            print(f"  CountVectorizer(ngram_range=(1, 2))  {sklearn:7.2f} s wall"
                  f" {sklearn_cpu:7.2f} s CPU")
            print(f"  wall: tally / bare scan {end_to_end / bare:.2f}x,"
                  f" CountVectorizer / tally {sklearn / end_to_end:.1f}x;"
                  f" CPU: tally / bare scan {cpu / bare_cpu:.2f}x,"
                  f" CountVectorizer / tally {sklearn_cpu / cpu:.1f}x")


if __name__ == "__main__":
    main()
