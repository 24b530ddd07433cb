"""Reading stored counts back, per document or per period: the ``monitor counts`` command.

Names, dates and buckets follow ``monitor trend`` exactly, through :mod:`monitor.trends.data`:
a name is whatever :func:`~monitor.trends.data.resolve_series` accepts (a category path with
its sub-categories, a term label, either one as ``lexicon:name``); the documents are those
tallied for the lexicons involved, bucketed once by
:func:`~monitor.trends.frame.document_frame`, which keeps a document only when its whole
date lies within ``since``/``until`` and notes the ones it leaves out.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, replace

from ..store import Database
from . import periods
from .adhoc import ensure_terms
from .backfilled import backfilled_term_counts, merge_term_counts
from .data import lexicon_ids, lexicon_name, resolve_series, term_counts
from .filters import parse_wheres
from .frame import TOTAL, DocumentFrame, document_frame

BY = ("document", *periods.BUCKETS, "total")
PERIOD_COLUMNS = ("period", "lexicon", "category", "term", "count", "docs", "total_docs")
DOCUMENT_COLUMNS = ("document_id", "published", "precision", "source", "title", "lexicon",
                    "category", "term", "count", "word_count")


@dataclass
class CountQuery:
    """Which counts to read. ``names`` are term labels, category paths (a category includes
    its sub-categories) or either one as ``lexicon:name``; empty means every term."""

    names: tuple[str, ...] = ()
    lexicon: str | None = None
    sources: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    by: str = "total"  # one of BY, or a document field (source, language, a meta key)
    where: tuple[str, ...] = ()  # filters such as 'country=CHN' (monitor.trends.filters)
    terms: tuple[str, ...] = ()  # ad-hoc words or phrases (monitor.trends.adhoc)
    all_copies: bool = False  # per period: every syndicated copy, not each cluster once

    @property
    def field(self) -> str | None:
        """The document field rows are grouped by, or None for a period grouping."""
        return None if self.by in BY else self.by

    def validate(self) -> None:
        parse_wheres(self.where)
        if self.field is not None and not re.fullmatch(r"[A-Za-z_][\w.\-]*", self.by):
            raise ValueError(f"--by {self.by!r} is not one of {', '.join(BY)} nor a field name")
        for bound in (self.since, self.until):
            if bound is not None:
                periods.date_bounds(bound)


def read_counts(db: Database, query: CountQuery) -> tuple[list[dict], list[str]]:
    """Rows of counts and notes (e.g. documents left out because their date is too coarse).

    ``by='document'``: one row per document and term (``DOCUMENT_COLUMNS``). Otherwise one
    row per period, lexicon, category and term (``PERIOD_COLUMNS``) with ``count``
    (occurrences), ``docs`` (documents mentioning) and ``total_docs`` (documents tallied
    for the lexicon in the period). Every period from the first to the last with documents
    is listed for every named term (without names: every term counted somewhere in the
    result): 0 where documents do not mention it, ``None`` count and docs (and
    ``total_docs`` 0) where there are no documents at all. ``by='total'`` sums over all
    time (period ``all``; undated documents count unless ``since`` or ``until`` is
    given). Per period, syndicated copies count once (each cluster as its first
    document, as in trends) unless ``all_copies``; ``by='document'`` lists every document.
    Raises ValueError for an unknown or ambiguous name, an unknown lexicon or
    source, or a bad date.
    """
    query.validate()
    if query.terms:
        query = replace(query, names=(*query.names, *ensure_terms(db, query.terms).values()),
                        terms=())
    conn = db.conn
    notes: list[str] = []
    lexicons, terms = _selection(conn, query, notes)
    bucket = query.by if query.by in periods.BUCKETS else TOTAL
    with document_frame(conn, lexicons, bucket, query.sources, query.since, query.until,
                        parse_wheres(query.where), query.field,
                        all_copies=query.all_copies or query.by == "document") as frame:
        if query.by == "document":
            rows = _document_rows(conn, frame, lexicons, terms)
        else:
            rows = _period_rows(conn, frame, lexicons, terms)
    if query.by == "document" and frame.backfill.documents:
        notes.append(
            f"{frame.backfill.documents} backfilled documents are not listed: their counts"
            " per document are in the backfill's counts.parquet files (monitor backfill)")
    notes += frame.notes("--by")
    if not frame.document_count:
        notes.append("no tallied documents match this query")
    if query.field is not None:
        rows = [{query.field: r.pop("period"), **r} for r in rows]
    return rows, notes


def _selection(conn: sqlite3.Connection, query: CountQuery,
               notes: list[str]) -> tuple[list[int], list[int] | None]:
    """The lexicon ids and the term ids (None: every term) of the query's names."""
    if query.names:
        series = [resolve_series(conn, name, query.lexicon, notes)
                  for name in dict.fromkeys(query.names)]
        return (sorted({s.lexicon_id for s in series}),
                sorted({term for s in series for term in s.term_ids}))
    known = lexicon_ids(conn)
    if query.lexicon is None:
        return sorted(known.values()), None
    name = lexicon_name(query.lexicon)
    if name not in known:
        raise ValueError(
            f"unknown lexicon {query.lexicon!r}; known: {', '.join(known) or 'none (tally first)'}"
        )
    return [known[name]], None


def _period_rows(conn: sqlite3.Connection, frame: DocumentFrame, lexicons: list[int],
                 terms: list[int] | None) -> list[dict]:
    """Counts per period and term, every period of the span filled in (see read_counts)."""
    # only the query's lexicons and terms are read (in SQL); the filter below is a guard
    wanted = set(lexicons)
    names = {v: k for k, v in lexicon_ids(conn).items()}
    keys: set[tuple[int, str, str]] | None = None
    if terms is not None:
        keys = set(conn.execute(
            "SELECT lexicon_id, category, label FROM terms"
            " WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(terms),)))
    found = {
        (c.lexicon_id, c.category, c.term, c.period): (c.count, c.docs)
        for c in merge_term_counts(term_counts(conn, frame, sorted(wanted), terms),
                                   backfilled_term_counts(conn, frame))
        if c.lexicon_id in wanted and (keys is None or (c.lexicon_id, c.category, c.term) in keys)
    }
    totals: dict[tuple[int, str], int] = {}
    for (lexicon_id, period, _), (n, _words) in frame.totals.items():
        if lexicon_id in wanted and n:
            totals[lexicon_id, period] = totals.get((lexicon_id, period), 0) + n
    seen = sorted({period for _, period in totals})
    if frame.bucket != TOTAL and seen:
        seen = periods.span(min(seen, key=periods.start), max(seen, key=periods.start))
    shown = keys if keys is not None else {key[:3] for key in found}
    rows = []
    for lexicon_id, category, term in shown:
        for period in seen:
            n = totals.get((lexicon_id, period), 0)
            count, docs = found.get((lexicon_id, category, term, period), (0, 0))
            rows.append({"period": period, "lexicon": names[lexicon_id], "category": category,
                         "term": term, "count": count if n else None,
                         "docs": docs if n else None, "total_docs": n})
    order = {period: i for i, period in enumerate(seen)}
    return sorted(rows, key=lambda r: (order[r["period"]], r["lexicon"], r["category"],
                                       r["term"]))


def _document_rows(conn: sqlite3.Connection, frame: DocumentFrame, lexicons: list[int],
                   terms: list[int] | None) -> list[dict]:
    sql = (
        "SELECT c.document_id, d.published, d.precision, f.grp AS source, d.title,"
        " l.name AS lexicon, t.category, t.label AS term, c.count, d.word_count"
        " FROM terms t CROSS JOIN counts c ON c.term_id = t.id"  # counts are keyed by term
        f" CROSS JOIN temp.{frame.table} f ON f.lexicon_id = t.lexicon_id"
        " AND f.document_id = c.document_id"
        " JOIN documents d ON d.id = f.document_id JOIN lexicons l ON l.id = t.lexicon_id"
        " WHERE t.lexicon_id IN (SELECT value FROM json_each(?))"
    )
    args = [json.dumps(lexicons)]
    if terms is not None:
        sql += " AND t.id IN (SELECT value FROM json_each(?))"
        args.append(json.dumps(terms))
    cursor = conn.execute(sql + " ORDER BY d.published, c.document_id, l.name, t.category,"
                          " t.label", args)
    keys = [column[0] for column in cursor.description]
    return [dict(zip(keys, row, strict=True)) for row in cursor]
