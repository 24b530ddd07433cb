"""The installed tool, not only the checkout: console script, wheel contents, style."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from monitor.store import Database

REPO = Path(__file__).resolve().parents[1]


def test_wheel_carries_the_shipped_lexicons_and_finds_them_installed(tmp_path):
    pytest.importorskip("hatchling", reason="the test extra installs hatchling")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path / "dist"), str(REPO)], check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("rhetoric_monitor-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = sorted(p.name for p in (REPO / "lexicons").glob("*.yaml"))
    assert shipped and {f"monitor/_lexicons/{n}" for n in shipped} <= names
    assert "monitor/demo_events.yaml" in names  # the demo's charts mark these events
    templates = {p.name for p in (REPO / "monitor" / "web" / "templates").glob("*.html")}
    assert templates and {f"monitor/web/templates/{n}" for n in templates} <= names
    assert "monitor/web/README.md" in names  # the web view's schema docs
    from monitor.lexicon import native

    if native.available():  # built here, so built into the wheel too
        assert any(n.startswith("monitor/_native.") and n.endswith(".so")
                   for n in names)
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(site), str(wheel)], check=True, capture_output=True)
    probe = ("import monitor.lexicon as L, json; "
             "print(json.dumps([str(p) for p in L.find_lexicons()]))")
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("MONITOR_LEXICONS", None)
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, check=True,
                         capture_output=True, text=True).stdout
    found = [Path(p) for p in __import__("json").loads(out)]
    assert sorted(p.name for p in found) == shipped
    assert all(site in p.parents for p in found)


def test_without_a_compiler_the_wheel_is_pure_python_and_counts_the_same(tmp_path):
    pytest.importorskip("hatchling", reason="the test extra installs hatchling")
    env = {**os.environ, "CC": "false"}  # a compiler that always fails
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path / "dist"), str(REPO)], check=True, capture_output=True, env=env)
    (wheel,) = (tmp_path / "dist").glob("rhetoric_monitor-*.whl")
    assert wheel.name.endswith("-py3-none-any.whl")
    assert not [n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".so")]
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(site), str(wheel)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(site)}
    version = subprocess.run([sys.executable, "-m", "monitor", "--version"], cwd=tmp_path,
                             env=env, check=True, capture_output=True, text=True).stdout
    assert "C extension: not built" in version and "libhyperscan-dev" in version
    probe = ("from monitor.lexicon import Matcher, resolve_lexicon; import sys;"
             " print(sorted(Matcher([resolve_lexicon('power')]).tally_parts("
             "sys.argv[1].encode())[0].items()))")
    text = "National security\u2019s armed forces, culture; security and the military."
    pure = subprocess.run([sys.executable, "-c", probe, text], cwd=tmp_path, env=env,
                          check=True, capture_output=True, text=True).stdout
    from monitor.lexicon import Matcher, resolve_lexicon

    here = sorted(Matcher([resolve_lexicon("power")]).tally_parts(text.encode())[0].items())
    assert pure.strip() == str(here) and len(here) >= 4


def test_an_extension_built_from_older_sources_is_not_used(monkeypatch):
    import types

    import monitor
    from monitor import text

    old = types.ModuleType("monitor._native")  # an editable install not re-run after a pull
    monkeypatch.setitem(sys.modules, "monitor._native", old)
    monkeypatch.setattr(monitor, "_native", old, raising=False)
    module, state = text._load_native()
    assert module is None and state.startswith("out of date: reinstall")
    monkeypatch.undo()
    module, state = text._load_native()
    assert (module is not None) == (state == "compiled") == (text._native is not None)


def test_console_script_and_module_entry_point(tmp_path):
    script = shutil.which("monitor", path=str(Path(sys.executable).parent))
    assert script, "the monitor console script is installed beside python"
    Database(tmp_path / "m.db").close()  # reading commands need an existing database
    for command in ([script], [sys.executable, "-m", "monitor"]):
        result = subprocess.run([*command, "--db", str(tmp_path / "m.db"), "sources"],
                                capture_output=True, text=True, check=True)
        assert result.stdout.split()[:2] == ["source", "docs"]
    assert (tmp_path / "m.db").exists()


def test_ruff_is_clean():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    result = subprocess.run([ruff, "check", "monitor", "tests", "benchmarks"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    (command,) = [line for line in readme.splitlines() if "pytest" in line
                  and line.startswith("python3 -m venv")]
    install, test = command.split(" && ")[1:]
    assert install.replace(".venv/bin/pip install", "").strip() in ci
    assert ci.rstrip().splitlines()[-1] == test
