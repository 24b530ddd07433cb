"""Analysis speed on the whole UN General Debate corpus (10,952 speeches, 1946-2024).

Measures, in one run (ratios are what matter: the machine may be shared):
1. ingest with near-duplicate clustering on and off: the extra cost per document;
2. ``discover``: 2015-2024 against 1995-2004, and 2015-2024 against the rest of the corpus;
3. ``kwic``: the first 50 lines of ``security``, every line of it, and a 20-document sample.

Usage: .venv/bin/python benchmarks/analysis_speed.py [--corpus PATH] [--keep DIR]
       .venv/bin/python benchmarks/analysis_speed.py --db DIR/on.db   # steps 2-3 only
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from monitor import Database
from monitor.analysis import DiscoverQuery, KwicQuery, discover, kwic
from monitor.ingest import FieldMap, ingest_paths
from monitor.lexicon import named_lexicons
from monitor.tally import tally_documents

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "ungdc" / \
    "ungdc_1946_2024.jsonl.gz"


def timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    print(f"{label}: {seconds:.2f} s")
    return result, seconds


def ingest(path: Path, corpus: Path, cluster: bool) -> tuple[Database, float, int]:
    db = Database(path)
    db.cluster_copies = cluster
    report, seconds = timed(f"ingest, clustering {'on' if cluster else 'off'}", lambda: (
        ingest_paths(db, [corpus], source="un", fields=FieldMap(id="id", date="year"))))
    return db, seconds, report.added


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--keep", type=Path, help="keep the databases in this folder")
    parser.add_argument("--db", type=Path, help="a kept on.db, tallied: skip step 1")
    args = parser.parse_args()
    lexicons = [file.load() for file in named_lexicons().values()]
    if args.db:
        searches(Database(args.db), lexicons)
        return
    folder = args.keep or Path(tempfile.mkdtemp(prefix="analysis-speed-"))
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("off.db", "on.db"):
        for suffix in ("", "-wal", "-shm"):
            (folder / (name + suffix)).unlink(missing_ok=True)
    off, off_s, n = ingest(folder / "off.db", args.corpus, cluster=False)
    off.close()
    db, on_s, _ = ingest(folder / "on.db", args.corpus, cluster=True)
    print(f"  {n} documents; clustering adds {(on_s - off_s) / n * 1000:.1f} ms per document"
          f" ({on_s / off_s:.2f}x the ingest time)")
    clusters = db.conn.execute(
        "SELECT count(*) FROM (SELECT cluster_id FROM documents GROUP BY cluster_id"
        " HAVING count(*) > 1)").fetchone()[0]
    print(f"  clusters of copies found: {clusters} (one source: none expected)")
    timed("tally the shipped lexicons", lambda: tally_documents(db, lexicons))
    searches(db, lexicons)


def searches(db: Database, lexicons) -> None:
    found, _ = timed("discover 2015-2024 vs 1995-2004", lambda: discover(db, DiscoverQuery(
        since="2015", until="2024", reference_since="1995", reference_until="2004")))
    print("  top 10:", ", ".join(r.term for r in found.rows[:10]))
    found, _ = timed("discover 2015-2024 vs the rest of the corpus", lambda: discover(
        db, DiscoverQuery(since="2015", until="2024")))
    print("  top 10:", ", ".join(r.term for r in found.rows[:10]))
    result, _ = timed("kwic security, first 50 lines", lambda: kwic(
        db, KwicQuery(["power:security"], limit=50), lexicons))
    result, _ = timed("kwic security, every line", lambda: kwic(
        db, KwicQuery(["power:security"], limit=None), lexicons))
    print(f"  {len(result.lines)} lines in {result.documents} documents")
    timed("kwic security, 20 documents sampled", lambda: kwic(
        db, KwicQuery(["power:security"], sample=20, seed=1, limit=None), lexicons))
    timed("kwic hard_power (category), first 50 lines", lambda: kwic(
        db, KwicQuery(["power:hard_power"], limit=50), lexicons))
    timed("kwic security --where country=CHN --since 2015, first 50 lines", lambda: kwic(
        db, KwicQuery(["power:security"], where=["country=CHN"], since="2015", limit=50),
        lexicons))
    db.close()


if __name__ == "__main__":
    main()
