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
