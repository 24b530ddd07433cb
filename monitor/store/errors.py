"""SQLite failures as one-line messages that say what is wrong and what to do.

The store raises :class:`StoreError` (whose text is that line) for the failures a user
can fix: another process holding the write lock, a read-only file or folder, a full
disk, a file that is not a database (or not ours, or newer), a damaged file. The CLI
prints it and exits 2; a traceback never reaches the user.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from pathlib import Path


class StoreError(RuntimeError):
    """A database problem the user can act on; ``str()`` is the one-line message."""


class SchemaError(StoreError):
    """The database file is newer than this version of the tool, or not ours."""


class DatabaseLocked(StoreError):
    """Another connection held the write lock for longer than the busy timeout."""


def sqlite_code(exc: BaseException) -> int | None:
    """The primary SQLite result code of ``exc`` (None if it is not an sqlite3 error)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF
    text = str(exc)
    for needle, value in _MESSAGES.items():
        if needle in text:
            return value
    return None


_MESSAGES = {  # for Python < 3.11, whose exceptions carry no error code
    "database is locked": 5,
    "readonly database": 8, "disk I/O error": 10, "malformed": 11, "is full": 13,
    "unable to open": 14, "not a database": 26,
}
_DAMAGE = ("Could not decode to UTF-8",)  # Python's own reading of a damaged text value
BUSY, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, NOTADB = 5, 8, 10, 11, 13, 14, 26
DOCTOR = "run `monitor doctor` to see what is damaged and how to repair it"


def describe(exc: BaseException, path: str | os.PathLike[str]) -> str | None:
    """The one-line message for a SQLite failure on ``path``, or None if it is not one
    the user can act on (a bug, which should then surface as it is)."""
    if isinstance(exc, StoreError):
        return str(exc)
    if isinstance(exc, OSError) and not isinstance(exc, sqlite3.Error):
        return _os_error(exc, path)
    if not isinstance(exc, sqlite3.Error) or isinstance(exc, sqlite3.IntegrityError):
        return None
    code = sqlite_code(exc)
    cause = " ".join(str(exc).split())[:200]
    if any(text in cause for text in _DAMAGE):
        code = CORRUPT
    if code == BUSY:
        return f"{path}: database is locked ({cause}); {lock_holder(path)}"
    if code == READONLY:
        return (f"{path}: cannot write: the database is read-only ({cause}); check the "
                "permissions of the file and its folder, or use another --db")
    if code == FULL:
        return f"{path}: the disk is full ({cause}); free some space and run again"
    if code == CORRUPT:
        return f"{path}: the database is damaged ({cause}); {DOCTOR}"
    if code == NOTADB:
        return f"{path}: not a SQLite database ({cause}); give the right file with --db"
    if code == CANTOPEN:
        return f"{path}: cannot open the database ({cause}); check the path and permissions"
    if code == IOERR:
        return f"{path}: disk I/O error ({cause}); check the disk, then {DOCTOR[4:]}"
    return None


def _os_error(exc: OSError, path: str | os.PathLike[str]) -> str:
    import errno

    where = f"{exc.filename}: " if exc.filename else ""
    if exc.errno == errno.ENOSPC:
        return f"{where}the disk is full ({exc.strerror}); free some space and run again"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"{where}cannot write ({exc.strerror}); check the permissions"
    return f"{where}{exc.strerror or exc}"


def lock_holder(path: str | os.PathLike[str]) -> str:
    """Who holds a lock on the database: processes from ``/proc/locks`` (Linux), else a
    hint. Our own process is left out."""
    holders = _locking_processes(Path(path))
    if holders:
        return "held by " + ", ".join(holders) + "; try again when it has finished"
    return ("held by another program writing to it (monitor, sqlite-utils, Datasette...); "
            "try again when it has finished")


def _locking_processes(path: Path) -> list[str]:
    inodes = set()
    for name in (str(path), f"{path}-shm", f"{path}-wal"):
        try:
            st = os.stat(name)
        except OSError:
            continue
        inodes.add((os.major(st.st_dev), os.minor(st.st_dev), st.st_ino))
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return []
    pids: list[int] = []
    for line in lines:
        parts = line.split()
        if "->" in parts:  # a process waiting for a lock, not holding one
            continue
        if len(parts) < 8 or parts[1] != "POSIX" or parts[3] != "WRITE":
            continue
        try:
            pid = int(parts[4])
            major, minor, inode = parts[5].split(":")
            key = (int(major, 16), int(minor, 16), int(inode))
        except ValueError:
            continue
        if key in inodes and pid != os.getpid() and pid not in pids:
            pids.append(pid)
    return [f"process {pid} ({_command_line(pid)}) on {socket.gethostname()}" for pid in pids]


def _command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "unknown command"
    words = [w.decode(errors="replace") for w in raw.split(b"\0") if w]
    if len(words) > 1 and Path(words[0]).name.startswith("python"):
        words = words[1:]
    if words:
        words[0] = Path(words[0]).name
    text = " ".join(" ".join(words).split())
    return text if len(text) <= 80 else text[:77] + "..."
