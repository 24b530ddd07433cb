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
