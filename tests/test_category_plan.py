"""The tally's category plan (monitor.lexicon.categories.category_plan) skips spans where a
compile-time argument says they cannot change a total; it must give the same counts as
keeping every span of every term that can nest (the old route) on real speeches."""

from __future__ import annotations

import gzip
import importlib.util
import itertools
import json
from pathlib import Path

import pytest

from monitor.lexicon import Matcher, lexicon_from_dict, resolve_lexicon
from monitor.lexicon import matcher as matcher_module
from tests.shared_corpora import corpus_path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _old_route(monkeypatch: pytest.MonkeyPatch, lexicons: list) -> Matcher:
    """A matcher whose nesting terms all keep their spans, for every category."""

    def every_span(lexicons, categories, nesting):
        _, of_term = matcher_module.category_tree(lexicons)
        return {t: (of_term[t], ()) for t in nesting}

    with monkeypatch.context() as patch:
        patch.setattr(matcher_module, "category_plan", every_span)
        return Matcher(lexicons)


def _dense_lexicon(texts: list[str]):
    spec = importlib.util.spec_from_file_location("dense_lexicon", BENCHMARKS / "dense_lexicon.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return lexicon_from_dict(module.build(texts), "dense")


def _compare(new: Matcher, old: Matcher, texts) -> int:
    assert new.categories == old.categories and new.terms == old.terms
    nested = 0
    for k, text in enumerate(texts):
        data = text.encode("utf-8")
        got, want = new.tally(data), old.tally(data)
        assert got[0] == want[0], k  # per term
        assert got[1] == want[1], k  # per category
        nested += sum(n < sum(c for t, c in got[0].items() if cat in new.term_categories[t])
                      for cat, n in got[1].items())
    return nested


def test_plan_equals_every_span_on_un_speeches_with_the_dense_lexicon(monkeypatch):
    """Issue 10's dense 2,000-term lexicon (words under wildcards, phrases of words, in
    three sub-categories per topic) on every 5th UN speech: per document, term, category."""
    path = corpus_path("ungdc/ungdc_1946_2024.jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in itertools.islice(f, 0, None, 5)]
    lexicon = _dense_lexicon(texts[::2])
    new, old = Matcher([lexicon]), _old_route(monkeypatch, [lexicon])
    assert len(new._span_cats) < len(old._span_cats)  # the plan saves spans here
    assert _compare(new, old, texts) > 10_000  # nested spans were seen and counted once


def test_plan_equals_every_span_with_shipped_and_tricky_lexicons(monkeypatch):
    tricky = lexicon_from_dict({"categories": {
        "a": {"w": ["secur*", "security", "securities", "security's", "secure", "sec*",
                    "intern*", "international", "inter-national", "peace*", "peace"],
              "p": ["international peace", "national security", "peace and security",
                    "new international", "security council", "peace's future"]},
        "b": {"x": ["state*", "states", "member states", "states'"],
              "y": ["nation", "nations", "united nations", "nation*"]},
    }}, "tricky")
    lexicons = [*(resolve_lexicon(n) for n in ("power", "soft_power_pillars", "xi_thought",
                                               "diplomatic_style", "security_zh")), tricky]
    texts = ["International peace and security; national security. Security's sake, "
             "securities, sec-ret, inter-national peace's future, new international peace.",
             "Member states' states, the United Nations' nations; nation-states.",
             "Peace’s future: peace-keeping, PEACE and   security\ncouncil.", "", "安全 国家安全"]
    path = corpus_path("ungdc/ungdc_1946_2024.jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        texts += [json.loads(line)["text"] for line in itertools.islice(f, 0, None, 150)]
    new, old = Matcher(lexicons), _old_route(monkeypatch, lexicons)
    assert _compare(new, old, texts) > 100
    for text in texts[:5]:  # and the reference that keeps every match's span
        assert new.tally(text)[1] == new.category_counts(text)
