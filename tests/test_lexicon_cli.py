"""The ``monitor lexicon`` commands."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from monitor.cli import main


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.delenv("MONITOR_LEXICONS", raising=False)
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(main, ["--db", str(tmp_path / "m.db"), "lexicon", *args],
                             input=input)

    return invoke


def test_list(run):
    result = run("list")
    assert result.exit_code == 0
    for name in ("power", "soft_power_pillars", "xi_thought", "diplomatic_style",
                 "security_zh"):
        assert name in result.output
    assert result.output.splitlines()[0].split() == ["name", "terms", "categories", "path"]


def test_list_marks_shadowed(run, tmp_path, monkeypatch):
    (tmp_path / "power.yaml").write_text("categories: {c: [x]}\n")
    monkeypatch.setenv("MONITOR_LEXICONS", str(tmp_path))
    result = run("list")
    assert "shadowed by" in result.output


def test_show(run):
    result = run("show", "power")
    assert result.exit_code == 0
    assert "hard_power/\n  security/\n    security\n" in result.output
    assert "defence  (variants: defense)" in result.output
    assert run("show", "nope").exit_code == 1


def test_check_clean_and_bad(run, tmp_path):
    assert run("check", "power", "xi_thought").exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("categories:\n  a:\n    - x\n    - ''\n    - '*'\n")
    result = run("check", str(bad), "power")
    assert result.exit_code == 1
    assert f"{bad}:4: empty term" in result.output
    assert f"{bad}:5: term '*'" in result.output
    assert "power.yaml: ok" in result.output


def test_test_command(run):
    result = run("test", "power", "China’s security and national\nsecurity; militarily.")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["8-16", "security", "hard_power/security"]
    assert "4 matches:" in lines
    assert any(line.split() == ["2", "security", "[hard_power/security]"] for line in lines)
    assert "category hard_power/coerce" in result.output


def test_test_reads_stdin(run):
    result = run("test", "security_zh", "-", input="国家安全和安全")
    assert "3 matches:" in result.output


def test_import(run, tmp_path):
    source = tmp_path / "small.dic"
    source.write_text("%\n1\tpos\n%\ngood\t1\n*bad\t1\n")
    printed = run("import", str(source))
    assert printed.exit_code == 0
    assert "pos:\n  - good" in printed.output
    out = tmp_path / "lex" / "mine.yaml"
    written = run("import", str(source), "--out", str(out))
    assert written.exit_code == 0 and out.is_file()
    assert "name: mine" in out.read_text()
    assert run("check", str(out)).exit_code == 0
    assert run("import", str(source), "--out", str(out)).exit_code == 1
    assert run("import", str(source), "--out", str(out), "--force").exit_code == 0


def test_names_that_yaml_would_read_as_other_types(run, tmp_path, monkeypatch):
    (tmp_path / "a.yaml").write_text("name: on\ncategories: {c: [x]}\n")
    (tmp_path / "b.yaml").write_text("name: 1.10\ncategories: {c: [y]}\n")
    monkeypatch.setenv("MONITOR_LEXICONS", str(tmp_path))
    listed = run("list")
    names = [line.split()[0] for line in listed.output.splitlines()[1:]]
    assert "on" in names and "1.10" in names and "True" not in names
    for name, term in (("on", "x"), ("1.10", "y")):
        shown = run("show", name)
        assert shown.exit_code == 0, shown.output
        assert shown.output.endswith(f"\nc/\n  {term}\n")
    checked = run("check", "on", "1.10")
    assert checked.exit_code == 0, checked.output
    assert f"{tmp_path / 'a.yaml'}: ok (1 terms" in checked.output


def test_list_and_check_read_each_file_once(run, tmp_path, yaml_parses):
    composed = yaml_parses
    listed = run("list")
    assert listed.exit_code == 0
    assert len(composed) == len(listed.output.splitlines()) - 1
    composed.clear()
    good = tmp_path / "good.yaml"
    good.write_text("categories: {c: [x]}\n")
    assert run("check", str(good)).exit_code == 0
    assert len(composed) == 1


def test_check_empty_file_has_a_line(run, tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing yet\n")
    result = run("check", str(empty))
    assert result.exit_code == 1
    assert result.output == f"{empty}:1: empty file\n"


def test_import_bad_yaml_is_one_line(run, tmp_path):
    source = tmp_path / "dict.yml"
    source.write_text("economy:\n  - tax*\nsocial: [a, b\nother: [c]\n")
    result = run("import", str(source))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"error: {source}:4: bad YAML: ")
    assert "<unicode string>" not in result.output


def test_import_names_the_file_once(run, tmp_path):
    source = tmp_path / "x.dic"
    source.write_text("love\t1\n")
    result = run("import", str(source))
    assert result.exit_code == 1
    assert result.output.count("x.dic") == 1, result.output
    assert result.output.startswith(f"error: {source}: not a LIWC dictionary")
    slash = tmp_path / "slash.dic"
    slash.write_text("%\n1\tyes/no\n%\nmaybe\t1\n")
    result = run("import", str(slash))
    assert result.exit_code == 1
    assert result.output == (f"error: {slash}: the converted lexicon is invalid: "
                             "bad category name 'yes/no' (empty or containing '/')\n")


def test_import_default_name_from_an_awkward_file_name(run, tmp_path):
    source = tmp_path / "my dict(1).dic"
    source.write_text("%\n1\tpos\n%\ngood\t1\n")
    printed = run("import", str(source))
    assert printed.exit_code == 0, printed.output
    assert "name: my_dict_1_\n" in printed.output
    out = tmp_path / "out dir" / "new lex.yaml"
    written = run("import", str(source), "--out", str(out))
    assert written.exit_code == 0, written.output
    assert "name: new_lex\n" in out.read_text()
    assert run("check", str(out)).exit_code == 0


def test_import_checks_name_first(run, tmp_path):
    source = tmp_path / "small.dic"
    source.write_text("%\n1\tpos\n%\ngood\t1\n")
    out = tmp_path / "mine.yaml"
    result = run("import", str(source), "--name", "my lexicon", "--out", str(out))
    assert result.exit_code == 1
    assert result.output == ("error: --name: bad lexicon name 'my lexicon': use letters, "
                             "digits, '_', '-' or '.', starting with a letter, digit or '_'\n")
    assert not out.exists()
