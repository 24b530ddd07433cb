"""Backfill speed on the whole UN General Debate corpus, against the local tally. By hand:

    .venv/bin/python benchmarks/backfill_speed.py [--shards 8] [--lexicon power ...]

In one run, on the same 10,952 speeches split into ``--shards`` gzip'd JSON Lines shards
and the shipped lexicons (or those named):
1. ``monitor ingest`` once (timed: a backfill also reads, normalises, hashes and counts the
   words of every document), then ``monitor tally`` with 1 and 2 worker processes, each on
   a copy of that database;
2. ``monitor backfill`` of the shards on a LocalCluster of 1 and of 2 workers (fresh
   database and partials each time): wall time with the cluster's start, and documents
   per second per worker (documents / the tasks' summed time on the workers);
3. the trend answers of (1) and (2) compared, which must be equal.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from monitor.backfill import backfill  # noqa: E402
from monitor.ingest import FieldMap, ingest_paths  # noqa: E402
from monitor.lexicon import named_lexicons, resolve_lexicon  # noqa: E402
from monitor.store import Database  # noqa: E402
from monitor.tally import tally_documents  # noqa: E402
from monitor.trends import TrendQuery, trend  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "ungdc"


def split(corpus: Path, folder: Path, shards: int) -> int:
    folder.mkdir(parents=True)
    with gzip.open(corpus, "rt", encoding="utf-8") as stream:
        lines = stream.readlines()
    for i in range(shards):
        with gzip.open(folder / f"part-{i:03}.jsonl.gz", "wt", encoding="utf-8",
                       compresslevel=1) as out:
            out.writelines(lines[i::shards])
    return len(lines)


def answers(db: Database, lexicons) -> list[str]:
    from monitor.trends.data import top_categories

    out = []
    for lex in lexicons:
        lexicon_id = db.conn.execute("SELECT id FROM lexicons WHERE name = ?",
                                     (lex.name,)).fetchone()[0]
        series = [f"{lex.name}:{c}" for c in top_categories(db.conn, lexicon_id)]
        for measure in ("share", "per10k"):
            out.append(trend(db, TrendQuery(series, measure=measure, by_source=True)).to_csv())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--lexicon", action="append", default=None)
    args = parser.parse_args()
    corpus = CORPUS / "ungdc_1946_2024.jsonl.gz"
    if not corpus.exists():
        raise SystemExit(f"corpus not found: {corpus}")
    lexicons = ([resolve_lexicon(name) for name in args.lexicon] if args.lexicon
                else [file.load() for file in named_lexicons().values()])
    print(f"lexicons: {', '.join(lex.name for lex in lexicons)}"
          f" ({sum(len(lex.terms) for lex in lexicons)} terms)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        docs = split(corpus, root / "un", args.shards)
        print(f"{docs} speeches in {args.shards} shards")
        reference = None
        with Database(root / "ingested.db") as db:
            start = time.perf_counter()
            ingest_paths(db, [root / "un"], fields=FieldMap(date="year"))
            ingest_seconds = time.perf_counter() - start
        print(f"ingest (not part of a backfill):   {ingest_seconds:7.2f} s"
              f"  {docs / ingest_seconds:7.0f} documents/s")
        for workers in (1, 2):
            shutil.copyfile(root / "ingested.db", root / f"tally-{workers}.db")
            with Database(root / f"tally-{workers}.db") as db:
                start = time.perf_counter()
                tally_documents(db, lexicons, workers=workers)
                seconds = time.perf_counter() - start
                print(f"local tally, {workers} worker(s):      {seconds:7.2f} s"
                      f"  {docs / seconds:7.0f} documents/s;"
                      f" with the ingest {docs / (seconds + ingest_seconds):7.0f} documents/s")
                reference = answers(db, lexicons)
        for workers in (1, 2):
            with Database(root / f"backfill-{workers}.db") as db:
                start = time.perf_counter()
                report = backfill(db, [str(root / "un")], lexicons, workers=workers)
                seconds = time.perf_counter() - start
                assert report.ok and report.documents == docs, report.summary()
                print(f"backfill, LocalCluster of {workers}:    {seconds:7.2f} s"
                      f"  {docs / seconds:7.0f} documents/s with the cluster's start;"
                      f" tasks {report.seconds:.2f} s ({report.rate:.0f}/s);"
                      f" per worker {report.rate_per_worker:.0f} documents/s")
                same = answers(db, lexicons) == reference
                print(f"  trend answers equal to ingest + tally: {same}")
                if not same:
                    raise SystemExit(1)


if __name__ == "__main__":
    main()
