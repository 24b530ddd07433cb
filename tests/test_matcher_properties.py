"""Both engines against a tiny reference counter: one Python regex per term text.

The reference restates the counting rules (README, Lexicons) as directly as possible:
fold the text, find every match of every term text with a regex that has the word
boundaries as lookarounds, drop matches inside an except phrase's match, then keep
non-overlapping matches leftmost-longest (per term, or per lexicon for overlap: longest).
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from monitor.lexicon import Lexicon, LexiconError, Term
from monitor.lexicon.matcher import Matcher, hyperscan

CJK = ("\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
       "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af")
W = f"[^\\W{CJK}]"
ENGINES = ["aho"] + (["hyperscan"] if hyperscan is not None else [])


def ref_fold(text: str, case_sensitive: bool) -> str:
    text = text.replace("\u2019", "'")
    if case_sensitive:
        return text
    return "".join(c.lower()[0] for c in text).replace("\u03c2", "\u03c3")


def ref_regex(term_text: str, case_sensitive: bool) -> str:
    words = ref_fold(term_text, case_sensitive).split()
    if re.search(f"[{CJK}]", term_text):
        return r"\s+".join(map(re.escape, words))
    parts = []
    for word in words:
        pieces = re.sub(r"\*+", "*", word).split("*")
        body = re.escape(pieces[0])
        for i, piece in enumerate(pieces[1:], 1):
            if i == len(pieces) - 1 and piece == "":
                body += f"{W}*(?:['\\-]{W}+)*"  # trailing *: the rest of the word
            else:
                body += f"{W}*" + re.escape(piece)
        parts.append(body)
    regex = r"\s+".join(parts)
    if re.match(W, words[0][0]):
        regex = f"(?<!{W})(?<!{W}['\\-])" + regex
    if words[-1].endswith("*") or re.match(W, words[-1][-1]):
        regex += f"(?=(?:'[sS])?(?!{W})(?!['\\-]{W}))"
    return regex


def ref_spans(term_text: str, text: str, case_sensitive: bool) -> list[tuple[int, int]]:
    folded = ref_fold(text, case_sensitive)
    regex = re.compile(f"(?=({ref_regex(term_text, case_sensitive)}))")
    return [(m.start(), m.end(1)) for m in regex.finditer(folded)]


def leftmost_longest(spans):
    out, last = [], -1
    for span in sorted(spans, key=lambda x: (x[0], -x[1])):
        if span[0] >= last:
            out.append(span)
            last = span[1]
    return out


def reference_count(lexicon: Lexicon, text: str) -> Counter:
    found = {}
    for i, term in enumerate(lexicon.terms):
        spans = set()
        for t in (term.label, *term.variants):
            spans.update(ref_spans(t, text, term.case_sensitive))
        excepts = [x for t in term.excepts for x in ref_spans(t, text, term.case_sensitive)]
        found[i] = [(s, e) for s, e in spans if not any(a <= s and e <= b for a, b in excepts)]
    if lexicon.overlap == "longest":
        triples = sorted((s, -e, i) for i, spans in found.items() for s, e in spans)
        counts, last = Counter(), -1
        for s, neg_e, i in triples:
            if s >= last:
                counts[i] += 1
                last = -neg_e
        return counts
    return Counter({i: len(leftmost_longest(spans)) for i, spans in found.items() if spans})


# Small alphabets so that terms, variants, excepts and text collide often.
WORDS = ["a", "ab", "b", "ba", "sec", "security", "China", "us", "US", "国", "中国", "中国人",
         "a?b", "a.b", "#a"]
TEXT_WORDS = ["a", "ab", "b", "ba", "s", "sec", "security", "Security", "SECURITY", "China",
              "us", "US", "国", "中国", "人", "é", "É", "1", "ß", "İ", "Σ", "ς", "x", "a?b",
              "aéb", "a.b", "a,b", "#a", "#ab"]
SEPARATORS = [" ", " ", " ", "", "  ", "\n", " \n", "\t", "\xa0", ". ", ",", "'", "\u2019",
              "'s ", "\u2019s", "-", "_", "?", "\u2003"]


@st.composite
def term_texts(draw) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3))
    if draw(st.booleans()) and not re.search(f"[{CJK}]", "".join(words)):
        words[-1] += "*"
    latin = not re.search(f"[{CJK}]", "".join(words))
    if draw(st.integers(0, 5)) == 0 and len(words[0]) > 1 and latin:
        words[0] = words[0][0] + "*" + words[0][1:]  # an inner wildcard
    return " ".join(words)


@st.composite
def lexicons(draw) -> Lexicon:
    terms = []
    for i in range(draw(st.integers(1, 4))):
        label = draw(term_texts())
        variants = tuple(draw(st.lists(term_texts(), max_size=2)))
        excepts = tuple(f"{label.replace('*', '')} {w}" for w in
                        draw(st.lists(st.sampled_from(WORDS), max_size=1)))
        case = draw(st.integers(0, 4)) == 0
        terms.append(Term(label, f"c{i}", variants, excepts, case, False))
    overlap = draw(st.sampled_from(["all", "all", "longest"]))
    return Lexicon("p", terms=terms, overlap=overlap)


texts = st.lists(st.tuples(st.sampled_from(TEXT_WORDS), st.sampled_from(SEPARATORS)),
                 max_size=20).map(lambda pairs: "".join(w + s for w, s in pairs))


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lexicon=lexicons(), text=texts)
def test_engines_agree_with_reference(engine, lexicon, text):
    try:
        matcher = Matcher([lexicon], engine=engine)
    except LexiconError:
        assume(False)
    counts = matcher.count(text)
    assert counts == dict(reference_count(lexicon, text))
    assert Counter(m.term for m in matcher.matches(text)) == Counter(counts)


@settings(max_examples=200, deadline=None)
@given(lexicon=lexicons(), text=texts)
def test_matches_are_real_and_in_order(lexicon, text):
    try:
        matcher = Matcher([lexicon], engine=ENGINES[-1])
    except LexiconError:
        assume(False)
    found = matcher.matches(text)
    assert found == sorted(found, key=lambda m: (m.start, m.end, m.term))
    for m in found:
        assert 0 <= m.start < m.end <= len(text)


@st.composite
def plain_lexicons(draw) -> Lexicon:
    words = draw(st.lists(st.sampled_from(["the", "in", "security", "nation", "nations",
                                           "united nations", "peace*", "中国", "安全"]),
                          min_size=1, max_size=6, unique=True))
    return Lexicon("q", terms=[Term(w, "c") for w in words])


@settings(max_examples=200, deadline=None)
@given(lexicon=plain_lexicons(), text=st.text(max_size=80))
def test_engines_agree_on_any_unicode(lexicon, text):
    results = {engine: Matcher([lexicon], engine=engine).count(text) for engine in ENGINES}
    assert all(r == dict(reference_count(lexicon, text)) for r in results.values())


TABLE_WORDS = ["a", "ab", "a-b", "don't", "don", "ab's", "security", "sécurité", "China",
               "US", "1", "_x", "x_", "σς", "İx"]
table_texts = st.lists(st.tuples(st.sampled_from(TABLE_WORDS + TEXT_WORDS),
                                 st.sampled_from(SEPARATORS + ["'S ", "--", "-'", "''s"])),
                       max_size=20).map(lambda pairs: "".join(w + s for w, s in pairs))


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.sampled_from(TABLE_WORDS), min_size=1, max_size=6, unique=True),
       case=st.booleans(), text=table_texts)
def test_the_word_table_counts_as_the_engine_and_the_reference_do(words, case, text):
    """Plain one-word terms go to the word table (monitor.lexicon.words); without it the
    engine's literals count them: both must give the reference's counts and spans."""
    from monitor.lexicon import matcher as module

    lexicon = Lexicon("w", terms=[Term(w, "c", case_sensitive=case) for w in words])
    engine = Matcher([lexicon], engine=ENGINES[-1])
    assert not any(words for _, words, _ in engine._sides)
    minimum, module.WORD_TABLE_MIN = module.WORD_TABLE_MIN, 0
    try:
        table = Matcher([lexicon], engine=ENGINES[-1])
    finally:
        module.WORD_TABLE_MIN = minimum
    assert any(words for _, words, _ in table._sides)
    assert table.count(text) == engine.count(text) == dict(reference_count(lexicon, text))
    assert table.matches(text) == engine.matches(text)
    assert table.tally(text) == engine.tally(text)


_MIXED_CJK = Lexicon(name="p", terms=[Term(label="a 国", category="c0", case_sensitive=True)])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lexicon=lexicons(), text=texts)
@example(lexicon=_MIXED_CJK, text="aa 国 ")  # CJK anywhere: a substring, found mid-word
def test_the_word_table_with_phrases_variants_and_excepts_agrees_with_reference(lexicon, text):
    """With the word table on (as for a big lexicon), phrases, variants, except phrases and
    overlap: longest starting with a plain word are confirmed at their first word."""
    from monitor.lexicon import matcher as module

    minimum, module.WORD_TABLE_MIN = module.WORD_TABLE_MIN, 0
    try:
        matcher = Matcher([lexicon], engine=ENGINES[-1])
    except LexiconError:
        assume(False)
    finally:
        module.WORD_TABLE_MIN = minimum
    counts = matcher.count(text)
    assert counts == dict(reference_count(lexicon, text))
    assert Counter(m.term for m in matcher.matches(text)) == Counter(counts)
    assert matcher.tally(text)[0] == counts
