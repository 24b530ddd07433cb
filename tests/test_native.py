"""The compiled extension gives what the pure-Python route gives: forms, hits, counts."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from itertools import islice

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shared_corpora import CORPORA

from monitor.lexicon import find_lexicons, lexicon_from_dict, load_lexicon, native
from monitor.lexicon.forms import FormMaker
from monitor.lexicon.matcher import Matcher

pytestmark = pytest.mark.skipif(not native.available(), reason=(
    "the C extension is not built here (it needs a C compiler and libhyperscan-dev at"
    " install time)"))

NASTY = [
    "plain ascii Security", "", "national security\u2019s sake \u2014 \u201cpeace\u201d",
    "secu\u200brity and sec\u00adurity", "\ufeffSecurity", "\u00c9TAT and \u00e9tat",
    "\u0130stanbul", "\u03bf\u03bb\u03bf\u03c2", "\u5b89\u5168 and security", "caf\u00e9",
    "\U0001f600 emoji \U00010348", "nul\x00byte and \x7f", "it\u2019s the \u2019 end\u2019",
]
BAD_UTF8 = [b"\xff", b"ok \xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80 surrogate",
            b"\xf4\x90\x80\x80", b"\xf8\x88\x80\x80\x80", b"cut \xe2\x80", b"cut \xc3",
            b"\x80 stray", b"\xf0\x9f\x98"]


def python_forms(data: bytes, monkeypatch) -> tuple | None:
    """The byte route of the bindings: (prepared, folded, view) or None."""
    from monitor.lexicon.patterns import ascii_view_utf8

    with monkeypatch.context() as patch:
        patch.setattr(native, "_native", None)
        forms = FormMaker().make_utf8(data)
    if forms is None:
        return None
    return forms.prepared_utf8, forms.folded_utf8, ascii_view_utf8(forms.folded_utf8)


def test_fold_equals_the_python_byte_route_or_declines_the_same(monkeypatch):
    folder = native.folder()
    for data in [t.encode("utf-8") for t in NASTY] + BAD_UTF8:
        assert folder.fold(data) == python_forms(data, monkeypatch), data
    assert folder.fold(b"A\xe2\x80\x99B") == (b"A'B", b"a'b", b"\x01a'b\x01")
    with pytest.raises(TypeError):
        folder.fold("a str")


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=40), st.text(max_size=40).map(
    lambda t: t.encode("utf-8", "surrogatepass"))))
def test_fold_on_any_bytes(data):
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert native.folder().fold(data) == python_forms(data, monkeypatch)


def test_literals_count_exact_hits_into_terms_and_return_the_rest():
    lits = native._native.Literals([b"ab", b"b", b"abc"], [0, 1, 2])
    lits.set_terms([0, 2, 3], [7, 8, 9])  # id 0 counts for terms 7 and 8, id 1 for 9
    counts = {9: 1}
    assert lits.scan(b"xabcabab", 2, counts) == [(2, 4)]
    assert counts == {7: 3, 8: 3, 9: 4}
    assert sorted(lits.scan(b"xabcabab", 0, counts)) == [
        (0, 3), (0, 6), (0, 8), (1, 3), (1, 6), (1, 8), (2, 4)]
    assert lits.scan(b"", 2, counts) == [] and counts == {7: 3, 8: 3, 9: 4}
    again = native._native.Literals.load(lits.dump(), 3)
    again.set_terms([0, 1, 2], [0, 1])
    fresh: dict[int, int] = {}
    assert again.scan(b"abc", 2, fresh) == [(2, 3)] and fresh == {0: 1, 1: 1}
    with pytest.raises(ValueError):
        lits.set_terms([0, 3, 1], [1, 2, 3])
    with pytest.raises(ValueError):
        native._native.Literals([], [])
    with pytest.raises(native._native.HyperscanError):
        native._native.Literals.load(b"not a database", 3)


def test_a_scan_started_while_another_builds_its_results_does_not_disturb_it():
    """Making the result list can run Python code (the collector's callbacks, a __del__,
    another thread): a scan of the same Literals there must leave this one's hits alone."""
    import gc

    lits = native._native.Literals([b"a"], [0])
    lits.set_terms([0, 1], [3])
    inner: list = []

    def scan_again(phase: str, info: dict) -> None:
        if phase == "start" and not inner:
            counts: dict[int, int] = {}
            inner.append((lits.scan(b"a" * 200_000, 0, counts), counts))

    threshold = gc.get_threshold()
    gc.callbacks.append(scan_again)
    gc.set_threshold(10)
    try:
        counts: dict[int, int] = {}
        out = lits.scan(b"a" * 2000, 0, counts)
    finally:
        gc.callbacks.remove(scan_again)
        gc.set_threshold(*threshold)
    assert inner and len(inner[0][0]) == 200_000  # the scan inside did run
    assert out == [(0, end) for end in range(1, 2001)] and counts == {}
    assert lits.scan(b"aaa", 1, counts) == [] and counts == {3: 3}


def test_bad_arguments_are_errors_that_say_so():
    with pytest.raises(ValueError, match="below 2"):
        native._native.Literals([b"a"], [2**31 - 1])
    lits = native._native.Literals([b"a"], [0])
    with pytest.raises(OverflowError):
        lits.set_terms([0, 2**32], [5])
    with pytest.raises(TypeError):
        lits.set_terms([0, 1], ["x"])
    with pytest.raises(RuntimeError, match="compiled once"):
        lits.__init__([b"b"], [0])
    with pytest.raises(RuntimeError, match="not initialised"):
        native._native.Folder.__new__(native._native.Folder).fold(b"x")


def _both(lexicons, monkeypatch) -> tuple[Matcher, Matcher]:
    made = Matcher(lexicons)
    with monkeypatch.context() as patch:
        patch.setattr(native, "_native", None)
        bindings = Matcher(lexicons)
    return made, bindings


def _compare(made: Matcher, bindings: Matcher, texts: list[str]) -> Counter:
    total: Counter[int] = Counter()
    for text in texts:
        data = text.encode("utf-8")
        assert made.tally_parts(data) == bindings.tally_parts(data)
        assert made.count(text) == bindings.count(text)
        total.update(made.count(text))
    for text in texts[:20]:
        assert made.matches(text) == bindings.matches(text)
    return total


def test_counts_equal_on_nasty_texts(monkeypatch):
    lexicon = lexicon_from_dict({"categories": {"x": [
        "security", "national security", "\u00e9tat", "istanbul", "secur*", "it's",
        "\u5b89\u5168", "caf\u00e9", "end"], "y": [{"term": "Security", "case": "sensitive"}]}},
        "nasty")
    made, bindings = _both([lexicon], monkeypatch)
    assert sum(_compare(made, bindings, NASTY).values()) > 10


@pytest.mark.corpus
@pytest.mark.skipif(not CORPORA.is_dir(), reason=f"shared corpora not found at {CORPORA}")
def test_counts_equal_on_real_texts(monkeypatch):
    un = CORPORA / "ungdc" / "ungdc_1946_2024.jsonl.gz"
    zh = CORPORA / "zh" / "government_work_reports.jsonl"
    if not un.is_file() or not zh.is_file():
        pytest.skip("UN or Chinese corpus missing")
    with gzip.open(un, "rt", encoding="utf-8") as f:
        speeches = [json.loads(line)["text"] for line in islice(f, 0, 10952, 40)]
    with zh.open(encoding="utf-8") as f:
        reports = [json.loads(line)["content"] for line in islice(f, 20)]
    words = Counter(w for t in speeches[:60] for w in t.lower().split() if w.isalpha())
    frequent = [w for w, _ in words.most_common(400)]
    dense = lexicon_from_dict({"categories": {
        "words": frequent[:300],
        "prefixes": sorted({w[:4] + "*" for w in frequent[300:360]}),
        "phrases": [f"{a} {b}" for a, b in zip(frequent[:40], frequent[1:41], strict=True)]}},
        "dense")
    shipped = [load_lexicon(p) for p in find_lexicons()]
    made, bindings = _both([dense, *shipped], monkeypatch)
    assert sum(_compare(made, bindings, speeches).values()) > 200_000
    names = [t.label for _, t in made.terms]
    assert _compare(made, bindings, reports)[names.index("\u5b89\u5168")] > 50
