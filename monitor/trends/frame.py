"""A query's documents, bucketed in SQL: the frame every trend, count and report reads.

A frame is a temporary table of one row per lexicon and document *tallied* for it that the
query keeps, with its time bucket, its group (source name or ``--by`` field value), its
source and its words. Dates are put in buckets in Python once per distinct date (ISO
weeks and partial dates are easier and surer there) and joined to the documents in SQL,
so the cost per document is SQLite's, read from the covering index ``documents_frame``
and never from the rows (which hold the text). Denominators are a ``GROUP BY`` over the
frame; the counting queries join it by ``(lexicon_id, document_id)``.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from . import periods
from .backfilled import (
    BackfillFrame,
    add_backfilled,
    all_in_one,
    backfilled_cell_totals,
    has_backfills,
    include_undated,
)
from .filters import NONE, Where, field_sql, where_sql

IN, COARSE, PARTLY = 0, 1, 2
"""A date's place in a frame: in a bucket, coarser than the bucket, partly out of range."""
TOTAL = "total"
"""The bucket of ``monitor counts --by total`` (or ``--by FIELD``): one period, ``all``
(or the field's value), undated documents in it unless the query has bounds."""


@dataclass
class DocumentFrame:
    """The query's documents (temporary table ``table``) and the denominators per
    lexicon, bucket and group; what was left out, and why."""

    bucket: str
    table: str = ""
    lexicons: list[int] = field(default_factory=list)  # the lexicons asked about
    totals: dict[tuple[int, str, str], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0])
    )  # (lexicon_id, bucket, group) -> [documents, words]
    undated: int = 0
    coarse: Counter = field(default_factory=Counter)  # precision -> documents
    out_of_range: int = 0
    copies: int = 0  # syndicated copies counted once
    sources: set[str] = field(default_factory=set)  # source names, whatever the grouping
    backfill: BackfillFrame = field(default_factory=BackfillFrame)
    stored: int = 0  # distinct stored documents in the frame
    rows: Counter = field(default_factory=Counter)  # lexicon_id -> its stored documents
    id_range: dict[int, tuple[int, int]] = field(default_factory=dict)  # lexicon_id -> ids

    @property
    def document_count(self) -> int:
        """Documents in the frame's buckets, stored and backfilled."""
        return self.stored + self.backfill.documents

    def excluded_counts(self) -> dict[str, int]:
        back = self.backfill
        return {"undated": self.undated + back.undated,
                "coarse": sum(self.coarse.values()) + sum(back.coarse.values()),
                "range": self.out_of_range + back.out_of_range}

    def notes(self, option: str = "--bucket") -> list[str]:
        """Why documents were left out; ``option`` names the command's bucket option."""
        bucket, notes, excluded = self.bucket, [], self.excluded_counts()
        if excluded["coarse"]:
            by = self.coarse + self.backfill.coarse
            parts = [f"{n} dated only to the {p}" for p, n in sorted(by.items())]
            n = excluded["coarse"]
            notes.append(
                f"{n} {_docs(n)} left out ({', '.join(parts)}):"
                f" a {bucket} bucket needs dates to the {periods.NEEDS[bucket]};"
                f" a coarser {option} counts them"
            )
        if excluded["undated"]:
            notes.append(f"{excluded['undated']} undated {_docs(excluded['undated'])} left out")
        if excluded["range"]:
            notes.append(
                f"{excluded['range']} {_docs(excluded['range'])} left out: dated"
                " too coarsely to tell whether they fall within --since/--until"
            )
        if self.copies:
            notes.append(
                f"{self.copies} syndicated {_docs(self.copies)} counted once with"
                " the first of their cluster (--all-copies counts every copy)"
            )
        back = self.backfill
        if back.left_out:
            notes.append("backfilled documents left out: --where and --by FIELD filter on"
                         " document fields, which a backfill does not keep")
        if back.documents:
            total = self.document_count
            notes.append(
                f"{back.documents} of the {total} {_docs(total)} come from {back.shards}"
                f" backfilled {'shard' if back.shards == 1 else 'shards'} (monitor backfill)"
            )
        return notes

    def documents_in(self, conn: sqlite3.Connection, bucket: str,
                     group: str | None = None) -> list[int]:
        """The stored documents of one bucket (and group), in id order."""
        sql = f"SELECT DISTINCT document_id FROM temp.{self.table} WHERE bucket = ?"
        args = [bucket]
        if group is not None:
            sql += " AND grp = ?"
            args.append(group)
        return [row[0] for row in conn.execute(sql + " ORDER BY document_id", args)]

    def stored_buckets(self, conn: sqlite3.Connection) -> list[str]:
        """The buckets holding stored documents, sorted as text."""
        return [row[0] for row in conn.execute(
            f"SELECT DISTINCT bucket FROM temp.{self.table} ORDER BY bucket")]

    def buckets(self) -> list[str]:
        """The buckets holding documents, stored or backfilled, in time order."""
        return sorted({key[1] for key in self.totals}, key=periods.start)


def _docs(n: int) -> str:
    return "document" if n == 1 else "documents"


@contextmanager
def document_frame(
    conn: sqlite3.Connection, lexicon_ids: Sequence[int], bucket: str,
    sources: Sequence[str] = (), since: str | None = None, until: str | None = None,
    where: Sequence[Where] = (), group: str | None = None,
    all_copies: bool = False, per_source: bool = False,
) -> Iterator[DocumentFrame]:
    """Bucket every document tallied for any of ``lexicon_ids`` (filtered) once; the
    frame's table is dropped on leaving the block.

    Syndicated copies (documents of one ``cluster_id``) count once per lexicon, as the
    cluster's first document in the frame (once per group with ``per_source``), unless
    ``all_copies``.

    ``since``/``until`` keep documents whose whole date span lies inside the range; a
    document dated '2021' is out of ``--since 2021-06`` (noted), not guessed to be in.
    ``where`` filters on document fields (:mod:`monitor.trends.filters`). ``group`` names
    a field whose value takes the place of the source name (``--by country``); documents
    without it are in the group ``(none)``. ``bucket`` may be :data:`TOTAL`.
    """
    if sources:
        known = {row[0] for row in conn.execute("SELECT name FROM sources")}
        unknown = [s for s in sources if s not in known]
        if unknown:
            raise ValueError(
                f"unknown source {unknown[0]!r}; known: {', '.join(sorted(known)) or 'none'}"
            )
    low = periods.date_bounds(since)[0] if since else date.min
    high = periods.date_bounds(until)[1] if until else date.max
    if low > high:
        raise ValueError(f"--since {since} is after --until {until}: nothing can match")
    bounded = bool(since or until)
    frame = DocumentFrame(bucket, f"trend_docs_{uuid.uuid4().hex[:12]}", list(lexicon_ids))
    dates = f"{frame.table}_dates"
    try:
        _fill(conn, frame, dates, list(lexicon_ids), sources, low, high, bounded, where,
              group, all_copies, per_source)
        if where or group:
            frame.backfill.left_out = has_backfills(conn)
        else:
            add_backfilled(conn, frame, list(lexicon_ids), sources, low, high, bounded,
                           "year" if bucket == TOTAL else bucket)
            if bucket == TOTAL:
                (all_in_one if bounded else include_undated)(frame)
            for key, (n, words) in backfilled_cell_totals(frame).items():
                cell = frame.totals[key]
                cell[0] += n
                cell[1] += words
        yield frame
    finally:
        conn.execute(f"DROP TABLE IF EXISTS temp.{frame.table}")
        conn.execute(f"DROP TABLE IF EXISTS temp.{dates}")


def _date_rows(conn: sqlite3.Connection, bucket: str, low: date, high: date,
               bounded: bool) -> list[tuple[str, str, str, int]]:
    """(published, precision, bucket, place) of every distinct stored date that may be in
    the frame; dates wholly outside ``low``-``high`` are left out."""
    sql = "SELECT DISTINCT published, precision FROM documents WHERE published IS NOT NULL"
    args: list = []
    if bounded:  # a partial date sorts before its days: the year of ``low`` bounds it
        sql += " AND published >= ? AND published <= ?"
        args = [f"{low.year:04d}" if low > date.min else "", high.isoformat()]
    out = []
    need = "year" if bucket == TOTAL else bucket
    for published, precision in conn.execute(sql, args):
        partly = False
        if bounded:
            first, last = periods.date_bounds(published)
            if last < low or first > high:
                continue
            partly = first < low or last > high
        key = periods.bucket_key(published, precision, need)
        if key is None:
            out.append((published, precision, "", COARSE))
        elif partly:
            out.append((published, precision, "", PARTLY))
        else:
            out.append((published, precision, "all" if bucket == TOTAL else key, IN))
    return out


def _fill(conn: sqlite3.Connection, frame: DocumentFrame, dates: str, lexicon_ids: list[int],
          sources: Sequence[str], low: date, high: date, bounded: bool,
          where: Sequence[Where], group: str | None, all_copies: bool,
          per_source: bool) -> None:
    """Create and fill the frame's table; set its totals and what it left out."""
    table = frame.table
    conn.execute(f"CREATE TEMP TABLE {dates} (published TEXT NOT NULL, precision TEXT NOT NULL,"
                 " bucket TEXT NOT NULL, place INTEGER NOT NULL,"
                 " PRIMARY KEY (published, precision)) WITHOUT ROWID")
    conn.execute(f"CREATE TEMP TABLE {table} (lexicon_id INTEGER NOT NULL,"
                 " document_id INTEGER NOT NULL, bucket TEXT NOT NULL, grp TEXT NOT NULL,"
                 " source TEXT NOT NULL, words INTEGER NOT NULL, cluster INTEGER,"
                 " place INTEGER NOT NULL, precision TEXT,"
                 " PRIMARY KEY (lexicon_id, document_id)) WITHOUT ROWID")
    if not lexicon_ids:
        return
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    try:
        conn.executemany(f"INSERT INTO temp.{dates} VALUES (?, ?, ?, ?)",
                         _date_rows(conn, frame.bucket, low, high, bounded))
        label, label_args = ("s.name", []) if group is None else field_sql(group)
        grp = f"coalesce({label}, '{NONE}')"
        lexicons = ",".join(str(int(i)) for i in lexicon_ids)
        source_sql, source_args = "", []
        if sources:
            source_sql = f" AND s.name IN ({','.join('?' * len(sources))})"
            source_args = list(sources)
        condition, condition_args = where_sql(where)
        # documents first (their covering index, in date order), then each one's date
        # and tallied rows looked up: CROSS JOIN keeps SQLite to that order
        body = (" FROM documents d CROSS JOIN {dates} m ON m.published = d.published"
                " AND m.precision = d.precision"
                f" CROSS JOIN tallied t ON t.lexicon_id IN ({lexicons})"
                " AND t.document_id = d.id CROSS JOIN sources s ON s.id = d.source_id"
                f" WHERE 1{source_sql}{condition}")
        if bounded:
            body += " AND d.published >= ? AND d.published <= ?"
            range_args = [f"{low.year:04d}" if low > date.min else "", high.isoformat()]
        else:
            range_args = []
        bucket_sql = "m.bucket" if frame.bucket != TOTAL or group is None else grp
        conn.execute(
            f"INSERT INTO temp.{table} SELECT t.lexicon_id, d.id, {bucket_sql}, {grp}, s.name,"
            " d.word_count, d.cluster_id, m.place, d.precision"
            + body.format(dates=f"temp.{dates}"),
            [*label_args, *(label_args if bucket_sql == grp else []), *source_args,
             *condition_args, *range_args])
        undated_body = (" FROM documents d CROSS JOIN tallied t"
                        f" ON t.lexicon_id IN ({lexicons}) AND t.document_id = d.id"
                        " CROSS JOIN sources s ON s.id = d.source_id"
                        f" WHERE d.published IS NULL{source_sql}{condition}")
        if frame.bucket == TOTAL and not bounded:  # undated documents count in 'all'
            undated_bucket, bucket_args = ("'all'", []) if group is None else (grp, label_args)
            conn.execute(
                f"INSERT INTO temp.{table} SELECT t.lexicon_id, d.id, {undated_bucket},"
                f" {grp}, s.name, d.word_count, d.cluster_id, {IN}, NULL" + undated_body,
                [*bucket_args, *label_args, *source_args, *condition_args])
        else:
            frame.undated = conn.execute(
                "SELECT count(DISTINCT d.id)" + undated_body,
                [*source_args, *condition_args]).fetchone()[0]
        _leave_out(conn, frame)
        if not all_copies:
            _drop_copies(conn, frame, per_source)
        _totals(conn, frame)
    finally:
        if own:
            conn.execute("COMMIT")


def _leave_out(conn: sqlite3.Connection, frame: DocumentFrame) -> None:
    """Count the documents dated too coarsely (or partly out of range) and drop them."""
    table = frame.table
    left = conn.execute(f"SELECT place, precision, count(DISTINCT document_id) FROM temp.{table}"
                        f" WHERE place != {IN} GROUP BY place, precision").fetchall()
    for place, precision, n in left:
        if place == COARSE:
            frame.coarse[precision] += n
        else:
            frame.out_of_range += n
    if left:
        conn.execute(f"DELETE FROM temp.{table} WHERE place != {IN}")


def _drop_copies(conn: sqlite3.Connection, frame: DocumentFrame, per_source: bool) -> None:
    """Keep one document per lexicon and cluster (and group, with ``per_source``): the
    cluster's first in the frame. Only clusters of several documents are read."""
    table = frame.table
    rows = conn.execute(
        f"SELECT f.lexicon_id, f.document_id, f.cluster, f.grp FROM temp.{table} f"
        " WHERE f.cluster IN (SELECT cluster_id FROM documents"
        " WHERE cluster_id IS NOT NULL AND cluster_id != id)"
        " ORDER BY f.lexicon_id, f.document_id").fetchall()
    seen: set[tuple] = set()
    drop: list[tuple[int, int]] = []
    copies: set[int] = set()
    for lexicon_id, document_id, cluster, grp in rows:
        key = (lexicon_id, cluster, grp if per_source else None)
        if key in seen:
            drop.append((lexicon_id, document_id))
            copies.add(document_id)
        else:
            seen.add(key)
    conn.executemany(f"DELETE FROM temp.{table} WHERE lexicon_id = ? AND document_id = ?",
                     drop)
    frame.copies = len(copies)


def _totals(conn: sqlite3.Connection, frame: DocumentFrame) -> None:
    """Documents and words per lexicon, bucket and group (stored documents: backfilled
    ones are added after), their sources, how many documents there are and the range of
    their ids."""
    for lexicon_id, bucket, grp, source, n, words, first, last in conn.execute(
            "SELECT lexicon_id, bucket, grp, source, count(*), sum(words), min(document_id),"
            f" max(document_id) FROM temp.{frame.table} GROUP BY lexicon_id, bucket, grp,"
            " source"):
        cell = frame.totals[lexicon_id, bucket, grp]
        cell[0] += n
        cell[1] += words
        frame.sources.add(source)
        frame.rows[lexicon_id] += n
        low, high = frame.id_range.get(lexicon_id, (first, last))
        frame.id_range[lexicon_id] = (min(low, first), max(high, last))
    if len(frame.rows) > 1:  # a document is in the frame once per lexicon it was tallied for
        frame.stored = conn.execute(
            f"SELECT count(DISTINCT document_id) FROM temp.{frame.table}").fetchone()[0]
    else:
        frame.stored = sum(frame.rows.values())
