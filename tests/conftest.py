from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from monitor.store import Database

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"

# compiled matchers are cached on disk; the tests keep theirs out of the user's cache
os.environ["MONITOR_CACHE"] = tempfile.mkdtemp(prefix="monitor-cache-")


def corpus_path(relative: str) -> Path:
    """A file under ../shared/corpora, or skip the test with the reason."""
    path = CORPORA / relative
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared corpora sit beside the repo as ../shared")
    return path


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(tmp_path / "monitor.db")
    yield database
    database.close()
