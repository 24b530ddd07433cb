"""Build the dense 2,000-term lexicon of issue 10 from the UN General Debate corpus:

    .venv/bin/python benchmarks/dense_lexicon.py [--out dense.yaml]

1,500 content words ranked 150-9,000 in frequency (every ~6th of them), the 400 most
frequent two-word phrases of content words, and 100 prefix wildcards (the first 6 letters
of long frequent words), sorted into 10 topics of three sub-categories each, so phrases
share categories with their words as in a real lexicon (national security, security).
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import re
from collections import Counter
from pathlib import Path

import yaml

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "ungdc"
WORD_RE = re.compile(r"[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*")


def load_texts(limit: int | None = None, step: int = 1) -> list[str]:
    with gzip.open(CORPUS / "ungdc_1946_2024.jsonl.gz", "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in itertools.islice(f, 0, limit, step)]


def build(texts: list[str]) -> dict:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as STOP

    words: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    for text in texts:
        tokens = [w.lower() for w in WORD_RE.findall(text)]
        words.update(tokens)
        pairs.update(f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)
                     if a not in STOP and b not in STOP and len(a) > 2 and len(b) > 2)
    ranked = [w for w, _ in words.most_common() if w not in STOP and len(w) > 2 and "-" not in w]
    band = ranked[150:9000]
    unigrams = band[:: max(1, len(band) // 1500)][:1500]
    bigrams = [p for p, _ in pairs.most_common(400)]
    wildcards = list(dict.fromkeys(w[:6] + "*" for w in ranked[:3000] if len(w) > 8))[:100]
    topics: dict[str, dict[str, list[str]]] = {}
    for kind, terms in (("words", unigrams), ("phrases", bigrams), ("wildcards", wildcards)):
        for i, term in enumerate(terms):
            topics.setdefault(f"topic{i % 10}", {}).setdefault(kind, []).append(term)
    # a phrase goes in the topic of its last word when that word is a term, as people write
    # lexicons (security / national security); the rest stay where they are
    home = {w: t for t, kinds in topics.items() for w in kinds.get("words", [])}
    for topic, kinds in list(topics.items()):
        for phrase in list(kinds.get("phrases", [])):
            target = home.get(phrase.split()[-1])
            if target and target != topic:
                kinds["phrases"].remove(phrase)
                topics[target].setdefault("phrases", []).append(phrase)
    return {"name": "dense", "description": "issue 10's dense benchmark lexicon",
            "categories": topics}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("dense.yaml"))
    args = parser.parse_args()
    lexicon = build(load_texts(step=5))
    args.out.write_text(yaml.safe_dump(lexicon, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    n = sum(len(v) for kinds in lexicon["categories"].values() for v in kinds.values())
    print(f"wrote {args.out}: {n} terms")


if __name__ == "__main__":
    main()
