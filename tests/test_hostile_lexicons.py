"""Hostile text and lexicon files: invisible characters, alias bombs, runaway sizes."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.documents import Document
from monitor.lexicon import ENGINES, Matcher, check_lexicon, lexicon_from_dict, model
from monitor.lexicon.matcher import hyperscan
from monitor.tally import tally_documents

ENGINES_HERE = [e for e in ENGINES if e != "hyperscan" or hyperscan is not None]
LEX = lexicon_from_dict({"categories": {"a": ["security", "national security", "militar*"],
                                        "zh": ["安全"]}}, "t")


@pytest.mark.parametrize("engine", ENGINES_HERE)
@pytest.mark.parametrize("text, term, found", [
    ("secu\u200brity", "security", "secu\u200brity"),
    ("the se\u200dcurity council", "security", "se\u200dcurity"),
    ("sec\u00adurity, again", "security", "sec\u00adurity"),  # &shy; on web pages
    ("\ufeffsecurity", "security", "security"),
    ("nation\u00adal\u200b secu\u00adrity", "national security",
     "nation\u00adal\u200b secu\u00adrity"),
    ("mili\u2060tary-industrial", "militar*", "mili\u2060tary-industrial"),
    ("国家安\u200b全", "安全", "安\u200b全"),
    ("\u200fsecurity\u200e", "security", "security"),  # direction marks around RTL text
])
def test_invisible_characters_are_ignored_and_spans_stay_right(engine, text, term, found):
    matcher = Matcher([LEX], engine=engine)
    index = next(i for i, (_, t) in enumerate(matcher.terms) if t.label == term)
    assert matcher.count(text)[index] == 1
    spans = [text[m.start:m.end] for m in matcher.matches(text) if m.term == index]
    assert spans == [found]


@pytest.mark.parametrize("engine", ENGINES_HERE)
def test_invisible_characters_do_not_join_or_split_other_words(engine):
    matcher = Matcher([LEX], engine=engine)
    assert matcher.count("insecu\u200brity and secu\u200britys") == {}
    assert matcher.count("art\u0600security") != {}  # a visible Cf mark still separates


def test_tally_counts_through_invisible_characters_and_keeps_the_text(db):
    text = "Our secu\u200brity, their sec\u00adurity and se\u200dcurity."
    db.add_documents([Document(text=text, source="s")])
    tally_documents(db, [LEX])
    assert db.conn.execute("SELECT sum(count) FROM term_counts WHERE term = 'security'"
                           ).fetchone()[0] == 3
    assert db.conn.execute("SELECT text FROM documents").fetchone()[0] == text


@pytest.mark.parametrize("line, char", [
    ('["secu\\u200brity"]', "U+200B ZERO WIDTH SPACE"),
    ('["\\ufeffculture"]', "U+FEFF BYTE ORDER MARK"),
    ('[{term: x, variants: ["x\\u00ady"]}]', "U+00AD SOFT HYPHEN"),
    ('[{term: security, except: ["security\\u200d council"]}]', "U+200D ZERO WIDTH JOINER"),
])
def test_terms_with_invisible_characters_are_check_errors(tmp_path, line, char):
    path = tmp_path / "lex.yaml"
    path.write_text(f"categories:\n  a: {line}\n", encoding="utf-8")
    problems = check_lexicon(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}:2: ") and char in problems[0]
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "m.db"), "lexicon", "check",
                                       str(path)])
    assert result.exit_code == 1 and char in result.output


def test_a_bom_at_the_start_of_the_file_is_fine(tmp_path):
    path = tmp_path / "lex.yaml"
    path.write_bytes("\ufeffcategories:\n  a: [culture]\n".encode())
    assert check_lexicon(path) == []


BOMB = ("name: bomb\ncategories:\n  a: &a [lol, lol2, lol3, lol4, lol5, lol6, lol7, lol8, lol9]\n"
        + "".join(f"  {b}: &{b} {{" + ", ".join(f"{a}{i}: *{a}" for i in range(1, 10)) + "}\n"
                  for a, b in zip("abcdefgh", "bcdefghi", strict=True)))


def test_an_alias_bomb_is_refused_at_once(tmp_path, monkeypatch):
    (tmp_path / "lexicons").mkdir()
    bomb = tmp_path / "lexicons" / "bomb.yaml"
    bomb.write_text(BOMB)
    assert len(BOMB) < 1000
    (tmp_path / "lexicons" / "good.yaml").write_text("categories: {a: [security]}\n")
    started = time.monotonic()
    problems = check_lexicon(bomb)
    assert problems == [f"{bomb}:1: the YAML expands to more than 3,000,000 values once its "
                        "aliases (*name) are followed: an alias bomb? Write the terms out instead"]
    monkeypatch.setenv("MONITOR_LEXICONS", str(tmp_path / "lexicons"))
    runner = CliRunner()
    db = ["--db", str(tmp_path / "m.db")]
    listed = runner.invoke(main, [*db, "lexicon", "list"])
    assert "good" in listed.output
    assert "bomb.yaml  (1 problem: run monitor lexicon check)" in listed.output
    (tmp_path / "doc.txt").write_text("security first")
    assert runner.invoke(main, [*db, "ingest", str(tmp_path / "doc.txt")]).exit_code == 0
    tallied = runner.invoke(main, [*db, "tally", "--lexicon", "good", "--lexicon", str(bomb)])
    assert tallied.exit_code == 1 and "alias bomb" in tallied.output
    assert time.monotonic() - started < 30


def test_small_aliases_still_work(tmp_path):
    path = tmp_path / "lex.yaml"
    path.write_text("categories:\n  a: &words [culture, values]\n  b: *words\n")
    assert check_lexicon(path) == []


def test_an_alias_loop_is_refused(tmp_path):
    path = tmp_path / "lex.yaml"
    path.write_text("categories: &x\n  a: *x\n")
    [problem] = check_lexicon(path)
    assert "refers to a value that contains it" in problem


def test_deep_nesting_is_one_error(tmp_path):
    path = tmp_path / "lex.yaml"
    path.write_text("categories: " + "[" * 5000 + "]" * 5000 + "\n")
    [problem] = check_lexicon(path)
    assert problem.startswith(f"{path}:1: bad YAML: nested too deeply")


def test_terms_and_file_size_are_bounded(tmp_path, monkeypatch):
    path = tmp_path / "lex.yaml"
    path.write_text("categories:\n  a: [" + ", ".join(f"w{i}" for i in range(50)) + "]\n")
    monkeypatch.setattr(model, "MAX_TERMS", 20)
    [problem] = check_lexicon(path)
    assert problem == f"{path}:2: more than 20 terms: split the lexicon"
    monkeypatch.setattr(model, "MAX_FILE_BYTES", 2**20)
    path.write_text("categories:\n  a: [culture]\n" + "#" * 2**20 + "\n")
    [problem] = check_lexicon(path)
    assert problem == f"{path}:1: cannot read: 1.0 MB, over the 1 MB a lexicon file may have"
