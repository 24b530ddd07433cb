"""Each counting rule on real sentences, with both engines; the Matcher API."""

from __future__ import annotations

import pickle

import pytest

from monitor.lexicon import LexiconError, lexicon_from_dict
from monitor.lexicon.matcher import Match, Matcher, hyperscan

ENGINES = ["aho"] + (["hyperscan"] if hyperscan is not None else [])


def counts(terms: list, text: str, engine: str, **top) -> dict[str, int]:
    """{term label: count} for a one-category lexicon of ``terms``."""
    lexicon = lexicon_from_dict({**top, "categories": {"c": terms}}, "t")
    matcher = Matcher([lexicon], engine=engine)
    found = matcher.count(text)
    return {matcher.terms[i][1].label: n for i, n in found.items()}


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    return request.param


def test_whole_words_only(engine):
    text = "The party's art department will start a war on warfare; toward un-war."
    assert counts(["art", "war", "un"], text, engine) == {"art": 1, "war": 1}


def test_case_insensitive_by_default(engine):
    text = "SECURITY, Security and security."
    assert counts(["security"], text, engine) == {"security": 3}


def test_possessives_and_curly_apostrophes(engine):
    text = ("China's rise and China’s diplomacy; the nations' charter; "
            "the People’s Republic and the People's Republic.")
    assert counts(["china", "nations", "people's republic"], text, engine) == {
        "china": 2, "nations": 1, "people's republic": 2}


def test_apostrophe_inside_a_word_is_not_a_boundary(engine):
    assert counts(["don", "o"], "We don't meet at ten o'clock.", engine) == {}


def test_phrase_across_line_breaks_and_space_runs(engine):
    text = "our national\nsecurity, national  security and national \r\n security"
    assert counts(["national security"], text, engine) == {"national security": 3}


def test_sentence_punctuation_blocks_a_phrase(engine):
    text = "We need security. Council members agree; security, council and security council."
    assert counts(["security council"], text, engine) == {"security council": 1}


def test_hyphenated_compounds_are_one_word(engine):
    text = "national-security policy is not national security; counter-terrorism."
    assert counts(["national security", "security", "terrorism"], text, engine) == {
        "national security": 1, "security": 1}
    term = {"term": "national security", "variants": ["national-security"]}
    assert counts([term], text, engine) == {"national security": 2}


def test_trailing_wildcard(engine):
    text = ("Military power, militarism, the militarization of space, the "
            "military-industrial complex; paramilitary and non-military forces.")
    assert counts(["militar*"], text, engine) == {"militar*": 4}


def test_inner_wildcard(engine):
    text = "The organization and the organisation, but not organ donation."
    assert counts(["organi*ation"], text, engine) == {"organi*ation": 2}


def test_case_sensitive_term(engine):
    text = "The US and the EU told us: US policy."
    term = {"term": "US", "case": "sensitive"}
    assert counts([term], text, engine) == {"US": 2}


def test_variants_never_count_twice_for_one_span(engine):
    text = "Defence and defense; defensive posture."
    term = {"term": "defence", "variants": ["defense", "defen*"]}
    assert counts([term], text, engine) == {"defence": 3}


def test_except_phrases(engine):
    text = "The Security Council discussed security and the security council's vote."
    term = {"term": "security", "except": ["security council"]}
    assert counts([term], text, engine) == {"security": 1}
    zh = {"term": "印度", "except": ["印度尼西亚"]}
    assert counts([zh], "印度和印度尼西亚，印度洋", engine) == {"印度": 2}


def test_overlap_all_counts_each_term(engine):
    text = "national security and security"
    terms = ["security", "national security"]
    assert counts(terms, text, engine) == {"security": 2, "national security": 1}
    assert counts(terms, text, engine, overlap="longest") == {
        "security": 1, "national security": 1}


def test_overlap_longest_tie_goes_to_the_first_term(engine):
    assert counts(["military", "militar*"], "military", engine, overlap="longest") == {
        "military": 1}
    assert counts(["militar*", "military"], "military", engine, overlap="longest") == {
        "militar*": 1}


def test_chinese_substrings_overlap(engine):
    text = "坚持和发展中国特色社会主义，建设社会主义现代化国家，社会稳定"
    assert counts(["社会", "社会主义"], text, engine) == {"社会": 3, "社会主义": 2}


def test_cjk_self_overlap_counts_like_str_count(engine):
    assert counts(["哈哈"], "哈哈哈哈哈", engine) == {"哈哈": "哈哈哈哈哈".count("哈哈")}


def test_stemming(engine):
    text = "Sanctions were sanctioned; sanctioning works. Sanctity is different."
    term = {"term": "sanction", "stem": True}
    assert counts([term], text, engine) == {"sanction": 3}
    lexicon_stem = counts(["threat", "nuclear weapon"], "Threats of nuclear weapons",
                          engine, stem=True)
    assert lexicon_stem == {"threat": 1, "nuclear weapon": 1}


def test_counts_equal_matches_and_spans_are_exact(engine):
    lexicon = lexicon_from_dict({"categories": {"a": ["security", "national security"],
                                                "b": ["安全", "militar*"]}}, "t")
    matcher = Matcher([lexicon], engine=engine)
    text = "国家安全 and national\nsecurity — military’s role."
    found = matcher.matches(text)
    assert [(matcher.terms[m.term][1].label, text[m.start:m.end]) for m in found] == [
        ("安全", "安全"), ("national security", "national\nsecurity"),
        ("security", "security"), ("militar*", "military’s")]
    assert matcher.count(text) == {i: 1 for i in range(4)}
    assert all(isinstance(m, Match) for m in found)


def test_several_lexicons_one_index(engine):
    a = lexicon_from_dict({"categories": {"x": ["peace"]}}, "a")
    b = lexicon_from_dict({"categories": {"y": ["peace", "war"]}, "overlap": "longest"}, "b")
    matcher = Matcher([a, b], engine=engine)
    assert [(name, t.label) for name, t in matcher.terms] == [
        ("a", "peace"), ("b", "peace"), ("b", "war")]
    assert matcher.count("peace, war and peace") == {0: 2, 1: 2, 2: 1}


def test_matcher_pickles_and_counts_the_same(engine):
    lexicon = lexicon_from_dict({"categories": {"c": ["security", "安全", "soft power"]}}, "t")
    matcher = Matcher([lexicon], engine=engine)
    clone = pickle.loads(pickle.dumps(matcher))
    text = "security 安全 soft\npower"
    assert clone.count(text) == matcher.count(text) == {0: 1, 1: 1, 2: 1}
    assert clone.engine == matcher.engine


def test_empty_text_and_empty_lexicon_set(engine):
    assert Matcher([], engine=engine).count("anything") == {}
    lexicon = lexicon_from_dict({"categories": {"c": ["x"]}}, "t")
    assert Matcher([lexicon], engine=engine).count("") == {}


def test_bad_engine_and_bad_term():
    with pytest.raises(ValueError):
        Matcher([], engine="re")
    from monitor.lexicon import Lexicon, Term

    with pytest.raises(LexiconError):
        Matcher([Lexicon("x", terms=[Term("*", "c")])])


def test_terms_with_punctuation_at_text_edges(engine):
    lexicon = lexicon_from_dict({"categories": {"c": ["#metoo", "u.s.", "#*a", "-based"]}}, "t")
    matcher = Matcher([lexicon], engine=engine)
    text = "#metoo in the u.s. #a evidence-based and the U.S."
    found = matcher.matches(text)
    assert [text[m.start:m.end] for m in found] == ["#metoo", "u.s.", "#a", "-based", "U.S."]
    assert all(0 <= m.start < m.end <= len(text) for m in found)
    assert [(m.start, m.end) for m in matcher.matches("#a")] == [(0, 2)]


def test_every_stemmed_word_starts_with_its_stem(engine):
    text = "It dies, it died, the dying star; big dies, big died, a big dying star."
    assert counts(["die"], text, engine, stem=True) == {"die": 4}
    assert counts(["big die"], text, engine, stem=True) == {"big die": 2}
    assert counts(["star die"], "stars dying, stars died", engine, stem=True) == {"star die": 1}
    inner = ["big organi*ation die"]  # an inner wildcard: confirmed with a regex
    text = "big organization dying, bigs organisation dies and big organisations died"
    assert counts(inner, text, engine, stem=True) == {"big organi*ation die": 1}


def test_except_phrase_with_a_wildcard_term(engine):
    term = {"term": "militar*", "except": ["military junta"]}
    text = "The military junta, military rule and militarism; the Military Junta."
    assert counts([term], text, engine) == {"militar*": 2}
