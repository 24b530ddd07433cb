"""``--where`` and ``--by`` on a million documents. By hand:

    .venv/bin/python benchmarks/where_speed.py [--docs 1000000] [--db /tmp/where1m.db]

Builds the database once (kept for re-runs) with plain SQL inserts, since only the
tables a trend reads matter: 1,000,000 documents of 1946-2024 from 200 countries (meta
``country``, ``session``, ``group``: one in ten is "G77"), one lexicon ``bench`` of two
terms tallied on every document, counts on one document in three. Then, warm (each
query run once before it is timed), a term by year: with no filter, ``--where
country=CHN`` (0.5% of the documents), ``--where "country in CHN,USA,RUS"``, ``--where
group=G77`` (10%), ``--where "group != G77"`` (90%) and ``--by group``, and the same as
``monitor trend`` from a fresh process. Target: a selective filter under 1 s, and no
filter slower than the unfiltered query by more than the documents it keeps.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from monitor.store import Database
from monitor.trends import TrendQuery, trend

COUNTRIES = ["CHN", "USA", "RUS"] + [f"C{i:03d}" for i in range(197)]


def build(path: Path, limit: int) -> None:
    start = time.perf_counter()
    rng = random.Random(11)
    with Database(path) as db, db.transaction() as conn:
        conn.execute("INSERT INTO sources (id, name, added) VALUES (1, 'un', '2026-01-01')")
        conn.execute("INSERT INTO lexicons (id, name, fingerprint, updated)"
                     " VALUES (1, 'bench', 'f', '2026-01-01')")
        conn.execute("INSERT INTO terms (id, lexicon_id, category, label)"
                     " VALUES (1, 1, 'hard', 'security'), (2, 1, 'soft', 'culture')")
        conn.execute("INSERT INTO categories (id, lexicon_id, path, depth)"
                     " VALUES (1, 1, 'hard', 1), (2, 1, 'soft', 1)")
        batch = []
        for i in range(1, limit + 1):
            year = 1946 + i % 79
            meta = {"country": COUNTRIES[i % len(COUNTRIES)], "session": year - 1945,
                    "group": "G77" if i % 10 == 0 else "other"}
            batch.append((i, f"{year}", "year", 1500 + i % 2000, f"h{i}", f"document {i}",
                          json.dumps(meta)))
            if len(batch) == 50_000 or i == limit:
                conn.executemany(
                    "INSERT INTO documents (id, source_id, published, precision, ingested_at,"
                    " language, word_count, content_hash, text, meta)"
                    " VALUES (?, 1, ?, ?, '2026-01-01', 'en', ?, ?, ?, ?)", batch)
                ids = [row[0] for row in batch]
                conn.executemany("INSERT INTO tallied VALUES (?, 1, 'f')",
                                 [(d,) for d in ids])
                conn.executemany("INSERT INTO counts (document_id, term_id, count)"
                                 " VALUES (?, 1, ?)",
                                 [(d, rng.randint(1, 9)) for d in ids if d % 3 == 0])
                conn.executemany("INSERT INTO category_counts (document_id, category_id,"
                                 " count) VALUES (?, 1, ?)",
                                 [(d, rng.randint(1, 9)) for d in ids if d % 3 == 0])
                batch = []
    print(f"stored {limit:,} documents in {time.perf_counter() - start:.0f} s", flush=True)


def timed(db: Database, **kw) -> tuple[float, int]:
    query = TrendQuery(["bench:security"], bucket="year", **kw)
    trend(db, query)  # warm
    start = time.perf_counter()
    result = trend(db, query)
    elapsed = time.perf_counter() - start
    return elapsed, sum(r.total_docs or 0 for r in result.rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path,
                        default=Path(tempfile.gettempdir()) / "where1m.db")
    args = parser.parse_args()
    if not args.db.exists():
        build(args.db, args.docs)
    cases = {
        "no filter": {},
        "--where country=CHN": {"where": ["country=CHN"]},
        "--where 'country in CHN,USA,RUS'": {"where": ["country in CHN,USA,RUS"]},
        "--where group=G77": {"where": ["group=G77"]},
        "--where 'group != G77'": {"where": ["group != G77"]},
        "--where language=en": {"where": ["language=en"]},
        "--by group": {"by": "group"},
    }
    with Database(args.db) as db:
        base = None
        for name, kw in cases.items():
            elapsed, docs = timed(db, **kw)
            base = base or elapsed
            print(f"{name:36s} {elapsed:6.2f} s  {docs:>9,} documents"
                  f"  ({elapsed / base:.2f} x no filter)", flush=True)
    for argv in (["trend", "bench:security"],
                 ["trend", "bench:security", "--where", "country=CHN"]):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "monitor", "--db", str(args.db), *argv,
                        "--format", "csv"], check=True, stdout=subprocess.DEVNULL)
        print(f"monitor {' '.join(argv):40s} {time.perf_counter() - start:6.2f} s"
              " (fresh process)", flush=True)


if __name__ == "__main__":
    main()
