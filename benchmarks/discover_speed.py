"""``monitor discover`` speed on the whole UN General Debate corpus (10,952 speeches).

Measures, in one run (ratios are what matter: the machine may be shared):
1. counting words and 1-3-word phrases, on the same 1-in-N sample of speeches:
   scikit-learn's ``CountVectorizer`` with the Python analyzer ``tokens.phrases`` (the
   old way) against ``vectorize.count_phrases`` (word ids and numpy), and the megabytes
   of text per second of each;
2. ``discover`` 2015-2024 against 1995-2004, and 2015-2024 against the rest of the corpus
   (every speech is read), with the top ten terms of each.

Usage: .venv/bin/python benchmarks/discover_speed.py [--db UN.db] [--sample 10]
(without --db the corpus is ingested into a temporary database first, clustering off).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from monitor import Database
from monitor.analysis import DiscoverQuery, discover
from monitor.analysis.select import read_texts
from monitor.analysis.tokens import phrases
from monitor.analysis.vectorize import count_phrases
from monitor.ingest import FieldMap, ingest_paths

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "ungdc" / \
    "ungdc_1946_2024.jsonl.gz"


def timed(label: str, fn):
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    seconds = time.perf_counter() - start
    print(f"{label}: {seconds:.2f} s (CPU {time.process_time() - cpu:.2f} s)", flush=True)
    return result, seconds


def old_count(texts: list[str]):
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(analyzer=phrases, dtype=np.int32)
    return vectorizer.fit_transform(texts), vectorizer.get_feature_names_out()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a database with the UN corpus ingested")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--sample", type=int, default=10, help="1 speech in N for step 1")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    if args.db:
        db = Database(args.db)
    else:
        db = Database(Path(tempfile.mkdtemp(prefix="discover-speed-")) / "un.db")
        db.cluster_copies = False
        timed("ingest the corpus", lambda: ingest_paths(
            db, [args.corpus], source="un", fields=FieldMap(id="id", date="year")))
    ids = [i for (i,) in db.conn.execute("SELECT id FROM documents ORDER BY id")]
    sample = ids[:: args.sample]
    texts = list(read_texts(db.conn, sample))
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"{len(ids)} documents; step 1 on {len(sample)} of them ({mb:.1f} MB)")
    (old, old_names), old_s = timed("  CountVectorizer + phrases", lambda: old_count(texts))
    (new, new_names), new_s = timed("  count_phrases", lambda: count_phrases(texts))
    assert old.shape == new.shape and old.sum() == new.sum(), "the two counts differ"
    print(f"  {mb / old_s:.2f} MB/s against {mb / new_s:.2f} MB/s:"
          f" {old_s / new_s:.1f}x faster; {new.shape[1]:,} terms, same matrix")
    for label, query in (
            ("discover 2015-2024 vs 1995-2004", DiscoverQuery(
                since="2015", until="2024", reference_since="1995", reference_until="2004")),
            ("discover 2015-2024 vs the rest of the corpus", DiscoverQuery(
                since="2015", until="2024"))):
        found, _ = timed(label, lambda q=query: discover(db, q))
        group = found.groups[0]
        print(f"  {group['documents']} against {group['ref_documents']} speeches;"
              " top 10: " + ", ".join(r.term for r in found.rows[:10]), flush=True)
    db.close()


if __name__ == "__main__":
    main()
