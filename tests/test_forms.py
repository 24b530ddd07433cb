"""The byte route to a text's forms gives exactly what the str route gives, or declines."""

from __future__ import annotations

import gzip
import json
from itertools import islice

import pytest
from shared_corpora import CORPORA

from monitor.lexicon import lexicon_from_dict, native
from monitor.lexicon.forms import FormMaker, slow_chars
from monitor.lexicon.matcher import Matcher, hyperscan
from monitor.lexicon.patterns import ascii_view, ascii_view_utf8, fold, prepare, without_invisible

pytestmark = pytest.mark.skipif(hyperscan is None, reason="hyperscan not installed (x86_64 only)")


@pytest.fixture(autouse=True, params=["extension", "bindings"])
def route(request, monkeypatch):
    """Every test twice: with the compiled extension (where built) and without it."""
    if request.param == "bindings":
        monkeypatch.setattr(native, "_native", None)
    elif not native.available():
        pytest.skip("the C extension is not built here")
    return request.param

NASTY = [
    "plain ascii Security",
    "national security\u2019s sake \u2014 \u201cpeace\u201d",  # curly quotes and a dash only
    "secu\u200brity and se\u200dcurity and sec\u00adurity",  # invisible: str route
    "\ufeffSecurity first",  # a BOM
    "\u00c9TAT and \u00e9tat",  # a capital with an accent
    "\u0130stanbul and \u212aelvin",  # characters whose lower case is ASCII
    "\u039f\u039b\u039f\u03a3 \u03bf\u03bb\u03bf\u03c2",  # Greek capitals, a final sigma
    "\u5b89\u5168 and security",  # CJK
    "caf\u00e9 na\u00efve r\u00e9sum\u00e9",  # lower-case accented letters: byte route
]


def _check(texts: list[str]) -> int:
    """Assert both routes agree on every text; return how many took the byte route."""
    maker, fast = FormMaker(), 0
    for text in texts:
        forms = maker.make(text)
        if forms is None:
            continue
        fast += 1
        visible = without_invisible(text)  # the str route
        folded, prepared = fold(visible), prepare(visible)
        assert forms.folded == folded
        assert forms.prepared == prepared
        if forms.folded_utf8 is not None:
            assert forms.folded_utf8 == folded.encode("utf-8")
            assert forms.prepared_utf8 == prepared.encode("utf-8")
            assert ascii_view_utf8(forms.folded_utf8) == ascii_view(folded)
            assert ascii_view_utf8(forms.prepared_utf8) == ascii_view(prepared)
        if forms.view is not None:  # made by the extension
            assert forms.view == ascii_view(folded)
    return fast


def test_byte_route_declines_what_it_cannot_do():
    maker = FormMaker()
    routes = [maker.make(text) is not None for text in NASTY]
    assert routes == [True, True, False, False, False, False, False, True, True]
    assert _check(NASTY) == 4
    assert maker.make("lone \ud800 surrogate") is None
    slow = slow_chars()
    assert "\u00c9" in slow and "\u00e9" not in slow and "\u03c2" in slow and "\u200b" in slow
    changed = {c for c in map(chr, range(0x80, 0x110000))
               if not 0xD800 <= ord(c) < 0xE000 and c.lower() != c}
    assert changed <= set(slow) and len(slow) == len(changed) + 33 + 1
    assert FormMaker(use_bytes=False).make(NASTY[1]) is None


def test_counts_equal_on_nasty_texts():
    lexicon = lexicon_from_dict({"categories": {"x": [
        "security", "national security", "\u00e9tat", "istanbul", "kelvin",
        "\u03bf\u03bb\u03bf\u03c3",
        "\u5b89\u5168", "caf\u00e9", "sake"], "y": [{"term": "Security", "case": "sensitive"}]}},
        "nasty")
    fast, slow = Matcher([lexicon]), Matcher([lexicon], engine="aho")
    for text in NASTY:
        assert fast.count(text) == slow.count(text), text
        assert fast.tally(text) == slow.tally(text), text
    counts = fast.count(NASTY[2])
    assert counts[0] == 3  # the invisible characters are still ignored


@pytest.mark.corpus
@pytest.mark.skipif(not CORPORA.is_dir(), reason=f"shared corpora not found at {CORPORA}")
def test_routes_agree_on_real_texts():
    un = CORPORA / "ungdc" / "ungdc_1946_2024.jsonl.gz"
    zh = CORPORA / "zh" / "government_work_reports.jsonl"
    if not un.is_file() or not zh.is_file():
        pytest.skip("UN or Chinese corpus missing")
    with gzip.open(un, "rt", encoding="utf-8") as f:
        speeches = [json.loads(line)["text"] for line in islice(f, 0, 10952, 10)]
    with zh.open(encoding="utf-8") as f:
        reports = [json.loads(line)["content"] for line in f]
    # most UN speeches hold curly quotes but nothing lowering changes: the byte route
    assert _check(speeches) > 0.9 * len(speeches)
    assert _check(reports) > 0.5 * len(reports)


def test_tally_of_utf8_equals_tally_of_text():
    lexicon = lexicon_from_dict({"categories": {"x": [
        "security", "national security", "\u00e9tat", "\u5b89\u5168", "caf\u00e9"]}}, "utf8")
    matcher = Matcher([lexicon])
    for text in NASTY:
        assert matcher.tally_parts(text.encode("utf-8")) == matcher.tally_parts(text), text
    # bytes that are not UTF-8 (written by another program) are read with replacements
    assert matcher.tally_parts(b"security \xff\xfe security") == ({0: 2}, {0: 2})
