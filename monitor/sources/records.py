"""Structured inputs: JSON (array, single object, JSON Lines) and CSV, one document a record.

Record fields are mapped by a ``FieldMap``: an explicit field name, or else the first of
the common names (matched case-insensitively) that the record has. Everything not mapped
is kept in the document's ``meta`` (e.g. ``country`` and ``session`` of UN speeches).
Big files are streamed: JSON Lines and CSV line by line, JSON arrays element by element.
"""

from __future__ import annotations

import codecs
import csv
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from ..dates import is_blank, is_placeholder, parse_date
from ..documents import Document, IngestError
from ..text import is_empty_text
from .decode import (
    DEFAULT_MAX_BYTES,
    SNIFF_BYTES,
    DecodeError,
    TooLargeError,
    detect_encoding,
    iter_lines,
    peek_head,
    read_limited,
    too_large,
)

DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("text", "content", "body"),
    "date": ("date", "published", "year"),
    "title": ("title",),
    "url": ("url", "link"),
    "id": ("id",),
    "source": (),
    "language": ("language", "lang"),
}
_CHUNK = 1024 * 1024
_JSON_TYPES = {list: "array", str: "string", int: "number", float: "number", bool: "boolean",
               type(None): "null"}
_WS = re.compile(r"[ \t\n\r]*")


@dataclass(frozen=True)
class FieldMap:
    """Which record field holds what; None means "try the common names"."""

    text: str | None = None
    date: str | None = None
    title: str | None = None
    url: str | None = None
    source: str | None = None
    id: str | None = None
    language: str | None = None

    def names(self, role: str) -> tuple[str, ...]:
        explicit = getattr(self, role)
        return (explicit,) if explicit else DEFAULT_FIELDS[role]


@dataclass
class ReadOptions:
    """What the caller says about every document: fallbacks, field names, size limit."""

    source: str | None = None
    title: str | None = None
    date: tuple[str, str] | None = None
    fields: FieldMap = field(default_factory=FieldMap)
    max_bytes: int = DEFAULT_MAX_BYTES
    language: str | None = None  # every document's language (wins over fields and detection)


@dataclass
class FileContext:
    """One input file: how to name it in messages and ids, and its default source."""

    display: str  # the path as the user gave it, for messages
    rel: str  # path relative to the given root, for fallback external ids
    source: str  # default source name (folder or file stem)
    options: ReadOptions

    def error(self, reason: str, where: int | str | None = None) -> IngestError:
        return IngestError(f"{self.display}:{where}" if where else self.display, reason)


def find_field(keys: Any, role: str, fields: FieldMap) -> str | None:
    """The key among ``keys`` that plays ``role``: exact name first, then any case."""
    found = _present(keys, fields.names(role))
    return found[0] if found else None


def _present(keys: Any, names: tuple[str, ...]) -> list[Any]:
    lowered = {str(key).lower(): key for key in keys}
    found = []
    for name in names:
        key = name if name in keys else lowered.get(name.lower())
        if key is not None and key not in found:
            found.append(key)
    return found


def record_to_document(record: Any, ctx: FileContext, where: int | str, fallback_id: str
                       ) -> Document | IngestError:
    """Map one record (a dict) to a Document, or say why not."""
    if not isinstance(record, dict):
        kind = _JSON_TYPES.get(type(record), type(record).__name__)
        return ctx.error(f"record is a JSON {kind}, not an object", where)
    fields, options = ctx.options.fields, ctx.options
    keys = {role: _pick(record, present)
            for role, present in _roles(tuple(record), fields).items()}
    if keys["text"] is None:
        tried = ", ".join(fields.names("text"))
        return ctx.error(f"no text field (tried {tried}; use --text-field)", where)
    text = record[keys["text"]]
    if not isinstance(text, str):
        return ctx.error(f"text field {keys['text']!r} is not a string", where)
    if len(text) > options.max_bytes or (
        len(text) * 4 > options.max_bytes and len(text.encode("utf-8")) > options.max_bytes
    ):
        return ctx.error(str(too_large(options.max_bytes, len(text.encode("utf-8")))), where)
    if is_empty_text(text):
        return ctx.error(f"empty text in field {keys['text']!r}", where)
    date = options.date
    raw_date = record.get(keys["date"]) if keys["date"] else None
    date_warning = None
    if is_placeholder(raw_date) or (raw_date == 0 and not isinstance(raw_date, bool)):
        date_warning = f"placeholder date {raw_date!r} in field {keys['date']!r} ignored"
    elif not is_blank(raw_date):
        date = parse_date(raw_date)
        if date is None:
            return ctx.error(f"unparseable date {raw_date!r} in field {keys['date']!r}", where)
    bad = _surrogate_field(record)
    if bad:
        return ctx.error(bad, where)
    ident, url = _string(record, keys["id"]), _string(record, keys["url"])
    used = {key for key in keys.values() if key is not None}
    return Document(
        text=text,
        source=_string(record, keys["source"]) or options.source or ctx.source,
        title=_string(record, keys["title"]) or options.title,
        url=url,
        external_id=ident or url or fallback_id,
        published=date[0] if date else None,
        precision=date[1] if date else None,
        meta={key: value for key, value in record.items() if key not in used},
        origin=f"{ctx.display}:{where}",
        date_warning=date_warning,
        language=options.language or _string(record, keys["language"]),
    )


def _surrogate_field(record: dict) -> str | None:
    """Which field holds text that is not valid Unicode (a lone surrogate such as JSON's
    ``"\\ud800"``, which no database or file can store), or None."""
    for key, value in record.items():
        texts = [value] if isinstance(value, str) else []
        if isinstance(value, (dict, list)):
            texts = [json.dumps(value, ensure_ascii=False)]
        for text in [str(key), *texts]:
            if text.isascii():
                continue
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                char = text[exc.start]
                return (f"field {key!r} is not valid Unicode (lone surrogate "
                        f"\\u{ord(char):04x} at character {exc.start + 1})")
    return None


@functools.lru_cache(maxsize=256)
def _roles(keys: tuple, fields: FieldMap) -> dict[str, list[Any]]:
    """For each role, the keys among ``keys`` that may play it (see :func:`_pick`): the
    same for every record with these keys, so found once per shape of record."""
    return {role: _present(keys, fields.names(role)) for role in DEFAULT_FIELDS}


def _pick(record: dict, present: list[Any]) -> str | None:
    """The record's key for a role among those ``present`` for it, preferring a common
    name that has a value."""
    for key in present:
        if not is_blank(record[key]):
            return key
    return present[0] if present else None


def _string(record: dict, key: str | None) -> str | None:
    if key is None or record.get(key) is None:
        return None
    value = " ".join(str(record[key]).split())
    return value or None


# -- JSON ------------------------------------------------------------------------------
def read_json(stream: BinaryIO, ctx: FileContext, *, lines_only: bool = False
              ) -> Iterator[Document | IngestError]:
    """A JSON array, a single object, or JSON Lines (``lines_only`` for ``.jsonl``)."""
    head, stream = peek_head(stream)
    encoding = detect_encoding(head, partial=len(head) == SNIFF_BYTES, records=True)
    start = _head_text(head, encoding)
    if not start:
        yield ctx.error("empty file")
        return
    if start[0] == "[" and not lines_only:
        yield from _read_array(stream, encoding, ctx)
        return
    if lines_only or start[0] != "{":
        yield from _read_lines(stream, encoding, ctx)
        return
    # An object: JSON Lines if its first line is JSON and more follows, else one object
    # (pretty-printed, or on one line). Peek on until the head holds the first line.
    max_bytes, size = ctx.options.max_bytes, SNIFF_BYTES
    while "\n" not in start and len(head) == size and size <= max_bytes:
        size = min(4 * size, max_bytes + 1)
        head, stream = peek_head(stream, size)
        start = _head_text(head, encoding)
    end = start.find("\n")
    if end >= 0 and _is_json(start[:end]) and (
            _WS.match(start, end).end() < len(start) or len(head) == size):
        yield from _read_lines(stream, encoding, ctx)
        return
    if len(head) < size:  # the head is the whole file
        data = head
    elif len(head) > max_bytes:  # no need to read on: too large
        raise too_large(max_bytes)
    else:
        data = read_limited(stream, max_bytes)
    try:
        record = json.loads(data.decode(encoding))
    except UnicodeDecodeError as exc:
        line = data[:exc.start].decode(encoding, errors="replace").count("\n") + 1
        codec = "utf-8" if encoding == "utf-8-sig" else encoding
        yield ctx.error(f"not valid {codec} ({exc.reason} at byte {exc.start})", line)
        return
    except json.JSONDecodeError as exc:
        hint = "; JSON Lines? name the file .jsonl" if exc.msg == "Extra data" else ""
        yield ctx.error(f"malformed JSON ({exc.msg} at column {exc.colno}{hint})", exc.lineno)
        return
    yield record_to_document(record, ctx, 1, ctx.rel)


def _head_text(head: bytes, encoding: str) -> str:
    """The head of a file as text, for a look at how it starts (leading blanks dropped)."""
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head)
    return text.lstrip("\ufeff \t\r\n")


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _read_lines(stream: BinaryIO, encoding: str, ctx: FileContext
                ) -> Iterator[Document | IngestError]:
    for number, line in iter_lines(stream, encoding, max_bytes=ctx.options.max_bytes):
        if isinstance(line, DecodeError):
            yield ctx.error(str(line), number)
            continue
        if not line.strip():
            continue
        if "\x00" in line:
            yield ctx.error(f"NUL byte (binary data) at column {line.index(chr(0)) + 1}",
                            number)
            continue
        try:
            record = json.loads(line.rstrip("\r\n"))
        except json.JSONDecodeError as exc:
            yield ctx.error(f"malformed JSON ({exc.msg} at column {exc.colno})", number)
            continue
        yield record_to_document(record, ctx, number, f"{ctx.rel}#{number}")


def _read_array(stream: BinaryIO, encoding: str, ctx: FileContext
                ) -> Iterator[Document | IngestError]:
    """Elements of a top-level array one at a time, so a big file never sits in memory."""
    decoder = codecs.getincrementaldecoder(encoding)()
    parser = json.JSONDecoder()
    state = {"buf": "", "eof": False, "line": 1}  # line number at buf[0]

    def more(size: int = _CHUNK) -> bool:
        if state["eof"]:
            return False
        data = stream.read(size)
        try:
            state["buf"] += decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            raise DecodeError(f"not valid {encoding} ({exc.reason})") from None
        state["eof"] = not data
        return True

    def skip(pos: int) -> int:  # skip whitespace, reading on at the end of the buffer
        while True:
            pos = _WS.match(state["buf"], pos).end()
            if pos < len(state["buf"]) or not more():
                return pos

    def line_at(pos: int) -> int:
        return state["line"] + state["buf"].count("\n", 0, pos)

    more()
    state["buf"] = state["buf"].lstrip("\ufeff")
    pos, number = skip(0) + 1, 0  # past "["
    while True:
        pos = skip(pos)
        buf = state["buf"]
        if pos >= len(buf):
            yield ctx.error("malformed JSON (unterminated array)", line_at(pos))
            return
        if buf[pos] == "]":
            return
        if number:
            if buf[pos] != ",":
                yield ctx.error("malformed JSON (expecting ',' or ']' after record "
                                f"{number})", line_at(pos))
                return
            pos = skip(pos + 1)
        try:
            while True:
                try:
                    value, end = parser.raw_decode(state["buf"], pos)
                    if end < len(state["buf"]) or not more():
                        break
                except json.JSONDecodeError:
                    if len(state["buf"]) - pos > ctx.options.max_bytes:
                        raise too_large(ctx.options.max_bytes) from None
                    if not more(max(_CHUNK, len(state["buf"]) - pos)):
                        raise
        except json.JSONDecodeError as exc:
            yield ctx.error(f"malformed JSON ({exc.msg})", line_at(exc.pos))
            return
        except DecodeError as exc:
            yield ctx.error(str(exc), line_at(pos))
            return
        number += 1
        yield record_to_document(value, ctx, line_at(pos), f"{ctx.rel}#{number}")
        pos = end
        if pos > _CHUNK:  # drop what is parsed
            state["line"] = line_at(pos)
            state["buf"], pos = state["buf"][pos:], 0


# -- CSV -------------------------------------------------------------------------------
_UNCLOSED = "quoted field not closed before the end of the file"


def read_csv(stream: BinaryIO, ctx: FileContext) -> Iterator[Document | IngestError]:
    """One document per row; the header names the fields. Line numbers are 1-based.

    A line that does not decode or is too long is an error of its own: the reader gets an
    empty line in its place, and the row it is part of is dropped.
    """
    head, stream = peek_head(stream)
    encoding = detect_encoding(head, partial=len(head) == SNIFF_BYTES, records=True)
    max_bytes = ctx.options.max_bytes
    csv.field_size_limit(max(csv.field_size_limit(), max_bytes))  # default is 128 KB

    current = [0]  # line number being read, for decode errors that stop the file
    bad: list[tuple[int, IngestError]] = []  # bad lines met while reading the current row
    state = {"eof": False}

    def lines() -> Iterator[str]:  # slack for the other columns; records are checked too
        for number, line in iter_lines(stream, encoding, max_bytes=max_bytes + SNIFF_BYTES):
            current[0] = number
            if isinstance(line, TooLargeError):  # name the user's limit, not the slack
                line = too_large(max_bytes, line.size)
            if isinstance(line, str) and "\x00" in line:  # csv refuses NUL: fail the line
                line = DecodeError(f"NUL byte (binary data) at column {line.index(chr(0)) + 1}")
            if isinstance(line, DecodeError):
                bad.append((number, ctx.error(str(line), number)))
                line = "\n"
            yield line
        state["eof"] = True

    reader = csv.reader(lines())
    try:
        header = next(reader, None)
    except (csv.Error, DecodeError) as exc:
        yield ctx.error(f"unreadable CSV header ({exc})", 1)
        return
    if header is not None and (bad or state["eof"]):
        reason = bad[0][1].reason if bad else _UNCLOSED
        yield ctx.error(f"unreadable CSV header ({reason})", 1)
        return
    if not header or not any(cell.strip() for cell in header):
        yield ctx.error("empty file (no CSV header)")
        return
    header = [cell.lstrip("\ufeff").strip() for cell in header]
    columns = ", ".join(header[:12]) + (", ..." if len(header) > 12 else "")
    fields = ctx.options.fields
    if find_field(header, "text", fields) is None:
        tried = ", ".join(fields.names("text"))
        yield ctx.error(f"no text column (tried {tried}; columns: {columns}; use --text-field)")
        return
    for role in DEFAULT_FIELDS:
        name = getattr(fields, role)
        if name and find_field(header, role, fields) is None:
            yield ctx.error(f"no {name!r} column for --{role}-field (columns: {columns})")
            return
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            yield from (error for _, error in bad)
            return
        except csv.Error as exc:
            yield from (error for _, error in bad)
            yield ctx.error(f"malformed CSV ({exc})", start)
            return
        except DecodeError as exc:
            yield from (error for _, error in bad)
            yield ctx.error(str(exc), current[0])
            return
        if state["eof"]:  # the reader ran out of lines inside a quoted field
            opened = start + sum(cell.count("\n") for cell in row[:-1])
            bad.append((opened, ctx.error(f"malformed CSV ({_UNCLOSED})", opened)))
            yield from (error for _, error in sorted(bad, key=lambda item: item[0]))
            return
        if bad:  # the row has a line that failed: it is not stored
            yield from (error for _, error in bad)
            bad.clear()
            continue
        if not any(cell.strip() for cell in row):
            continue
        record = dict(zip(header, row, strict=False))
        yield record_to_document(record, ctx, start, f"{ctx.rel}#{start}")

