"""Both engines give identical counts and matches on real texts (UN speeches, Chinese)."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from itertools import islice

import pytest
from shared_corpora import CORPORA

from monitor.lexicon import find_lexicons, lexicon_from_dict, load_lexicon
from monitor.lexicon.matcher import Matcher, hyperscan

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPORA.is_dir(), reason=f"shared corpora not found at {CORPORA}"),
    pytest.mark.skipif(hyperscan is None, reason="hyperscan not installed (x86_64 only)"),
]

EXTRA = {
    "words": ["the", "in", "a", "nations", "united nations", "peace*", "develop*",
              "secur*", "right*", "human rights", "people's", "co-operation", "organi*ation*",
              "world", "international community", "general assembly", "state*", "s"],
    "stemmed": [{"term": "threat", "stem": True}, {"term": "arm", "stem": True}],
    "excepts": [{"term": "security", "except": ["security council"]},
                {"term": "印度", "except": ["印度尼西亚"]}],
}


@pytest.fixture(scope="module")
def lexicons():
    shipped = [load_lexicon(p) for p in find_lexicons()]
    return shipped + [lexicon_from_dict({"categories": EXTRA}, "extra"),
                      lexicon_from_dict({"categories": EXTRA, "overlap": "longest"}, "longest")]


@pytest.fixture(scope="module")
def speeches() -> list[str]:
    path = CORPORA / "ungdc" / "ungdc_1946_2024.jsonl.gz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in islice(f, 300)]


@pytest.fixture(scope="module")
def chinese() -> list[str]:
    path = CORPORA / "zh" / "government_work_reports.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    with path.open(encoding="utf-8") as f:
        return [json.loads(line)["content"] for line in islice(f, 40)]


def _compare(lexicons, texts):
    engines = {name: Matcher(lexicons, engine=name) for name in ("hyperscan", "aho")}
    total: Counter[int] = Counter()
    for text in texts:
        counts = {name: m.count(text) for name, m in engines.items()}
        assert counts["hyperscan"] == counts["aho"]
        total.update(counts["aho"])
    return engines, total


def test_engines_identical_on_un_speeches(lexicons, speeches):
    engines, total = _compare(lexicons, speeches)
    assert sum(total.values()) > 100_000  # the comparison is not vacuous
    for text in speeches[:40]:
        found = engines["hyperscan"].matches(text)
        assert found == engines["aho"].matches(text)
        assert Counter(m.term for m in found) == Counter(engines["aho"].count(text))


def test_engines_identical_on_chinese_reports(lexicons, chinese):
    engines, total = _compare(lexicons, chinese)
    names = [t.label for _, t in engines["aho"].terms]
    assert total[names.index("安全")] > 100
    for text in chinese[:10]:
        assert engines["hyperscan"].matches(text) == engines["aho"].matches(text)
