"""Category totals count a span once, the longest where matches nest (quanteda's
nested_scope="key")."""

from __future__ import annotations

import gzip
import itertools
import json
import random

import pytest

from monitor.documents import Document
from monitor.lexicon import (
    Matcher,
    category_spans,
    distinct_spans,
    lexicon_from_dict,
    resolve_lexicon,
)
from monitor.tally import tally_documents
from monitor.trends import TrendQuery, trend
from tests.shared_corpora import corpus_path

SHIPPED = ("power", "soft_power_pillars", "xi_thought", "diplomatic_style", "security_zh")
NESTED = {
    "categories": {
        "un": {
            "bodies": ["security council", "council", "united nations", "nations",
                       "united nation*"],
            "security": ["secur*", "security", "national security",
                         "international peace and security"],
            "peace": ["peace", "peace*", "peacekeeping", "international peace"],
        },
        "people": {"states": ["state*", "member states", "states"], "nation": ["nation"]},
    }
}


def totals(matcher: Matcher, counts: dict[int, int]) -> dict[tuple[str, str], int]:
    return {matcher.categories[c]: n for c, n in counts.items()}


def test_national_security_counts_once_for_hard_power():
    m = Matcher([resolve_lexicon("power")])
    text = "Our national security, our armed forces and nuclear weapons."
    terms, categories = m.tally(text)
    assert {m.terms[i][1].label: n for i, n in terms.items()} == {
        "security": 1, "national security": 1, "armed forces": 1, "force": 1,
        "nuclear weapon*": 1, "weapon*": 1}
    assert totals(m, categories) == {
        ("power", "hard_power"): 3, ("power", "hard_power/security"): 1,
        ("power", "hard_power/coerce"): 2}


def test_spans_overlapping_without_nesting_both_count_and_equal_spans_once():
    assert distinct_spans([(0, 5), (3, 8), (0, 5), (1, 4), (9, 12), (9, 10)]) == [
        (0, 5), (3, 8), (9, 12)]
    lex = lexicon_from_dict({"categories": {"a": {"x": ["security"], "y": ["security"]}}}, "dup")
    m = Matcher([lex])
    terms, categories = m.tally("security, security")
    assert sorted(terms.values()) == [2, 2]
    assert totals(m, categories) == {("dup", "a"): 2, ("dup", "a/x"): 2, ("dup", "a/y"): 2}


def test_chinese_substrings_nest():
    m = Matcher([resolve_lexicon("security_zh")])
    text = "维护国家安全和安全发展，总体国家安全观。"
    spans = {m.categories[c]: s for c, s in m.category_spans(text).items()}
    assert all(text[s:e] in ("国家安全", "安全发展", "总体国家安全观", "安全")
               for found in spans.values() for s, e in found)
    # 安全 inside 国家安全 and 安全发展, 国家安全 inside 总体国家安全观: three spans
    assert totals(m, m.tally(text)[1])[("security_zh", "security")] == 3


def _un_texts(step: int = 40) -> list[str]:
    path = corpus_path("ungdc/ungdc_1946_2024.jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in itertools.islice(f, 0, None, step)]


def test_fast_category_totals_equal_the_span_reference_on_un_speeches():
    """``tally`` skips spans of terms that cannot nest; it must agree with counting every
    span (``category_spans``) on real speeches, shipped lexicons and nested phrases."""
    m = Matcher([*(resolve_lexicon(n) for n in SHIPPED), lexicon_from_dict(NESTED, "nested")])
    texts = _un_texts()
    assert len(texts) > 200
    nested_seen = 0
    for text in texts:
        terms, categories = m.tally(text)
        assert terms == m.count(text)
        spans = category_spans(m, m.matches(text))
        assert categories == {c: len(s) for c, s in spans.items()}
        for c, n in categories.items():
            summed = sum(n_t for t, n_t in terms.items() if c in m.term_categories[t])
            assert n <= summed
            nested_seen += n < summed
    assert nested_seen > 100


def test_scanner_rows_equal_tally_per_document_on_un_speeches():
    """The tally sums terms into categories for a whole chunk at once (arrays): the rows
    must be exactly what ``Matcher.tally`` gives document by document."""
    from monitor.tally.scan import Scanner

    m = Matcher([*(resolve_lexicon(n) for n in SHIPPED), lexicon_from_dict(NESTED, "nested")])
    texts = [*_un_texts(step=80), "", "nothing to count", "维护国家安全和安全发展"]
    term_ids = [1000 + 3 * i for i in range(len(m.terms))]  # ids unlike the indices
    category_ids = [50 + 7 * i for i in range(len(m.categories))]
    doc_ids = [10_000 - 5 * i for i in range(len(texts))]  # not in order
    _, counts, categories, stored = Scanner(m, term_ids, category_ids).rows(doc_ids, texts)
    want_counts, want_categories, want_stored = [], [], {}
    for doc, text in zip(doc_ids, texts, strict=True):
        terms, cats = m.tally(text)
        want_counts += [(term_ids[t], doc, n) for t, n in terms.items()]
        want_categories += [(category_ids[c], doc, n) for c, n in cats.items()]
        for t in terms:
            want_stored[m.terms[t][0]] = want_stored.get(m.terms[t][0], 0) + 1
    assert [tuple(r) for r in counts.rows().tolist()] == sorted(want_counts)
    assert [tuple(r) for r in categories.rows().tolist()] == sorted(want_categories)
    assert stored == want_stored and len(want_categories) > 1000


def test_fast_category_totals_on_generated_texts():
    m = Matcher([resolve_lexicon("power"), resolve_lexicon("security_zh"),
                 lexicon_from_dict(NESTED, "nested")])
    words = ("national security council united nations nation nations peace peacekeeping"
             " international member states state armed forces force nuclear weapons weapon"
             " military 国家安全 安全 稳定 社会稳定 the , . - 's").split()
    rng = random.Random(10)
    for _ in range(300):
        text = "".join(rng.choice(words) + rng.choice([" ", " ", "", "\n", "-"])
                       for _ in range(rng.randint(1, 30)))
        assert m.tally(text)[1] == m.category_counts(text), text


def test_the_tally_stores_category_totals_and_trends_use_them(db):
    db.add_documents([
        Document(text="National security first. Security!", source="s", published="2020",
                 precision="year"),
        Document(text="Armed forces.", source="s", published="2021", precision="year"),
        Document(text="Nothing here.", source="s", published="2021", precision="year"),
    ])
    tally_documents(db, [resolve_lexicon("power")], workers=1)
    got = {(r[0], r[1]): r[2] for r in db.conn.execute(
        "SELECT published, category, sum(count) FROM category_totals"
        " WHERE lexicon = 'power' GROUP BY 1, 2")}
    assert got == {("2020", "hard_power"): 2, ("2020", "hard_power/security"): 2,
                   ("2021", "hard_power"): 1, ("2021", "hard_power/coerce"): 1}
    t = trend(db, TrendQuery(["hard_power", "security"], measure="count"))
    assert t.values("hard_power") == [2, 1]
    assert t.values("security") == [2, 0]  # a term counts on its own: 'security' twice
    assert t.values("hard_power", measure="docs") == [1, 1]
    # every level of the tree has its categories row, with its parent
    tree = db.conn.execute("SELECT c.path, p.path, c.depth FROM categories c LEFT JOIN"
                           " categories p ON p.id = c.parent_id WHERE c.path LIKE 'hard_power%'"
                           " ORDER BY c.path").fetchall()
    assert tree[:2] == [("hard_power", None, 1), ("hard_power/coerce", "hard_power", 2)]


@pytest.mark.parametrize("name", SHIPPED)
def test_nesting_analysis_keeps_most_shipped_terms_on_the_fast_path(name):
    m = Matcher([resolve_lexicon(name)])
    assert len(m.nesting) < len(m.terms)
