"""Files and folders: walk them, pick a reader by extension, yield documents or errors.

Every reader yields ``Document | IngestError`` and never raises for bad input, so one
broken file (or line) never stops a batch. Formats by extension, also gzip'd (``.gz``):
``.txt``, ``.md``, ``.html``/``.htm``, ``.json``/``.jsonl``, ``.csv`` and ``.pdf``.
"""

from __future__ import annotations

import errno
import io
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..documents import Document, IngestError
from ..text import is_empty_text
from .decode import DecodeError, decode_bytes, is_gzip_name, open_binary, read_limited, too_large
from .records import FileContext, ReadOptions, read_csv, read_json

FORMATS = {
    ".txt": "text", ".md": "markdown", ".html": "html", ".htm": "html", ".json": "json",
    ".jsonl": "jsonl", ".csv": "csv", ".pdf": "pdf",
}
SINGLE_DOCUMENT = {"text", "markdown", "html", "pdf"}


@dataclass
class FileItem:
    """A file to read: where it is, how the user named it, and its root's default source."""

    path: Path
    display: str
    rel: str
    root: Path
    source: str
    format: str
    size: int


def format_of(path: str | Path) -> str | None:
    """The reader name for ``path`` by its extension (after any ``.gz``), or None."""
    name = str(path).lower()
    if is_gzip_name(name):
        name = name[:-3]
    return FORMATS.get(os.path.splitext(name)[1])


def source_name(root: Path) -> str:
    """Default source name: a folder's name, or a file's name without its extensions."""
    if root.is_dir():
        return root.resolve().name or "files"
    name = root.name[:-3] if is_gzip_name(root.name) else root.name
    stem, ext = os.path.splitext(name)
    return (stem if ext.lower() in FORMATS else name) or "files"


def walk(paths: Iterable[str | Path], on_ignored: Callable[[Path], None] | None = None
         ) -> Iterator[FileItem | IngestError]:
    """Files under ``paths`` in sorted order; folders recursively, hidden entries skipped.

    A file named explicitly with an unsupported extension is an error; inside a folder it
    is passed to ``on_ignored`` instead (folders often hold images, notes, ...).
    """
    for given in paths:
        root = Path(given)
        problem = _path_problem(root)
        if problem:
            yield IngestError(printable(str(given)), problem)
        elif root.is_dir():
            source = source_name(root)
            unreadable: list[OSError] = []
            for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable.append):
                yield from _folder_errors(unreadable, root)
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    path = Path(dirpath, name)
                    if name.startswith("."):
                        continue
                    fmt = format_of(name)
                    if fmt is None:
                        if on_ignored:
                            on_ignored(path)
                        continue
                    yield _item(path, root, path.relative_to(root).as_posix(), source, fmt)
            yield from _folder_errors(unreadable, root)
        else:
            fmt = format_of(root)
            if fmt is None:
                supported = ", ".join(sorted(FORMATS))
                yield IngestError(str(given), f"unsupported file type (supported: {supported},"
                                              " each also .gz)")
            else:
                yield _item(root, root, root.name, source_name(root), fmt)


def _path_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read at all (missing, a symlink loop, in a folder that
    cannot be searched...), or None."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return "no such file or directory"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop (too many levels of symbolic links)"
        if exc.errno in (errno.EACCES, errno.EPERM):
            return "cannot read (permission denied: a folder on the way cannot be searched)"
        return f"cannot read ({exc.strerror or exc})"
    return None


def printable(text: str) -> str:
    """A path as text that can be printed and stored: bytes that are not valid UTF-8
    (kept by Python as lone surrogates) are shown as ``\\xe9``."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", "backslashreplace")
    return text


def _folder_errors(errors: list[OSError], root: Path) -> Iterator[IngestError]:
    """A folder ``os.walk`` could not list is an error, not silently skipped."""
    for exc in errors:
        yield IngestError(printable(str(exc.filename or root)),
                          f"cannot read folder ({exc.strerror or exc})")
    errors.clear()


def _item(path: Path, root: Path, rel: str, source: str, fmt: str) -> FileItem:
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    return FileItem(path, printable(str(path)), printable(rel), root, source, fmt, size)


def read_file(item: FileItem, options: ReadOptions,
              on_read: Callable[[int], None] | None = None) -> Iterator[Document | IngestError]:
    """The documents in one file, and an ``IngestError`` for each thing that went wrong."""
    ctx = FileContext(item.display, item.rel, item.source, options)
    try:
        if (item.format in SINGLE_DOCUMENT and not is_gzip_name(item.path)
                and item.size > options.max_bytes):
            yield ctx.error(str(too_large(options.max_bytes, item.size)))
            return
        with open_binary(item.path, on_read=on_read) as stream:
            if item.format == "json":
                yield from read_json(stream, ctx)
            elif item.format == "jsonl":
                yield from read_json(stream, ctx, lines_only=True)
            elif item.format == "csv":
                yield from read_csv(stream, ctx)
            else:
                yield _single(stream, item.format, ctx)
    except DecodeError as exc:
        yield ctx.error(str(exc))
    except OSError as exc:
        yield ctx.error(f"cannot read ({exc.strerror or exc})")
    except Exception as exc:  # noqa: BLE001 (a parser bug must not stop the batch)
        yield ctx.error(f"unexpected error ({type(exc).__name__}: {exc})")


def _single(stream: BinaryIO, fmt: str, ctx: FileContext) -> Document | IngestError:
    """A file that is one document: text, Markdown, HTML or PDF."""
    options = ctx.options
    data = read_limited(stream, options.max_bytes)
    title, date, url, language, meta = options.title, options.date, None, None, {}
    date_warning = None
    if fmt == "html":
        from .html import extract_page

        page = extract_page(data)
        text, url, language = page.text, page.url, page.language
        title, date = page.title or title, page.date or date
        date_warning = page.date_warning
    elif fmt == "pdf":
        text, pdf_title, meta = _pdf_text(data)
        title = pdf_title or title
    else:
        text = decode_bytes(data)
        if fmt == "markdown":
            title = _markdown_title(text) or title
    if is_empty_text(text):
        return ctx.error("empty text" if fmt != "pdf" else "no text layer (scanned PDF?)")
    return Document(
        text=text, source=options.source or ctx.source, title=title, url=url,
        external_id=ctx.rel, published=date[0] if date else None,
        precision=date[1] if date else None, language=options.language or language, meta=meta,
        origin=ctx.display, date_warning=date_warning,
    )


def _markdown_title(text: str) -> str | None:
    """The first ``# Heading`` within the first lines of a Markdown file."""
    for line in text.lstrip("\ufeff").splitlines()[:20]:
        if line.startswith("# "):
            return line[2:].strip().rstrip("#").strip() or None
    return None


def _pdf_text(data: bytes) -> tuple[str, str | None, dict]:
    """Text layer, title and creation date of a PDF.

    The creation date goes to ``meta`` only: it is when the file was made, often years
    after the speech, so it is not taken as the publication date.
    """
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DecodeError("unreadable PDF (encrypted with a password)")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
        title = str(info.title).strip() if info and info.title else None
        created = info.get("/CreationDate") if info else None
    except DecodeError:
        raise
    except Exception as exc:  # noqa: BLE001 (pypdf raises many types on damaged files)
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DecodeError(f"unreadable PDF ({reason})") from None
    meta = {"pdf_created": str(created)} if created else {}
    return "\n\n".join(page.strip() for page in pages if page.strip()), title or None, meta
