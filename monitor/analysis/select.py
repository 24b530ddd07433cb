"""Choosing documents by date range, source and ``--where`` filters, the way trends do.

A document is inside ``since``..``until`` (inclusive, partial dates or period ids) when its
whole date lies inside: one dated ``2021`` is outside ``--since 2021-06``. Undated
documents are inside only when no range is given. ``where`` filters are those of
:mod:`monitor.trends.filters` (``country=CHN``). Syndicated copies (one ``cluster_id``)
are kept once, as the cluster's first document, unless ``all_copies``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ..trends import periods
from ..trends.filters import Where, parse_wheres, where_sql


@dataclass(frozen=True)
class DocumentRow:
    id: int
    source: str
    published: str | None
    precision: str | None
    words: int
    cluster: int  # the id of the cluster's first document (its own id for no copy)


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
    sources: Sequence[str] = (), where: Sequence[str | Where] = (), all_copies: bool = False,
    copies: list[int] | None = None,
) -> list[DocumentRow]:
    """The documents of ``sources`` (all if empty) matching ``where`` whose whole date is
    in the range, each cluster of syndicated copies once unless ``all_copies`` (the ids
    of the copies left out are added to ``copies`` when given)."""
    check_sources(conn, sources)
    low, high = bounds(since, until)
    ranged = bool(since or until)
    sql = ("SELECT d.id, s.name, d.published, d.precision, d.word_count,"
           " coalesce(d.cluster_id, d.id) FROM documents d"
           " JOIN sources s ON s.id = d.source_id WHERE 1")
    args: list = []
    if sources:
        sql += f" AND s.name IN ({','.join('?' * len(sources))})"
        args += list(sources)
    condition, condition_args = where_sql(parse_wheres(where))
    sql += condition
    args += condition_args
    found, cache, seen = [], {}, set()
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
        if not all_copies:
            if doc.cluster in seen:
                if copies is not None:
                    copies.append(doc.id)
                continue
            seen.add(doc.cluster)
        found.append(doc)
    return found


def copies_note(n: int) -> str:
    return (f"{n} syndicated {'copy' if n == 1 else 'copies'} left out: each cluster counts"
            " once, as its first document (--all-copies keeps every copy)")


def read_texts(conn: sqlite3.Connection, ids: Sequence[int], chunk: int = 500):
    """Yield the texts of ``ids`` in that order, a few hundred at a time."""
    for i in range(0, len(ids), chunk):
        part = list(ids[i: i + chunk])
        texts = dict(conn.execute(
            f"SELECT id, text FROM documents WHERE id IN ({','.join('?' * len(part))})", part))
        for doc_id in part:
            yield texts[doc_id]
