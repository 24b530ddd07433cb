"""The on-disk cache of compiled hyperscan databases: used, rebuilt when bad, optional."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.lexicon import lexicon_from_dict
from monitor.lexicon.matcher import Matcher, hyperscan

pytestmark = pytest.mark.skipif(hyperscan is None, reason="hyperscan is x86_64-only")

LEXICON = {"categories": {"hard": ["security", "militar*", "national security"],
                          "soft": ["culture", "文化"]}}
TEXT = "National security, military culture; 文化 and militarism. Security!"


def counts(matcher: Matcher) -> dict[str, int]:
    return {matcher.terms[i][1].label: n for i, n in matcher.count(TEXT).items()}


def entries(root: Path) -> list[Path]:
    return sorted(root.glob("hyperscan*/*.bin"))  # the bindings' and the extension's


def test_second_compile_loads_the_cached_database(tmp_path: Path, monkeypatch) -> None:
    from monitor.lexicon import forms

    monkeypatch.setenv("MONITOR_CACHE", str(tmp_path))
    forms._slow_database.cache_clear()  # loaded once per process: here, from this cache
    lexicon = lexicon_from_dict(LEXICON, "power")
    first = counts(Matcher([lexicon]))
    assert first == {"security": 2, "national security": 1, "militar*": 2, "culture": 1,
                     "文化": 1}
    files = entries(tmp_path)
    # the ASCII view's literals, the UTF-8 ones and the characters the byte route declines
    assert len(files) == 3
    stamps = [f.stat().st_mtime_ns for f in files]
    assert counts(Matcher([lexicon])) == first
    assert [f.stat().st_mtime_ns for f in entries(tmp_path)] >= stamps


def test_a_damaged_entry_is_rebuilt(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MONITOR_CACHE", str(tmp_path))
    lexicon = lexicon_from_dict(LEXICON, "power")
    expected = counts(Matcher([lexicon]))
    for path in entries(tmp_path):
        path.write_bytes(path.read_bytes()[:100])
    assert counts(Matcher([lexicon])) == expected
    assert all(path.stat().st_size > 100 for path in entries(tmp_path))


def test_an_unusable_cache_folder_only_costs_time(tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("MONITOR_CACHE", str(blocker))
    assert counts(Matcher([lexicon_from_dict(LEXICON, "power")]))["security"] == 2


def test_an_entry_is_used_when_the_cache_is_read_only(tmp_path: Path, monkeypatch) -> None:
    from monitor.lexicon import cache

    monkeypatch.setenv("MONITOR_CACHE", str(tmp_path))
    builds: list[int] = []

    def build() -> bytes:
        builds.append(1)
        return b"compiled"

    assert cache.cached_bytes("test", "k", build, bytes.decode) == "compiled"

    def refuse(*args: object) -> None:
        raise PermissionError("read-only file system")

    monkeypatch.setattr(cache.os, "utime", refuse)
    assert cache.cached_bytes("test", "k", build, bytes.decode) == "compiled"
    assert builds == [1]
    assert [p.name for p in (tmp_path / "test").iterdir()] == ["k.bin"]  # no temp files left
