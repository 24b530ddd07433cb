"""A small real filesystem for full-disk and read-only tests: a tmpfs mount.

Mounting needs root (or CAP_SYS_ADMIN); where the machine does not allow it the tests
skip with the reason.
"""

from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest


def _mount(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mount", *args], capture_output=True, text=True)


@contextmanager
def tmpfs(where: Path, size: str):
    """A tmpfs of ``size`` mounted at ``where`` (skips the test if mounting is not allowed)."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    done = _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where))
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def make_readonly(where: Path) -> None:
    done = _mount("-o", "remount,ro", str(where))
    assert done.returncode == 0, done.stderr


@contextmanager
def readonly_file(path: Path):
    """``path`` made read-only in a writable folder: chmod for a user, a read-only bind
    mount of the file for root (whom permissions do not stop)."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield path
        finally:
            path.chmod(0o644)
        return
    done = _mount("--bind", str(path), str(path))
    if done.returncode:
        pytest.skip(f"cannot bind-mount a file here: {done.stderr.strip()}")
    try:
        done = _mount("-o", "remount,ro,bind", str(path))
        assert done.returncode == 0, done.stderr
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)
