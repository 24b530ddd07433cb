"""Choosing documents by date range and source, the way trends do.

A document is inside ``since``..``until`` (inclusive, partial dates or period ids) when its
whole date lies inside: one dated ``2021`` is outside ``--since 2021-06``. Undated
documents are inside only when no range is given.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ..trends import periods


@dataclass(frozen=True)
class DocumentRow:
    id: int
    source: str
    published: str | None
    precision: str | None
    words: int


def check_sources(conn: sqlite3.Connection, sources: Sequence[str]) -> None:
    known = {row[0] for row in conn.execute("SELECT name FROM sources")}
    for name in sources:
        if name not in known:
            raise ValueError(
                f"unknown source {name!r}; known: {', '.join(sorted(known)) or 'none'}"
            )


def bounds(since: str | None, until: str | None) -> tuple[date, date]:
    """The first and last day of a range; ValueError on a bad or inverted range."""
    low = periods.date_bounds(since)[0] if since else date.min
    high = periods.date_bounds(until)[1] if until else date.max
    if low > high:
        raise ValueError(f"--since {since} is after --until {until}: nothing can match")
    return low, high


def select_documents(
    conn: sqlite3.Connection, since: str | None = None, until: str | None = None,
    sources: Sequence[str] = (),
) -> list[DocumentRow]:
    """The documents of ``sources`` (all if empty) whose whole date is in the range."""
    check_sources(conn, sources)
    low, high = bounds(since, until)
    ranged = bool(since or until)
    sql = ("SELECT d.id, s.name, d.published, d.precision, d.word_count FROM documents d"
           " JOIN sources s ON s.id = d.source_id")
    args: list = []
    if sources:
        sql += f" WHERE s.name IN ({','.join('?' * len(sources))})"
        args += list(sources)
    found, cache = [], {}
    for row in conn.execute(sql + " ORDER BY d.id", args):
        doc = DocumentRow(*row)
        if ranged:
            if doc.published is None:
                continue
            if doc.published not in cache:
                cache[doc.published] = periods.date_bounds(doc.published)
            first, last = cache[doc.published]
            if first < low or last > high:
                continue
        found.append(doc)
    return found


def read_texts(conn: sqlite3.Connection, ids: Sequence[int], chunk: int = 500):
    """Yield the texts of ``ids`` in that order, a few hundred at a time."""
    for i in range(0, len(ids), chunk):
        part = list(ids[i: i + chunk])
        texts = dict(conn.execute(
            f"SELECT id, text FROM documents WHERE id IN ({','.join('?' * len(part))})", part))
        for doc_id in part:
            yield texts[doc_id]
