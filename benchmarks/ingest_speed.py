"""``monitor ingest`` of the UN corpus against the bare insert-with-FTS floor. By hand:

    .venv/bin/python benchmarks/ingest_speed.py [--repeat 1]

In one run: (1) the floor: read the JSON Lines file and insert each speech's text into a
table with an FTS5 index (the same ``unicode61`` index the store keeps), filled with one
``INSERT ... SELECT`` per 500 documents, nothing else (no normalising, hashing, word
counts, dates or duplicate checks), gunzipped with the same library the store uses (ISA-L
where installed); (2) ``monitor ingest`` of the same file into a fresh
database, in a fresh process, with the peak memory of its processes. Target: (2) within
1.5x of (1), memory flat.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from dense_lexicon import CORPUS
from procmem import run_measured

from monitor.sources.decode import _gzip

FILE = CORPUS / "ungdc_1946_2024.jsonl.gz"


def floor(path: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the floor."""
    start, cpu = time.perf_counter(), time.process_time()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE documents (id INTEGER PRIMARY KEY, external_id TEXT,"
                 " published TEXT, title TEXT, text TEXT NOT NULL, meta TEXT)")
    conn.execute("CREATE VIRTUAL TABLE documents_fts USING fts5(title, text,"
                 " content='documents', content_rowid='id', tokenize='unicode61')")
    batch: list[tuple] = []

    def flush() -> None:
        conn.execute("BEGIN")
        first = conn.execute("SELECT coalesce(max(id), 0) FROM documents").fetchone()[0]
        conn.executemany("INSERT INTO documents (external_id, published, title, text, meta)"
                         " VALUES (?, ?, ?, ?, ?)", batch)
        conn.execute("INSERT INTO documents_fts (rowid, title, text)"
                     " SELECT id, title, text FROM documents WHERE id > ?", (first,))
        conn.execute("COMMIT")
        batch.clear()

    with _gzip.open(FILE, "rt", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            text = record.pop("text")
            batch.append((record.pop("id"), str(record.pop("year")), None, text,
                          json.dumps(record)))
            if len(batch) == 500:
                flush()
    flush()
    conn.close()
    return time.perf_counter() - start, time.process_time() - cpu


def settle(folder: str) -> None:
    """Remove the last run's database and write the dirty pages out, so that a run does
    not pay for the writeback of the one before (300 MB each)."""
    for path in Path(folder).iterdir():
        path.unlink()
    os.sync()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="alternate the two N times")
    args = parser.parse_args()
    if not FILE.exists():
        raise SystemExit(f"corpus not found: {FILE}")
    floors, ingests, peaks, cpus = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            settle(tmp)
            wall, cpu = floor(Path(tmp) / f"floor{i}.db")
            floors.append(wall)
            settle(tmp)
            seconds, peak, used = run_measured(
                [sys.executable, "-m", "monitor", "--db", str(Path(tmp) / f"m{i}.db"), "ingest",
                 str(FILE), "--id-field", "id", "--date-field", "year", "--no-progress"],
                stdout=sys.stderr)
            ingests.append(seconds)
            peaks.append(peak)
            cpus.append((cpu, used))
            print(f"run {i + 1}: floor {wall:.1f} s ({cpu:.1f} s CPU), monitor ingest"
                  f" {seconds:.1f} s ({used:.1f} s CPU, all processes;"
                  f" {seconds / wall:.2f}x), peak {peak / 2**20:.0f} MB", flush=True)
    best_floor, best_ingest = min(floors), min(ingests)
    print(f"floor {best_floor:.1f} s, monitor ingest {best_ingest:.1f} s (min of {args.repeat}):"
          f" {best_ingest / best_floor:.2f}x (target <= 1.5x); CPU {min(c for c, _ in cpus):.1f}"
          f" s and {min(u for _, u in cpus):.1f} s; peak memory {max(peaks) / 2**20:.0f} MB")

if __name__ == "__main__":
    main()
