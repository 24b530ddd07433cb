"""Run a command and sample the resident memory of it and all its child processes."""

from __future__ import annotations

import os
import subprocess
import threading
import time


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and every process below it (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(name))
        rss[int(name)] = pages * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def run_measured(command: list[str], **kwargs) -> tuple[float, int]:
    """(wall seconds, peak resident bytes of the process tree) of ``command``."""
    start = time.perf_counter()
    process = subprocess.Popen(command, **kwargs)
    peak = [0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], _tree_rss(process.pid))
            time.sleep(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    if process.wait() != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    seconds = time.perf_counter() - start
    thread.join()
    return seconds, peak[0]
