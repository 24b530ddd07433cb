"""Queries on 100,000 documents: the UN speeches copied under new ids and month dates. By hand:

    .venv/bin/python benchmarks/scale_corpus.py [--docs 100000] [--db /tmp/un100k.db]

Builds the database once (kept for re-runs): every speech is copied under the id
``ID#cN`` and dated to a month of its year (copy N gets month N mod 12 + 1), with
"(copy N)" appended so the copies are not duplicates; then the shipped lexicons are
tallied. Then, warm (each query run once, then timed 3 times: the fastest is printed), in one run:
a term by year (``trend``), ``monitor counts TERM --by year`` (the CLI, a fresh process),
a category by month (``trend``), ``monitor report --period year`` (the CLI), and the
database size per document. Targets: under 1 s, 1 s, 2 s and 5 s.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dense_lexicon import CORPUS

from monitor.documents import Document
from monitor.store import Database
from monitor.trends import TrendQuery, trend

SHIPPED = ("power", "soft_power_pillars", "xi_thought", "diplomatic_style", "security_zh")


def copies(limit: int):
    with gzip.open(CORPUS / "ungdc_1946_2024.jsonl.gz", "rt", encoding="utf-8") as f:
        speeches = [json.loads(line) for line in f]
    n = 0
    for k in range(limit // len(speeches) + 1):
        for s in speeches:
            if n == limit:
                return
            yield Document(text=f"{s['text']}\n\n(copy {k})", source="un",
                           external_id=f"{s['id']}#c{k}",
                           published=f"{s['year']}-{k % 12 + 1:02d}", precision="month")
            n += 1


def build(path: Path, limit: int) -> None:
    start = time.perf_counter()
    with Database(path) as db:
        db.cluster_copies = False  # a query benchmark: the copies are not syndication
        batch: list[Document] = []
        for doc in copies(limit):
            batch.append(doc)
            if len(batch) == 500:
                db.add_documents(batch)
                batch = []
        db.add_documents(batch)
    print(f"stored {limit:,} documents in {time.perf_counter() - start:.0f} s", flush=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "monitor", "--db", str(path), "tally",
                    *[a for n in SHIPPED for a in ("-l", n)]], check=True)
    print(f"tallied in {time.perf_counter() - start:.0f} s", flush=True)


def warm(label: str, fn, target: float, runs: int = 3) -> None:
    """Run ``fn`` once to warm the caches, then ``runs`` times; print the fastest."""
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    best = min(times)
    print(f"{label:<48} {best:6.2f} s  (min of {runs}: {' '.join(f'{t:.2f}' for t in times)};"
          f" target < {target:g} s: {'met' if best < target else 'MISSED'})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "un100k.db")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each query")
    args = parser.parse_args()
    if not args.db.exists():
        build(args.db, args.docs)
    db = Database(args.db)
    n = db.document_count()
    size = os.path.getsize(args.db)
    rows = db.conn.execute("SELECT count(*) FROM counts").fetchone()[0]
    print(f"{n:,} documents, {rows:,} count rows, {size / 2**20:.0f} MB:"
          f" {size / n / 1024:.1f} KB per document (text and its full-text index included)")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
          f" on {os.cpu_count()} cores", flush=True)
    monitor = [sys.executable, "-m", "monitor", "--db", str(args.db)]

    def cli(*command: str) -> None:
        subprocess.run([*monitor, *command], check=True, stdout=subprocess.DEVNULL)

    warm("a term by year (trend power:security)",
         lambda: trend(db, TrendQuery(["power:security"], bucket="year")), 1, args.runs)
    warm("monitor counts power:security --by year (CLI)",
         lambda: cli("counts", "power:security", "--by", "year"), 1, args.runs)
    warm("a category by month (trend power:hard_power)",
         lambda: trend(db, TrendQuery(["power:hard_power"], bucket="month")), 2, args.runs)
    with tempfile.TemporaryDirectory() as out:
        warm("monitor report --period year --for latest (CLI)",
             lambda: cli("report", "--period", "year", "--for", "latest", "--out", out), 5,
             args.runs)


if __name__ == "__main__":
    main()
