"""End-to-end tally speed on the UN General Debate corpus. Run by hand, not in CI:

    .venv/bin/python benchmarks/tally_speed.py [--docs N] [--skip N] [--workers N]

In one run, on the same texts and the same ~2,000-term lexicon (words, phrases, wildcards):
1. the bare scanning loop: ``Matcher.count`` over the texts held in memory, one core;
2. ``monitor tally`` end to end in a fresh process (read, scan on every core, write);
3. ``monitor tally`` again with nothing new (target: under 1 s);
4. sklearn ``CountVectorizer(vocabulary=..., ngram_range=(1, 2)).transform`` with the same
   words and phrases (wildcards have no CountVectorizer equivalent and are left out there).
Targets: (2) within 2x of (1); (2) at least 8x faster than (4).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from matcher_speed import CORPUS, build_vocabulary, load_speeches

from monitor.documents import Document
from monitor.lexicon import Matcher, load_lexicon
from monitor.store import Database


def timed(label: str, fn, megabytes: float) -> float:
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    print(f"{label:<44} {seconds:8.2f} s  {megabytes / seconds:8.1f} MB/s", flush=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000, help="speeches (default: all)")
    parser.add_argument("--terms", type=int, default=2000)
    parser.add_argument("--skip", type=int, default=2000,
                        help="leave out the N most frequent words and bigrams (0 = densest)")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        raise SystemExit(f"corpus not found: {CORPUS}")
    texts = load_speeches(args.docs)
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    words, phrases, wildcards = build_vocabulary(texts, args.terms, args.skip)
    with tempfile.TemporaryDirectory() as tmp:
        lexicon_file = Path(tmp) / "bench.yaml"
        lexicon_file.write_text(yaml.safe_dump(
            {"name": "bench", "categories": {"words": words, "phrases": phrases,
                                             "wildcards": wildcards}}), encoding="utf-8")
        db_file = Path(tmp) / "bench.db"
        with Database(db_file) as db:
            for i in range(0, len(texts), 1000):
                db.add_documents(Document(text=t, source="ungdc", external_id=str(i + j))
                                 for j, t in enumerate(texts[i:i + 1000]))
        print(f"{len(texts)} speeches, {megabytes:.0f} MB; {len(words)} words, "
              f"{len(phrases)} phrases, {len(wildcards)} wildcards")
        matcher = Matcher([load_lexicon(lexicon_file)])
        bare = timed("bare loop: Matcher.count, 1 core", lambda: [matcher.count(t) for t in texts],
                     megabytes)
        command = [sys.executable, "-m", "monitor", "--db", str(db_file), "tally",
                   "-l", str(lexicon_file)]
        if args.workers:
            command += ["--workers", str(args.workers)]
        def tally() -> None:
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        end_to_end = timed("monitor tally, fresh process, all cores", tally, megabytes)
        rerun = timed("monitor tally again, nothing new", tally, megabytes)
        from sklearn.feature_extraction.text import CountVectorizer

        vectorizer = CountVectorizer(vocabulary=sorted(set(words + phrases)), ngram_range=(1, 2))
        sklearn = timed("CountVectorizer(ngram_range=(1, 2)).transform",
                        lambda: vectorizer.transform(texts), megabytes)
    print(f"end-to-end / bare loop: {end_to_end / bare:.2f}x (target <= 2)")
    print(f"CountVectorizer / end-to-end: {sklearn / end_to_end:.1f}x (target >= 8)")
    print(f"re-run with nothing new: {rerun:.2f} s (target < 1)")


if __name__ == "__main__":
    main()
