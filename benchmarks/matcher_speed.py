"""How fast does the matcher count? Run by hand: ``.venv/bin/python benchmarks/matcher_speed.py``.

Builds 2,000-term lexicons from the UN General Debate corpus itself (content words and
bigrams, wildcard prefixes, plus every shipped lexicon): a dense one from the most
frequent and a sparse one from rarer words (rhetoric lexicons are usually sparse). Times
``Matcher.count`` per engine on the speeches held in memory, and sklearn's
``CountVectorizer(vocabulary=..., ngram_range=(1, 2)).transform`` on the plain words and
bigrams of the same vocabulary. Throughput is UTF-8 megabytes of text per second on one
core (compile time excluded, reported apart).
"""

from __future__ import annotations

import argparse
import gzip
import json
import pickle
import time
from collections import Counter
from pathlib import Path

from monitor.lexicon import find_lexicons, lexicon_from_dict, load_lexicon
from monitor.lexicon.matcher import Matcher, hyperscan
from monitor.text import WORD_RE

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "ungdc"


def load_speeches(limit: int) -> list[str]:
    texts = []
    with gzip.open(CORPUS / "ungdc_1946_2024.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            texts.append(json.loads(line)["text"])
            if len(texts) >= limit:
                break
    return texts


def build_vocabulary(texts: list[str], size: int, skip: int) -> tuple[list, list, list]:
    """(unigrams, bigrams, wildcards) of content words ranked by frequency in ``texts``,
    leaving out the ``skip`` most frequent of each kind (0 = the densest lexicon)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    unigrams: Counter[str] = Counter()
    bigrams: Counter[str] = Counter()
    for text in texts[:500]:
        words = [w.lower().replace("\u2019", "'") for w in WORD_RE.findall(text)]
        unigrams.update(w for w in words if w.isalpha())
        bigrams.update(f"{a} {b}" for a, b in zip(words, words[1:], strict=False)
                       if a.isalpha() and b.isalpha()
                       and a not in ENGLISH_STOP_WORDS and b not in ENGLISH_STOP_WORDS)
    content = [w for w, _ in unigrams.most_common() if w not in ENGLISH_STOP_WORDS and len(w) > 2]
    n_uni, n_bi, n_wild = size * 6 // 10, size * 3 // 10, size // 10
    wildcards = list(dict.fromkeys(w[:6] + "*" for w in content if len(w) > 7))
    return (content[skip: skip + n_uni], [b for b, _ in bigrams.most_common()][skip: skip + n_bi],
            wildcards[skip // 4: skip // 4 + n_wild])


def run(texts: list[str], megabytes: float, uni, bi, wild, sklearn: bool) -> None:
    generated = {"unigrams": uni, "bigrams": bi, "wildcards": wild}
    generated = {k: v for k, v in generated.items() if v}
    lexicons = [load_lexicon(p) for p in find_lexicons()]
    if generated:
        lexicons.insert(0, lexicon_from_dict({"categories": generated}, "generated"))
    n_terms = sum(len(lex.terms) for lex in lexicons)
    print(f"  {n_terms} terms: {len(uni)} words, {len(bi)} bigrams, {len(wild)} wildcards, "
          f"{n_terms - len(uni) - len(bi) - len(wild)} from the shipped lexicons")
    totals = {}
    for engine in ("hyperscan", "aho"):
        if engine == "hyperscan" and hyperscan is None:
            print("  hyperscan: not installed")
            continue
        t0 = time.perf_counter()
        matcher = Matcher(lexicons, engine=engine)
        built = time.perf_counter() - t0
        t0 = time.perf_counter()
        pickle.loads(pickle.dumps(matcher))
        rebuilt = time.perf_counter() - t0
        t0 = time.perf_counter()
        total: Counter[int] = Counter()
        for text in texts:
            total.update(matcher.count(text))
        elapsed = time.perf_counter() - t0
        totals[engine] = total
        print(f"  {engine:>15}: {megabytes / elapsed:6.1f} MB/s  ({elapsed:.2f} s; compile "
              f"{built:.2f} s, unpickle {rebuilt:.2f} s; {sum(total.values()) / megabytes:,.0f} "
              "matches/MB)")
    if len(totals) == 2:
        print("  engines agree:", totals["hyperscan"] == totals["aho"])
    if sklearn:
        from sklearn.feature_extraction.text import CountVectorizer

        vocabulary = list(dict.fromkeys(uni + bi))
        vectorizer = CountVectorizer(vocabulary=vocabulary, ngram_range=(1, 2))
        t0 = time.perf_counter()
        vectorizer.transform(texts)
        elapsed = time.perf_counter() - t0
        print(f"  CountVectorizer: {megabytes / elapsed:6.1f} MB/s  ({elapsed:.2f} s; the "
              f"{len(vocabulary)} words and bigrams, no wildcards)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1500, help="speeches to read")
    parser.add_argument("--terms", type=int, default=2000, help="generated terms (+ shipped)")
    parser.add_argument("--no-sklearn", action="store_true")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        raise SystemExit(f"corpus not found: {CORPUS}")
    texts = load_speeches(args.docs)
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"{len(texts)} UN General Debate speeches, {megabytes:.1f} MB, one core")
    print("the shipped lexicons only")
    run(texts, megabytes, [], [], [], False)
    for label, skip in (("sparse (content words and bigrams ranked 2,000 and below)", 2000),
                        ("dense (the most frequent content words and bigrams)", 0)):
        print(label)
        run(texts, megabytes, *build_vocabulary(texts, args.terms, skip), not args.no_sklearn)


if __name__ == "__main__":
    main()
