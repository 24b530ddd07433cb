"""Lexicon files: loading, validation with file:line, fingerprints, folders, shipped ones."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from monitor.lexicon import (
    ENGINE_VERSION,
    LexiconError,
    Matcher,
    Term,
    check_lexicon,
    lexicon_from_dict,
    load_lexicon,
)
from monitor.lexicon.folders import find_lexicons, lexicon_folders, lexicon_name, resolve_lexicon

EXAMPLE = """\
name: power
description: Nye's three ways of power
language: en
categories:
  hard_power:
    - security
    - "militar*"
    - term: national security
      variants: [national-security, 国家安全]
      except: [national security council]
      case: sensitive
  soft_power:
    culture: [culture, soft power]
    values:
      - values
      - term: persuade
        stem: true
"""
SHIPPED = Path(__file__).resolve().parents[1] / "lexicons"


def write(tmp_path: Path, text: str, name: str = "lex.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_load_example(tmp_path):
    lex = load_lexicon(write(tmp_path, EXAMPLE))
    assert (lex.name, lex.language, lex.overlap) == ("power", "en", "all")
    assert lex.description == "Nye's three ways of power"
    assert lex.categories() == ["hard_power", "soft_power/culture", "soft_power/values"]
    assert lex.terms[1] == Term("militar*", "hard_power")
    assert lex.terms[2] == Term("national security", "hard_power",
                                ("national-security", "国家安全"),
                                ("national security council",), True, False)
    assert lex.terms[-1] == Term("persuade", "soft_power/values", stem=True)
    assert lex.path == (tmp_path / "lex.yaml").resolve()
    assert len(lex.fingerprint) == 64


def test_name_defaults_to_file_stem_and_yaml_words_stay_words(tmp_path):
    lex = load_lexicon(write(tmp_path, "categories:\n  c: [no, yes, 'on', 2030, null_x]\n",
                             "answers.yaml"))
    assert lex.name == "answers"
    assert [t.label for t in lex.terms] == ["no", "yes", "on", "2030", "null_x"]


def test_fingerprint_ignores_layout_and_comments_but_not_content(tmp_path):
    base = load_lexicon(write(tmp_path, EXAMPLE)).fingerprint
    reformatted = EXAMPLE.replace("[culture, soft power]", "\n      - culture\n      - soft power")
    reformatted = "# a comment\n" + reformatted.replace("description: Nye's", "description: N's")
    assert load_lexicon(write(tmp_path, reformatted, "b.yaml")).fingerprint == base
    edited = EXAMPLE.replace("- values", "- value*")
    assert load_lexicon(write(tmp_path, edited, "c.yaml")).fingerprint != base
    longest = EXAMPLE.replace("language: en", "language: en\noverlap: longest")
    assert load_lexicon(write(tmp_path, longest, "d.yaml")).fingerprint != base
    assert ENGINE_VERSION  # part of every fingerprint


def test_fingerprint_order_matters_only_for_longest():
    a = {"categories": {"c": ["x", "y"]}}
    b = {"categories": {"c": ["y", "x"]}}
    assert lexicon_from_dict(a, "n").fingerprint == lexicon_from_dict(b, "n").fingerprint
    a["overlap"] = b["overlap"] = "longest"
    assert lexicon_from_dict(a, "n").fingerprint != lexicon_from_dict(b, "n").fingerprint


BAD = """\
name: bad
descripton: typo
categories:
  hard:
    - security
    - ""
    - Security
    - "*"
    - term: national security
      except: [security council]
      colour: red
    - "*ism"
  soft: []
  zh:
    - 中国*
  deeper:
    more:
      - term: x
        case: maybe
      - term: persuade
        stem: true
"""


def test_every_problem_reported_with_file_and_line(tmp_path):
    path = write(tmp_path, BAD.replace("name: bad", "name: bad\nlanguage: tlh"))
    with pytest.raises(LexiconError) as info:
        load_lexicon(path)
    problems = info.value.problems
    expected = {3: "unknown key 'descripton'", 7: "empty term", 8: "duplicate term 'Security'",
                9: "* alone", 11: "does not contain", 12: "unknown term key 'colour'",
                13: "cannot start with *", 14: "category 'soft' has no terms",
                16: "wildcards are not supported in CJK", 20: "case must be",
                2: "stemming is not available for language 'tlh'"}
    for line, message in expected.items():
        assert any(p.startswith(f"{path}:{line}: ") and message in p for p in problems), (
            line, message, problems)
    assert len(problems) == len(expected)
    assert str(info.value) == "\n".join(problems)
    assert check_lexicon(path) == problems


@pytest.mark.parametrize("text, line, message", [
    ("categories:\n  a: [x\n", 3, "bad YAML"),
    ("categories:\n  a:\n    - x\n  a:\n    - y\n", 4, "duplicate key 'a'"),
    ("name: x\n", 1, "no 'categories'"),
    ("categories: [x, y]\n", 1, "categories must map"),
    ("overlap: sometimes\ncategories: {a: [x]}\n", 1, "overlap must be"),
    ("name: 'a b'\ncategories: {a: [x]}\n", 1, "bad lexicon name"),
    ("categories:\n  a/b: [x]\n", 2, "bad category name"),
    ("categories:\n  a:\n    - term: x\n      variants: [X]\n", 4, "repeats term"),
    ("", 1, "empty file"),
    ("# only a comment\n\n", 1, "empty file"),
    ("---\n", 1, "empty file"),
    ("- a\n- b\n", 1, "a lexicon file must be a mapping"),
    ("stem: [yes]\ncategories: {a: [x]}\n", 1, "stem must be a single value"),
    ("overlap: {a: b}\ncategories: {a: [x]}\n", 1, "overlap must be a single value"),
    ("categories:\n  a:\n    - term: x\n      case: [sensitive]\n", 4,
     "case must be a single value"),
    ("categories:\n  a:\n    - term: x\n      stem:\n        - true\n", 5,
     "stem must be a single value"),
])
def test_single_problems(tmp_path, text, line, message):
    path = write(tmp_path, text)
    problems = check_lexicon(path)
    assert len(problems) == 1, problems
    assert message in problems[0]
    assert problems[0].startswith(f"{path}:{line}: ")


def test_lexicon_from_dict_reports_without_lines():
    with pytest.raises(LexiconError) as info:
        lexicon_from_dict({"categories": {"a": ["x", "x"]}}, "mem")
    assert info.value.problems == ["mem: duplicate term 'x' in category 'a'"]


def test_shipped_lexicons_load_check_clean_and_compile():
    paths = sorted(SHIPPED.glob("*.yaml"))
    names = {p.stem for p in paths}
    assert {"power", "soft_power_pillars", "xi_thought", "diplomatic_style",
            "security_zh"} <= names
    lexicons = []
    for path in paths:
        assert check_lexicon(path) == []
        lex = load_lexicon(path)
        assert lex.name == path.stem and lex.description and len(lex.terms) >= 10
        lexicons.append(lex)
    assert len(Matcher(lexicons).terms) == sum(len(lex.terms) for lex in lexicons)


def test_folders_env_first_and_resolution(tmp_path, monkeypatch):
    extra = tmp_path / "mine"
    extra.mkdir()
    write(extra, "description: my own power\ncategories: {c: [might]}\n", "power.yaml")
    write(extra, "name: other\ncategories: {c: [x]}\n", "file_name.yml")
    monkeypatch.setenv("MONITOR_LEXICONS", f"{extra}{__import__('os').pathsep}{tmp_path}/none")
    folders = lexicon_folders()
    assert folders[0] == extra.resolve() and SHIPPED.resolve() in folders
    found = find_lexicons()
    assert extra / "power.yaml" in found and SHIPPED / "power.yaml" not in found
    assert resolve_lexicon("power").description == "my own power"
    assert resolve_lexicon("other").path == (extra / "file_name.yml").resolve()
    assert resolve_lexicon(str(SHIPPED / "power.yaml")).name == "power"
    with pytest.raises(LexiconError, match="no lexicon named 'nope'"):
        resolve_lexicon("nope")
    with pytest.raises(LexiconError, match="no such lexicon file"):
        resolve_lexicon(str(tmp_path / "missing.yaml"))
    monkeypatch.delenv("MONITOR_LEXICONS")
    assert resolve_lexicon("power").path == (SHIPPED / "power.yaml").resolve()


def test_installed_layout_prefers_package_lexicons(tmp_path, monkeypatch):
    from monitor.lexicon import folders

    package = tmp_path / "site" / "monitor"
    (package / "_lexicons").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    monkeypatch.setattr(folders, "PACKAGE_DIR", package)
    monkeypatch.delenv("MONITOR_LEXICONS", raising=False)
    assert lexicon_folders() == [(package / "_lexicons").resolve()]


def test_unsupported_stemming_language_is_reported_once_at_its_line(tmp_path):
    path = write(tmp_path, """\
        name: x
        language: xx
        stem: true
        categories:
          a: [persuade, threat, nuclear weapon]
          b:
            - term: sanction
              stem: true
    """)
    assert check_lexicon(path) == [
        f"{path}:2: stemming is not available for language 'xx'"]
    without_language = write(tmp_path, "stem: true\ncategories: {a: [x, y]}\n", "en.yaml")
    assert check_lexicon(without_language) == []  # english by default


@pytest.mark.parametrize("term", [
    {"term": "militar*", "except": ["military junta"]},
    {"term": "security", "except": ["national security council"]},
    {"term": "national security", "variants": ["national-security"],
     "except": ["the national-security state"]},
    {"term": "persuade", "stem": True, "except": ["persuading people"]},
    {"term": "US", "case": "sensitive", "except": ["US Army"]},
    {"term": "印度", "except": ["印度尼西亚"]},
    {"term": "art", "except": ["art* deco"]},  # wildcard phrases are not checked
])
def test_except_phrases_that_can_apply_are_accepted(tmp_path, term):
    import yaml

    path = write(tmp_path, yaml.safe_dump({"categories": {"c": [term]}}, allow_unicode=True,
                                          sort_keys=False))
    assert check_lexicon(path) == []


@pytest.mark.parametrize("term, phrase", [
    ({"term": "art", "except": ["party"]}, "party"),  # "art" only inside a word
    ({"term": "security", "except": ["securitycouncil"]}, "securitycouncil"),
    ({"term": "persuade", "stem": True, "except": ["persuasion campaign"]},
     "persuasion campaign"),  # another stem
    ({"term": "US", "case": "sensitive", "except": ["us army"]}, "us army"),
])
def test_except_phrases_that_can_never_apply_are_rejected(tmp_path, term, phrase):
    import yaml

    path = write(tmp_path, yaml.safe_dump({"categories": {"c": [term]}}, sort_keys=False))
    line = path.read_text().splitlines().index(f"    - {phrase}") + 1
    problems = check_lexicon(path)
    assert problems == [f"{path}:{line}: except phrase {phrase!r} does not contain term "
                        f"{term['term']!r} or one of its variants, so it can never apply"]


def test_yaml_nulls_in_terms(tmp_path):
    lex = load_lexicon(write(tmp_path, "categories:\n  c: [null, none]\n  d: [NULL]\n"))
    assert [t.label for t in lex.terms] == ["null", "none", "NULL"]
    quoted = load_lexicon(write(tmp_path, "categories:\n  c: ['~', x]\n", "q.yaml"))
    assert quoted.terms[0].label == "~"
    path = write(tmp_path, "categories:\n  c:\n    - x\n    - ~\n    -\n"
                           "    - term: y\n      variants: [~]\n", "t.yaml")
    problems = check_lexicon(path)
    assert len(problems) == 3, problems
    assert problems[0].startswith(f"{path}:4: term '~' is YAML's null")
    assert "quote it" in problems[0] and "empty" not in problems[0]
    assert problems[1] == f"{path}:5: empty term"
    assert problems[2].startswith(f"{path}:7: variant '~' is YAML's null")
    with pytest.raises(LexiconError, match="empty term"):  # Python's None is no word
        lexicon_from_dict({"categories": {"c": ["x", None]}}, "mem")


@pytest.mark.parametrize("written, name", [("'on'", "on"), ("on", "on"), ("1.10", "1.10"),
                                           ("yes", "yes"), ("2030", "2030")])
def test_names_are_read_as_written_everywhere(tmp_path, written, name):
    path = write(tmp_path, f"name: {written}\ncategories: {{c: [x]}}\n", "file.yaml")
    assert lexicon_name(path) == name
    assert load_lexicon(path).name == name
    assert find_lexicons([tmp_path]) == [path]
    assert resolve_lexicon(name, [tmp_path]).path == path.resolve()


def test_name_map_is_first_wins_and_reads_each_file_once(tmp_path, yaml_parses):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    write(first, "name: 'on'\ncategories: {c: [mine]}\n", "x.yaml")
    write(second, "name: on\ncategories: {c: [theirs]}\n", "y.yaml")
    write(second, "categories: {c: [z]}\n", "z.yml")
    write(second, "categories: [\n", "broken.yaml")
    composed = yaml_parses
    assert find_lexicons([first, second]) == [
        first / "x.yaml", second / "broken.yaml", second / "z.yml"]
    assert len(composed) == 4
    composed.clear()
    lex = resolve_lexicon("on", [first, second])
    assert [t.label for t in lex.terms] == ["mine"] and len(composed) == 4
    with pytest.raises(LexiconError, match="bad YAML"):
        resolve_lexicon("broken", [first, second])


def test_empty_folder_list_searches_nothing(tmp_path):
    assert find_lexicons([]) == []
    with pytest.raises(LexiconError) as info:
        resolve_lexicon("power", [])
    assert info.value.problems == ["no lexicon named 'power' in no folders"]
    with pytest.raises(LexiconError, match=f"in {tmp_path}$"):
        resolve_lexicon("power", [tmp_path])
