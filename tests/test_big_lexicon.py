"""Big lexicons: plain one-word terms go to the word table, counts stay the engine's.

Figures for a 100,000-term lexicon (load, compile, tally, memory) come from
``benchmarks/big_lexicon.py``; here only what could be wrong: the counts.
"""

from __future__ import annotations

import random

from monitor.lexicon import Lexicon, Matcher, Term, check_lexicon, load_lexicon
from monitor.lexicon import matcher as module

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def big_lexicon(n: int) -> Lexicon:
    rng = random.Random(5)
    words = sorted({"".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 7)))
                    for _ in range(n)} | {"security", "china", "don't", "cross-border"})
    terms = [Term(w, f"topic{i % 7}") for i, w in enumerate(words)]
    terms += [Term("national security", "topic1"), Term("militar*", "topic2"),
              Term("US", "topic3", case_sensitive=True), Term("国家安全", "topic4"),
              Term("threat", "topic5", excepts=("no threat",))]
    return Lexicon("big", terms=terms)


def sample_text(lexicon: Lexicon, seed: int) -> str:
    rng = random.Random(seed)
    words = [t.label.rstrip("*") for t in lexicon.terms]
    pieces = []
    for _ in range(3000):
        word = rng.choice(words) if rng.random() < 0.5 else \
            "".join(rng.choice(LETTERS) for _ in range(rng.randint(2, 8)))
        pieces.append(word + rng.choice([" ", " ", "'s ", "-", ", ", "'", ". ", "’s ", "\n"]))
    return "".join(pieces).replace("securi", "Securi")


def test_a_big_lexicon_counts_with_the_word_table_as_with_engine_literals():
    big = Matcher([big_lexicon(module.WORD_TABLE_MIN + 100)])
    assert sum(len(words) for _, words, _ in big._sides) >= module.WORD_TABLE_MIN
    lexicon = big_lexicon(1500)  # small enough for engine literals to compile quickly
    engine = Matcher([lexicon])
    assert not any(words for _, words, _ in engine._sides)
    minimum, module.WORD_TABLE_MIN = module.WORD_TABLE_MIN, 0
    try:
        table = Matcher([lexicon])
    finally:
        module.WORD_TABLE_MIN = minimum
    assert any(words for _, words, _ in table._sides)
    for seed in range(3):
        text = sample_text(lexicon, seed)
        assert table.tally(text) == engine.tally(text)
        assert table.matches(text) == engine.matches(text)
    counts = table.count("China's security, no threat; a threat; military-industrial US us")
    index = {t.label: i for i, (_, t) in enumerate(table.terms)}
    assert {t: counts.get(index[t], 0) for t in ("china", "security", "threat", "militar*", "US")
            } == {"china": 1, "security": 1, "threat": 1, "militar*": 1, "US": 1}


def test_a_big_lexicon_file_loads_with_libyaml_and_errors_keep_pyyaml_messages(tmp_path):
    lexicon = big_lexicon(6000)
    path = tmp_path / "big.yaml"
    lines = ["name: big", "categories:"]
    for i in range(7):
        lines.append(f"  topic{i}:")
        lines += [f"    - \"{t.label}\"" for t in lexicon.terms
                  if t.category == f"topic{i}" and not t.excepts and not t.case_sensitive]
    path.write_text("\n".join(lines) + "\n")
    loaded = load_lexicon(path)
    assert len(loaded.terms) == len(lexicon.terms) - 2
    path.write_text("name: big\ncategories:\n  a: [b\n")
    problems = check_lexicon(path)
    assert len(problems) == 1 and "bad YAML" in problems[0] and "expected ',' or ']'" in \
        problems[0], problems


def test_a_big_lexicon_file_is_parsed_once_then_read_from_the_cache(tmp_path, monkeypatch,
                                                                     yaml_parses):
    from monitor.lexicon.cache import cache_dir

    monkeypatch.setenv("MONITOR_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "big.yaml"
    words = sorted({t.label for t in big_lexicon(12000).terms if t.label.isalpha()})
    path.write_text("name: big\nlanguage: en\ncategories:\n  a:\n"
                    + "".join(f"    - {w}\n" for w in words[:-1])
                    + f"    - {{term: {words[-1]}, variants: [zzz], except: [{words[-1]} x]}}\n")
    assert path.stat().st_size > 64 * 1024
    first = load_lexicon(path)
    assert len(yaml_parses) == 1 and list((cache_dir() / "lexicons").iterdir())
    again = load_lexicon(path)
    assert len(yaml_parses) == 1  # read from the cache
    assert again == first and again.fingerprint == first.fingerprint
    assert again.terms[-1].variants == ("zzz",) and again.languages == ("en",)
    path.write_text(path.read_text().replace("zzz", "yyy"))
    edited = load_lexicon(path)
    assert len(yaml_parses) == 2 and edited.terms[-1].variants == ("yyy",)
    assert edited.fingerprint != first.fingerprint
    for entry in (cache_dir() / "lexicons").iterdir():
        entry.write_bytes(b"{not json")
    assert load_lexicon(path) == edited and len(yaml_parses) == 3
