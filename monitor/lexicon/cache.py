"""A folder of compiled artefacts keyed by the hash of what they were built from.

Compiling 2,000 terms to a hyperscan database takes about half a second; loading the
serialised database takes microseconds, so a cron run with a few new documents does not
pay for the compile. The folder is ``$MONITOR_CACHE``, else ``$XDG_CACHE_HOME`` or
``~/.cache``, under ``rhetoric-monitor``. A cache that cannot be read or written is
simply not used: it only ever saves time.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

#: Files kept; the least recently used beyond this are removed after each write.
KEEP = 64


def cache_dir() -> Path:
    if os.environ.get("MONITOR_CACHE"):
        return Path(os.environ["MONITOR_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rhetoric-monitor"


def cache_key(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:32]


def cached_bytes(kind: str, key: str, build: Callable[[], bytes],
                 load: Callable[[bytes], object]) -> object:
    """``load`` of the bytes cached under ``kind``/``key``, else of ``build()`` (then cached).

    Bytes that ``load`` rejects (a truncated file, another library version) are rebuilt.
    """
    path = cache_dir() / kind / f"{key}.bin"
    try:
        value = load(path.read_bytes())
    except Exception:  # noqa: BLE001 - a missing or stale entry: rebuild it
        return _rebuild(path, build, load)
    with contextlib.suppress(OSError):  # most recently used; a read-only cache still serves
        os.utime(path)
    return value


def read_cached(kind: str, key: str) -> bytes | None:
    """The bytes cached under ``kind``/``key``, or None."""
    try:
        return (cache_dir() / kind / f"{key}.bin").read_bytes()
    except OSError:
        return None


def write_cached(kind: str, key: str, data: bytes) -> None:
    """Cache ``data`` under ``kind``/``key`` (silently not, where the cache is not writable)."""
    _write(cache_dir() / kind / f"{key}.bin", data)


def _rebuild(path: Path, build: Callable[[], bytes], load: Callable[[bytes], object]) -> object:
    data = build()
    value = load(data)
    _write(path, data)
    return value


def _write(path: Path, data: bytes) -> None:
    with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
        _prune(path.parent)


def _prune(folder: Path) -> None:
    files = sorted(folder.glob("*.bin"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP:]:
        old.unlink(missing_ok=True)
