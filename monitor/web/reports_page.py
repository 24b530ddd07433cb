"""The Reports page: the bundles under the reports folder, and nothing outside it.

A path is served only if every part of it is a plain name (no ``..``, no hidden files such
as the ``.2026-W47.tmp-*`` folders of a bundle being written) and no part is a symlink,
so a link inside the folder cannot reach a file outside it. Served HTML may not run
scripts (``Content-Security-Policy``).
"""

from __future__ import annotations

import mimetypes
import os
import stat
from pathlib import Path
from urllib.parse import quote, unquote

from datasette.utils.asgi import Response

from .pages import SECURITY_HEADERS, page, web_config

TYPES = {".html": "text/html; charset=utf-8", ".md": "text/markdown; charset=utf-8",
         ".csv": "text/csv; charset=utf-8", ".png": "image/png", ".svg": "image/svg+xml",
         ".pdf": "application/pdf", ".json": "application/json; charset=utf-8",
         ".txt": "text/plain; charset=utf-8"}
FILE_POLICY = ("default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
               "frame-ancestors 'self'")
MAX_BYTES = 64 * 1024 * 1024


class NotServed(ValueError):
    """A path that is not served; the message says why."""


def locate(root: Path, relative: str) -> Path:
    """``root / relative`` if it may be served; NotServed otherwise (never follows links)."""
    text = unquote(relative)
    if "\x00" in text or "\\" in text:
        raise NotServed("not a plain path")
    parts = [p for p in text.split("/") if p]
    for part in parts:
        if part in (".", "..") or part.startswith("."):
            raise NotServed(f"{part!r}: hidden or relative names are not served")
    path = root
    for part in parts:
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            raise NotServed("no such file") from None
        if stat.S_ISLNK(mode):
            raise NotServed(f"{part!r} is a symbolic link: not served")
    return path


async def reports(datasette, request):
    """``/-/reports/``: the bundles; ``/-/reports/2026/index.html``: one of their files."""
    root = web_config(datasette).reports
    relative = request.url_vars.get("path") or ""
    if not request.path.startswith("/-/reports/"):
        return Response.redirect(request.path + "/")
    if not root.is_dir() or root.is_symlink():
        return await page(datasette, request, "monitor_reports.html", {
            "error": f"no reports folder at {root} (monitor report --out {root} writes one;"
                     " monitor serve --reports DIR serves another)", "entries": []},
            status=404)
    try:
        path = locate(root, relative)
    except NotServed as exc:
        return await page(datasette, request, "monitor_reports.html",
                          {"error": f"{relative}: {exc}", "entries": []}, status=404)
    if path.is_dir():
        if relative and not relative.endswith("/"):
            return Response.redirect(request.path + "/")
        return await page(datasette, request, "monitor_reports.html",
                          {"error": None, "entries": _listing(path), "here": relative})
    return _file(path)


def _listing(folder: Path) -> list[dict]:
    """Plain entries of ``folder``, newest bundle first; links and hidden names left out."""
    entries = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name, reverse=True):
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        is_dir = entry.is_dir(follow_symlinks=False)
        if not is_dir and not entry.is_file(follow_symlinks=False):
            continue
        bundle = is_dir and os.path.isfile(os.path.join(entry.path, "index.html"))
        entries.append({"name": entry.name, "dir": is_dir, "bundle": bundle,
                        "href": quote(entry.name) + ("/" if is_dir else ""),
                        "index": quote(entry.name) + "/index.html" if bundle else None,
                        "size": None if is_dir else entry.stat(follow_symlinks=False).st_size})
    bundles = [e for e in entries if e["bundle"]]
    return bundles + [e for e in entries if not e["bundle"]]


def _file(path: Path) -> Response:
    kind = TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    if kind is None or not path.is_file():
        kind = "application/octet-stream"
    size = path.stat().st_size
    if size > MAX_BYTES:
        return Response.text(f"error: {path.name}: larger than 64 MB, not served\n",
                             status=413)
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": FILE_POLICY}
    return Response(path.read_bytes(), content_type=kind, headers=headers)
