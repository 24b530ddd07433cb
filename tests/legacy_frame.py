"""The frame as it was computed before issue 10 moved it into SQL: the reference answers.

Every tallied (lexicon, document) row is read and bucketed in a Python loop, the kept
documents go to a temporary table, and the counting queries join it and ``tallied``. Kept
here (from monitor/trends/data.py before the change, trimmed to what the comparison in
tests/test_frame.py needs) so the SQL frame can be checked against it on real data.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from monitor.trends import periods
from monitor.trends.backfilled import (
    BackfillFrame,
    add_backfilled,
    all_in_one,
    backfilled_cell_totals,
    backfilled_totals,
    has_backfills,
    include_undated,
)
from monitor.trends.filters import NONE, Where, field_sql, where_sql


@dataclass
class LegacyFrame:
    bucket: str
    docs: dict[int, tuple[str, str]] = field(default_factory=dict)
    totals: dict[tuple[int, str, str], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0]))
    undated: set[int] = field(default_factory=set)
    coarse: dict[int, str] = field(default_factory=dict)
    out_of_range: set[int] = field(default_factory=set)
    copies: set[int] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    backfill: BackfillFrame = field(default_factory=BackfillFrame)

    @property
    def document_count(self) -> int:
        return len(self.docs) + self.backfill.documents

    def excluded_counts(self) -> dict[str, int]:
        back = self.backfill
        return {"undated": len(self.undated) + back.undated,
                "coarse": len(self.coarse) + sum(back.coarse.values()),
                "range": len(self.out_of_range) + back.out_of_range}

    def coarse_by_precision(self) -> Counter:
        return Counter(self.coarse.values()) + self.backfill.coarse


def legacy_frame(conn: sqlite3.Connection, lexicon_ids: Sequence[int], bucket: str,
                 sources: Sequence[str] = (), since: str | None = None,
                 until: str | None = None, where: Sequence[Where] = (),
                 group: str | None = None, all_copies: bool = False,
                 per_source: bool = False) -> LegacyFrame:
    frame = LegacyFrame(bucket)
    low = periods.date_bounds(since)[0] if since else date.min
    high = periods.date_bounds(until)[1] if until else date.max
    label, args = ("s.name", []) if group is None else field_sql(group)
    sql = (
        f"SELECT t.lexicon_id, d.id, coalesce({label}, '{NONE}'), d.published, d.precision,"
        " d.word_count, coalesce(d.cluster_id, d.id), s.name"
        " FROM tallied t JOIN documents d ON d.id = t.document_id"
        " JOIN sources s ON s.id = d.source_id"
        f" WHERE t.lexicon_id IN ({','.join('?' * len(lexicon_ids))})"
    )
    args += list(lexicon_ids)
    if sources:
        sql += f" AND s.name IN ({','.join('?' * len(sources))})"
        args += list(sources)
    condition, condition_args = where_sql(where)
    sql += condition
    args += condition_args
    seen: set[tuple] = set()
    for lexicon_id, doc_id, source, published, precision, words, cluster, name in conn.execute(
            sql + " ORDER BY t.lexicon_id, d.id", args):
        if published is None:
            frame.undated.add(doc_id)
            continue
        partly = False
        if since or until:
            first, last = periods.date_bounds(published)
            if last < low or first > high:
                continue
            partly = first < low or last > high
        key = periods.bucket_key(published, precision, bucket)
        if key is None:
            frame.coarse[doc_id] = precision
            continue
        if partly:
            frame.out_of_range.add(doc_id)
            continue
        if not all_copies:
            copy = (lexicon_id, cluster, source if per_source else None)
            if copy in seen:
                frame.copies.add(doc_id)
                continue
            seen.add(copy)
        frame.docs[doc_id] = (key, source)
        frame.sources.add(name)
        cell = frame.totals[lexicon_id, key, source]
        cell[0] += 1
        cell[1] += words
    if where or group:
        frame.backfill.left_out = has_backfills(conn)
    else:
        add_backfilled(conn, frame, list(lexicon_ids), sources, low, high,
                       bool(since or until), bucket)
        for key, (n, words) in backfilled_cell_totals(frame).items():
            frame.totals[key][0] += n
            frame.totals[key][1] += words
    return frame


def one_period(conn: sqlite3.Connection, frame: LegacyFrame, bounded: bool,
               group: str | None = None) -> None:
    """``monitor counts --by total`` (or ``--by FIELD``) on a year frame, as it was."""
    frame.docs = {doc: ("all" if group is None else g, g) for doc, (_, g) in frame.docs.items()}
    if bounded:
        all_in_one(frame)
    else:
        include_undated(frame)
    if frame.undated and not bounded:
        label, args = ("s.name", []) if group is None else field_sql(group)
        frame.docs.update(
            (doc, ("all" if group is None else g, g)) for doc, g in conn.execute(
                f"SELECT d.id, coalesce({label}, '{NONE}') FROM documents d"
                " JOIN sources s ON s.id = d.source_id"
                " WHERE d.id IN (SELECT value FROM json_each(?))",
                [*args, json.dumps(sorted(frame.undated))]))
        frame.undated.clear()


@contextmanager
def legacy_table(conn: sqlite3.Connection, frame: LegacyFrame) -> Iterator[str]:
    name = f"legacy_docs_{uuid.uuid4().hex[:12]}"
    conn.execute(f"CREATE TEMP TABLE {name} (document_id INTEGER PRIMARY KEY,"
                 " bucket TEXT NOT NULL, source TEXT NOT NULL)")
    conn.executemany(f"INSERT INTO temp.{name} VALUES (?, ?, ?)",
                     ((doc, key, source) for doc, (key, source) in frame.docs.items()))
    try:
        yield name
    finally:
        conn.execute(f"DROP TABLE temp.{name}")


def legacy_series_counts(conn: sqlite3.Connection, table: str, lexicon_id: int,
                         term_ids: list[int], category_id: int | None
                         ) -> dict[tuple[str, str], tuple[int, int]]:
    if category_id is not None:
        source_sql = "SELECT document_id, count AS n FROM category_counts WHERE category_id = ?"
        args: list = [category_id]
    else:
        source_sql = ("SELECT document_id, sum(count) AS n FROM counts WHERE term_id IN"
                      " (SELECT value FROM json_each(?)) GROUP BY document_id")
        args = [json.dumps(term_ids)]
    rows = conn.execute(
        "SELECT td.bucket, td.source, sum(s.n), count(*)"
        f" FROM ({source_sql}) s JOIN temp.{table} td ON td.document_id = s.document_id"
        " JOIN tallied tl ON tl.lexicon_id = ? AND tl.document_id = s.document_id"
        " GROUP BY td.bucket, td.source", (*args, lexicon_id))
    return {(bucket, source): (count, docs) for bucket, source, count, docs in rows}


def legacy_term_counts(conn: sqlite3.Connection, table: str, lexicon_ids: Sequence[int]
                       ) -> dict[tuple, tuple[int, int]]:
    rows = conn.execute(
        "SELECT t.lexicon_id, t.category, t.label, td.bucket, sum(c.count), count(*)"
        f" FROM terms t JOIN counts c ON c.term_id = t.id JOIN temp.{table} td"
        " ON td.document_id = c.document_id JOIN tallied tl ON tl.lexicon_id = t.lexicon_id"
        " AND tl.document_id = c.document_id"
        " WHERE t.lexicon_id IN (SELECT value FROM json_each(?)) GROUP BY t.id, td.bucket",
        (json.dumps(list(lexicon_ids)),))
    return {tuple(row[:4]): (row[4], row[5]) for row in rows}


def legacy_period_totals(conn: sqlite3.Connection, table: str, frame: LegacyFrame,
                         lexicon_ids: Sequence[int]) -> dict[tuple[int, str], int]:
    """Documents per lexicon and period, as ``monitor counts`` counted them."""
    totals = dict(((lexicon_id, bucket), n) for lexicon_id, bucket, n in conn.execute(
        f"SELECT tl.lexicon_id, td.bucket, count(*) FROM temp.{table} td"
        " JOIN tallied tl ON tl.document_id = td.document_id"
        " WHERE tl.lexicon_id IN (SELECT value FROM json_each(?)) GROUP BY 1, 2",
        (json.dumps(list(lexicon_ids)),)))
    for (lexicon_id, period), n in backfilled_totals(frame).items():
        if lexicon_id in lexicon_ids:
            totals[lexicon_id, period] = totals.get((lexicon_id, period), 0) + n
    return totals
