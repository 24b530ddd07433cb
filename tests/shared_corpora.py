"""The real corpora in ../shared/corpora, beside the checkout (as CI places them)."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"


def corpus_path(relative: str) -> Path:
    """A file under ../shared/corpora, or skip the test with the reason."""
    path = CORPORA / relative
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared corpora sit beside the repo as"
                    " ../shared/corpora")
    return path
