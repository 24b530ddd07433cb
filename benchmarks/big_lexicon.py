"""A 100,000-term lexicon on 2,000 UN speeches (issue 13): load, compile, tally, memory.

    .venv/bin/python benchmarks/big_lexicon.py [--terms 100000] [--docs 2000] [--compare 10000]

The lexicon: the corpus's own words (most frequent first, stop words left out), 5% of
the terms two-word phrases and 1% prefix wildcards, topped up with random words, in 50
topics of 4 sub-categories. In one run, with an empty compile cache:
1. ``load_lexicon`` of the YAML file (validation included);
2. ``Matcher`` compile (plain words go to the word table, the rest to hyperscan);
3. ``monitor tally`` end to end in a fresh process (every core): wall and CPU seconds,
   peak memory (Pss) of all its processes;
4. ``monitor tally`` again with nothing new;
5. with ``--compare N``: the compile of the first N terms with and without the word
   table (engine literals for every word, the design before), as a ratio.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml
from dense_lexicon import CORPUS, load_texts
from procmem import run_measured

from monitor.documents import Document
from monitor.lexicon import Matcher, load_lexicon
from monitor.lexicon import matcher as matcher_module
from monitor.store import Database

WORD_RE = re.compile(r"[^\W\d_]+(?:['\-][^\W\d_]+)*")


def build(texts: list[str], n: int, seed: int = 13) -> dict:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as STOP

    words: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    for text in texts:
        tokens = [w.lower() for w in WORD_RE.findall(text)]
        words.update(tokens)
        pairs.update(f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)
                     if a not in STOP and b not in STOP)
    n_phrases, n_wild = n // 20, n // 100
    phrases = [p for p, _ in pairs.most_common(n_phrases)]
    wildcards = list(dict.fromkeys(w[:6] + "*" for w, _ in words.most_common()
                                   if len(w) > 8))[:n_wild]
    prefixes = tuple(w[:-1] for w in wildcards)
    plain = [w for w, _ in words.most_common() if w not in STOP and not w.startswith(prefixes)]
    plain = plain[: n - len(phrases) - len(wildcards)]
    rng = random.Random(seed)
    have = set(plain)
    while len(plain) + len(phrases) + len(wildcards) < n:
        word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(5, 10)))
        if word not in have:
            have.add(word)
            plain.append(word)
    categories: dict[str, dict[str, list[str]]] = {}
    for i, term in enumerate(plain + phrases + wildcards):
        categories.setdefault(f"topic{i % 50}", {}).setdefault(f"sub{i % 4}", []).append(term)
    return {"name": "big", "description": "issue 13's 100,000-term benchmark lexicon",
            "categories": categories}


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, default=100_000)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--compare", type=int, default=10_000,
                        help="terms compiled with and without the word table (0: skip)")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        raise SystemExit(f"corpus not found: {CORPUS}")
    texts = load_texts(args.docs)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MONITOR_CACHE"] = str(Path(tmp) / "cache")  # a cold compile
        lexicon_file = Path(tmp) / "big.yaml"
        lexicon_file.write_text(yaml.safe_dump(build(load_texts(None, 3), args.terms)),
                                encoding="utf-8")
        db_file = Path(tmp) / "bench.db"
        with Database(db_file) as db:
            for i in range(0, len(texts), 1000):
                db.add_documents(Document(text=t, source="ungdc", external_id=str(i + j))
                                 for j, t in enumerate(texts[i:i + 1000]))
        megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
        load_s, lexicon = timed(lambda: load_lexicon(lexicon_file))
        compile_s, matcher = timed(lambda: Matcher([lexicon]))
        table = sum(len(words) for _, words, _ in matcher._sides)
        print(f"{len(lexicon.terms):,} terms ({table:,} in the word table), "
              f"{lexicon_file.stat().st_size / 1e6:.1f} MB of YAML; {len(texts):,} speeches, "
              f"{megabytes:.0f} MB")
        print(f"load_lexicon: {load_s:.1f} s; Matcher compile: {compile_s:.1f} s")
        del matcher
        command = [sys.executable, "-m", "monitor", "--db", str(db_file), "tally",
                   "-l", str(lexicon_file)]
        wall, peak, cpu = run_measured(command, stdout=sys.stderr)
        print(f"monitor tally: {wall:.1f} s wall, {cpu:.1f} s CPU of all processes, "
              f"peak {peak / 2**20:.0f} MB (Pss, all processes)")
        wall, peak, cpu = run_measured(command, stdout=sys.stderr)
        print(f"monitor tally again, nothing new: {wall:.1f} s wall, {cpu:.1f} s CPU, "
              f"peak {peak / 2**20:.0f} MB")
        if args.compare:
            from monitor.lexicon import Lexicon

            part = Lexicon("part", terms=lexicon.terms[: args.compare])
            with_table, _ = timed(lambda: Matcher([part]))
            minimum, matcher_module.WORD_TABLE_MIN = matcher_module.WORD_TABLE_MIN, 10**9
            try:
                without, _ = timed(lambda: Matcher([part]))
            finally:
                matcher_module.WORD_TABLE_MIN = minimum
            print(f"compile of {len(part.terms):,} terms: {with_table:.1f} s with the word table, "
                  f"{without:.1f} s with engine literals only ({without / with_table:.0f}x)")


if __name__ == "__main__":
    main()
