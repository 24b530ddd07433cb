"""Backfilled archives in trend answers: their aggregates beside the per-document counts.

``monitor backfill`` leaves the documents in their shards and stores, per shard and lexicon
fingerprint, documents and words per source, date and precision (``backfill_totals``) and
occurrences and documents mentioning per term, category path and shared label
(``backfill_counts``). Here they are put in the same buckets, with the same date rules,
as the stored documents of :func:`~monitor.trends.frame.document_frame`: a backfilled
document counts in the denominators and in a series' ``count`` and ``docs`` exactly as
an ingested and tallied one would. Rows of an older lexicon fingerprint are not read.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from . import periods

if TYPE_CHECKING:
    from .data import Series, TermCount
    from .frame import DocumentFrame

_CURRENT = (" JOIN backfill_shards b ON b.id = x.shard_id"
            " JOIN lexicons l ON l.id = b.lexicon_id AND l.fingerprint = b.fingerprint"
            " JOIN sources s ON s.id = x.source_id")


@dataclass
class BackfillFrame:
    """The backfilled part of a frame: which (lexicon, source, date) cells go in which bucket."""

    cells: dict[tuple[int, str, str | None, str | None], str] = field(default_factory=dict)
    documents: int = 0  # backfilled documents in the frame's buckets
    shards: int = 0
    undated: int = 0
    undated_cells: set[tuple[int, str, None, None]] = field(default_factory=set)
    cell_documents: Counter = field(default_factory=Counter)  # cell -> documents
    cell_words: Counter = field(default_factory=Counter)  # cell -> words
    left_out: bool = False  # the query filters on document fields: backfills cannot say
    coarse: Counter = field(default_factory=Counter)  # precision -> documents
    out_of_range: int = 0


def has_backfills(conn: sqlite3.Connection) -> bool:
    try:
        return conn.execute("SELECT 1 FROM backfill_shards LIMIT 1").fetchone() is not None
    except sqlite3.OperationalError:  # an older schema, read-only
        return False


def add_backfilled(conn: sqlite3.Connection, frame: DocumentFrame, lexicon_ids: list[int],
                   sources: tuple[str, ...] | list[str], low: date, high: date,
                   bounded: bool, bucket: str) -> None:
    """Put the backfilled documents of ``lexicon_ids`` in the frame's ``bucket`` buckets
    (its cells; :func:`backfilled_cell_totals` sums them)."""
    if not lexicon_ids or not has_backfills(conn):
        return
    back = frame.backfill
    sql = ("SELECT b.shard, b.lexicon_id, s.name, x.published, x.precision, sum(x.documents),"
           f" sum(x.words) FROM backfill_totals x{_CURRENT}"
           f" WHERE b.lexicon_id IN ({','.join('?' * len(lexicon_ids))})")
    args: list = list(lexicon_ids)
    if sources:
        sql += f" AND s.name IN ({','.join('?' * len(sources))})"
        args += list(sources)
    sql += " GROUP BY b.shard, b.lexicon_id, s.name, x.published, x.precision"
    documents: dict[tuple, tuple[str, int]] = {}  # (shard, source, date, precision) -> ...
    shards = set()
    for shard, lexicon_id, source, published, precision, n, words in conn.execute(sql, args):
        shards.add(shard)
        place = _place(published, precision, bucket, low, high, bounded)
        where = (shard, source, published, precision)
        if place is None:
            continue
        if place[0] in ("undated", "in"):
            back.cell_documents[lexicon_id, source, published, precision] += n
            back.cell_words[lexicon_id, source, published, precision] += words
        if place[0] == "undated":
            back.undated_cells.add((lexicon_id, source, None, None))
        if place[0] == "in":
            back.cells[lexicon_id, source, published, precision] = place[1]
            frame.sources.add(source)
        # the same documents are in each lexicon's rows of a shard: count them once
        if documents.get(where, ("", 0))[1] < n:
            documents[where] = (place[0], n)
    back.shards = len(shards)
    for (_, _, _, precision), (kind, n) in documents.items():
        if kind == "in":
            back.documents += n
        elif kind == "undated":
            back.undated += n
        elif kind == "coarse":
            back.coarse[precision] += n
        else:
            back.out_of_range += n


def _place(published: str | None, precision: str | None, bucket: str, low: date, high: date,
           bounded: bool) -> tuple[str, str] | None:
    """('in', bucket key), ('undated'|'coarse'|'partly', ''), or None (outside the range)."""
    if published is None:
        return ("undated", "")
    partly = False
    if bounded:
        first, last = periods.date_bounds(published)
        if last < low or first > high:
            return None
        partly = first < low or last > high
    key = periods.bucket_key(published, precision, bucket)
    if key is None:
        return ("coarse", "")
    if partly:
        return ("partly", "")
    return ("in", key)


def include_undated(frame: DocumentFrame) -> None:
    """Put every backfilled cell in the one period ``all``, the undated ones too."""
    back = frame.backfill
    back.cells = {cell: "all" for cell in [*back.cells, *back.undated_cells]}
    back.documents += back.undated
    back.undated = 0


def backfilled_totals(frame: DocumentFrame) -> dict[tuple[int, str], int]:
    """(lexicon id, bucket) -> backfilled documents, as the frame's cells are bucketed now."""
    back = frame.backfill
    out: Counter = Counter()
    for cell, key in back.cells.items():
        out[cell[0], key] += back.cell_documents[cell]
    return dict(out)


def backfilled_cell_totals(frame: DocumentFrame) -> dict[tuple[int, str, str], list[int]]:
    """(lexicon id, bucket, source) -> [documents, words] of the backfilled cells, as the
    frame's cells are bucketed now."""
    back = frame.backfill
    out: dict[tuple[int, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for cell, key in back.cells.items():
        total = out[cell[0], key, cell[1]]
        total[0] += back.cell_documents[cell]
        total[1] += back.cell_words[cell]
    return dict(out)


def all_in_one(frame: DocumentFrame) -> None:
    """Put every dated backfilled cell in the one period ``all``."""
    frame.backfill.cells = {cell: "all" for cell in frame.backfill.cells}


def backfilled_dates(conn: sqlite3.Connection) -> list[tuple[str, str | None, str | None, int]]:
    """(source, published, precision, documents) of every backfilled shard, current ones."""
    if not has_backfills(conn):
        return []
    documents: dict[tuple, int] = {}
    for shard, source, published, precision, n in conn.execute(
        "SELECT b.shard, s.name, x.published, x.precision, sum(x.documents)"
        f" FROM backfill_totals x{_CURRENT} GROUP BY b.shard, b.lexicon_id, s.name,"
        " x.published, x.precision"):
        where = (shard, source, published, precision)
        documents[where] = max(documents.get(where, 0), n)
    out: dict[tuple, int] = defaultdict(int)
    for (_, source, published, precision), n in documents.items():
        out[source, published, precision] += n
    return [(*key, n) for key, n in sorted(out.items(), key=lambda kv: str(kv[0]))]


def series_key(conn: sqlite3.Connection, series: Series) -> tuple[str, str, str]:
    """The ``(kind, category, term)`` of ``backfill_counts`` rows that hold this series."""
    rows = conn.execute(
        "SELECT DISTINCT category, label FROM terms WHERE id IN"
        f" ({','.join('?' * len(series.term_ids))})", series.term_ids).fetchall()
    if series.kind == "category":
        head, sep, rest = series.name.partition(":")
        path = rest if sep and head == series.lexicon else series.name
        return ("category", path, "")
    if len(rows) == 1:
        return ("term", rows[0][0], rows[0][1])
    labels = sorted({label for _, label in rows})
    if len(labels) > 1:
        raise ValueError(
            f"series {series.name!r} matches the terms {', '.join(labels)} (in other case);"
            " backfilled counts are kept per term: name one of them as written"
        )
    return ("label", "", labels[0])


def backfilled_series_counts(conn: sqlite3.Connection, frame: DocumentFrame, series: Series
                             ) -> dict[tuple[str, str], tuple[int, int]]:
    """(bucket, source) -> (occurrences, documents mentioning) over the backfilled shards."""
    cells = frame.backfill.cells
    if not cells:
        return {}
    kind, category, term = series_key(conn, series)
    out: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for source, published, precision, count, docs in conn.execute(
        "SELECT s.name, x.published, x.precision, sum(x.count), sum(x.docs)"
        f" FROM backfill_counts x{_CURRENT} WHERE b.lexicon_id = ? AND x.kind = ?"
        " AND x.category = ? AND x.term = ? GROUP BY s.name, x.published, x.precision",
        (series.lexicon_id, kind, category, term),
    ):
        key = cells.get((series.lexicon_id, source, published, precision))
        if key is not None:
            cell = out[key, source]
            cell[0] += count
            cell[1] += docs
    return {k: (v[0], v[1]) for k, v in out.items()}


def backfilled_term_counts(conn: sqlite3.Connection, frame: DocumentFrame) -> list[TermCount]:
    """Every term's count per bucket over the frame's backfilled shards."""
    from .data import TermCount

    cells = frame.backfill.cells
    if not cells:
        return []
    lexicons = sorted({lexicon_id for lexicon_id, *_ in cells})
    out: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for name, lexicon_id, category, term, source, published, precision, count, docs in (
        conn.execute(
            "SELECT l.name, l.id, x.category, x.term, s.name, x.published, x.precision,"
            f" sum(x.count), sum(x.docs) FROM backfill_counts x{_CURRENT}"
            f" WHERE x.kind = 'term' AND b.lexicon_id IN ({','.join('?' * len(lexicons))})"
            " GROUP BY l.id, x.category, x.term, s.name, x.published, x.precision", lexicons)):
        key = cells.get((lexicon_id, source, published, precision))
        if key is not None:
            cell = out[name, lexicon_id, category, term, key]
            cell[0] += count
            cell[1] += docs
    return [TermCount(*k, *v) for k, v in out.items()]


def merge_term_counts(*parts: list[TermCount]) -> list[TermCount]:
    """Term counts of the same term and bucket summed (ingested and backfilled)."""
    from .data import TermCount

    out: dict[tuple, list[int]] = {}
    for part in parts:
        for c in part:
            cell = out.setdefault((c.lexicon, c.lexicon_id, c.category, c.term, c.period), [0, 0])
            cell[0] += c.count
            cell[1] += c.docs
    return [TermCount(*k, *v) for k, v in out.items()]
