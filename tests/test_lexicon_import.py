"""Import of LIWC .dic and quanteda-style YAML dictionaries."""

from __future__ import annotations

import pytest

from monitor.lexicon import LexiconError, Matcher, load_lexicon
from monitor.lexicon.formats import import_lexicon, read_liwc, read_quanteda, to_yaml

LIWC = """%
1\tposemo
2\tnegemo
03\tsocial
4\tunused
%
love\t1
hate*\t2
friend*\t1\t3
kind of\t3
no\t2
*ish\t2
like\t(02 134)1/2\t3
"""

QUANTEDA = """\
economy:
  - tax*
  - spend*
  - market economy
social:
  values:
    - family
    - 'no'
    - yes
  religion: [church, '*ism', 'colo?r']
mixed:
  - alone
  - sub: [nested]
"""


def test_read_liwc():
    data, warnings = read_liwc(LIWC)
    assert data["categories"] == {"posemo": ["love", "friend*"],
                                  "negemo": ["hate*", "no"],
                                  "social": ["friend*", "kind of", "like"]}
    joined = "\n".join(warnings)
    assert "'*ish'" in joined and "conditional" in joined and "'unused'" in joined


def test_read_liwc_needs_a_header():
    with pytest.raises(LexiconError):
        read_liwc("love\t1\n")


def test_read_quanteda():
    data, warnings = read_quanteda(QUANTEDA)
    assert data["categories"] == {
        "economy": ["tax*", "spend*", "market economy"],
        "social": {"values": ["family", "no", "yes"], "religion": ["church"]},
        "mixed": {"sub": ["nested"], "other": ["alone"]},
    }
    joined = "\n".join(warnings)
    assert "'*ism'" in joined and "'colo?r'" in joined and "mixed/other" in joined


def test_quanteda_refuses_a_monitor_lexicon():
    with pytest.raises(LexiconError, match="already a monitor lexicon"):
        read_quanteda("categories:\n  a: [x]\n")


@pytest.mark.parametrize("name, text", [("feelings.dic", LIWC), ("policy.yml", QUANTEDA)])
def test_import_round_trip(tmp_path, name, text):
    source = tmp_path / name
    source.write_text(text, encoding="utf-8")
    data, _ = import_lexicon(source)
    assert data["name"] == source.stem and name in data["description"]
    out = tmp_path / "out.yaml"
    out.write_text(to_yaml(data, name), encoding="utf-8")
    lexicon = load_lexicon(out)
    assert lexicon.name == source.stem
    assert len(lexicon.terms) == sum(1 for line in out.read_text().splitlines()
                                     if line.lstrip().startswith("- "))
    matcher = Matcher([lexicon])
    found = matcher.count("No! I love my friends and a market\neconomy with taxes.")
    labels = {matcher.terms[i][1].label for i in found}
    assert labels & {"love", "tax*", "no"}


def test_bad_quanteda_yaml_is_one_problem_with_file_and_line(tmp_path):
    source = tmp_path / "dict.yml"
    source.write_text("economy:\n  - tax*\nsocial: [a, b\nother: [c]\n", encoding="utf-8")
    with pytest.raises(LexiconError) as info:
        import_lexicon(source)
    (problem,) = info.value.problems
    assert problem.startswith(f"{source}:4: bad YAML: ") and "\n" not in problem
    assert "<unicode string>" not in problem


def test_every_import_problem_names_the_file_once(tmp_path):
    source = tmp_path / "x.dic"
    source.write_text("love\t1\n", encoding="utf-8")
    with pytest.raises(LexiconError) as info:
        import_lexicon(source)
    assert info.value.problems == [
        f"{source}: not a LIWC dictionary: expected a header between two '%' lines"]


def test_converted_lexicon_can_be_invalid(tmp_path):
    source = tmp_path / "slash.dic"
    source.write_text("%\n1\tyes/no\n%\nmaybe\t1\n", encoding="utf-8")
    with pytest.raises(LexiconError) as info:
        import_lexicon(source)
    assert info.value.problems == [
        f"{source}: the converted lexicon is invalid: bad category name 'yes/no' "
        "(empty or containing '/')"]


@pytest.mark.parametrize("stem, name", [("my dict(1)", "my_dict_1_"), ("été 2024", "été_2024"),
                                        (".hidden", "_.hidden"), ("v1.2-final", "v1.2-final")])
def test_default_name_from_the_file_stem(tmp_path, stem, name):
    source = tmp_path / f"{stem}.dic"
    source.write_text("%\n1\tpos\n%\ngood\t1\n", encoding="utf-8")
    data, _ = import_lexicon(source)
    assert data["name"] == name
    out = tmp_path / "out.yaml"
    out.write_text(to_yaml(data), encoding="utf-8")
    assert load_lexicon(out).name == name


def test_explicit_bad_name_is_refused_before_reading(tmp_path):
    with pytest.raises(LexiconError, match="bad lexicon name 'a b'"):
        import_lexicon(tmp_path / "missing.dic", name="a b")
