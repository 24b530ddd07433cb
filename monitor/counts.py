"""Reading stored counts back, per document or per period: the ``monitor counts`` command.

The ``term_counts`` view is the contract; this module only filters and sums it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from . import periods
from .store import Database

BY = ("document", "day", "week", "month", "quarter", "year", "total")


@dataclass
class CountQuery:
    """Which counts to read. ``names`` are term labels or category paths (a category
    includes its sub-categories); empty means every term."""

    names: tuple[str, ...] = ()
    lexicon: str | None = None
    sources: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    by: str = "total"

    def validate(self) -> None:
        if self.by not in BY:
            raise ValueError(f"--by {self.by!r} is not one of {', '.join(BY)}")
        for bound in (self.since, self.until):
            if bound is not None:
                periods.date_bounds(bound)


def where_clause(query: CountQuery) -> tuple[str, list]:
    """SQL conditions on ``term_counts`` for the query's filters, with parameters."""
    conditions, params = ["1"], []
    if query.names:
        marks = ", ".join("?" * len(query.names))
        likes = " OR ".join("category LIKE ? ESCAPE '\\'" for _ in query.names)
        conditions.append(f"(term IN ({marks}) OR category IN ({marks}) OR {likes})")
        params += [*query.names, *query.names]
        params += [_escape_like(n) + "/%" for n in query.names]
    if query.lexicon:
        conditions.append("lexicon = ?")
        params.append(query.lexicon)
    if query.sources:
        conditions.append(f"source IN ({', '.join('?' * len(query.sources))})")
        params += list(query.sources)
    if query.since:
        conditions.append("published >= ?")
        params.append(query.since)
    if query.until:
        conditions.append("substr(published, 1, length(?)) <= ?")
        params += [query.until, query.until]
    return " AND ".join(conditions), params


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def read_counts(db: Database, query: CountQuery) -> tuple[list[dict], list[str]]:
    """Rows of counts and notes (e.g. documents left out because their date is too coarse).

    ``by='document'``: one row per document and term. Otherwise one row per period,
    lexicon, category and term with ``count`` (occurrences) and ``docs`` (documents
    mentioning); ``by='total'`` sums over all time.
    """
    query.validate()
    where, params = where_clause(query)
    if query.by == "document":
        sql = (f"SELECT document_id, published, precision, source, title, lexicon, category,"
               f" term, count, word_count FROM term_counts WHERE {where}"
               f" ORDER BY published, document_id, lexicon, category, term")
        cursor = db.conn.execute(sql, params)
        keys = [c[0] for c in cursor.description]
        return [dict(zip(keys, row, strict=True)) for row in cursor], []
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    left_out: set[int] = set()
    sql = (f"SELECT document_id, published, precision, lexicon, category, term, count"
           f" FROM term_counts WHERE {where}")
    for doc_id, published, precision, lexicon, category, term, count in db.conn.execute(
        sql, params
    ):
        if query.by == "total":
            period = "all"
        else:
            period = periods.bucket_key(published, precision, query.by)
            if period is None:
                left_out.add(doc_id)
                continue
        cell = sums[(period, lexicon, category, term)]
        cell[0] += count
        cell[1] += 1
    rows = [
        {"period": p, "lexicon": lx, "category": c, "term": t, "count": n, "docs": d}
        for (p, lx, c, t), (n, d) in sorted(sums.items())
    ]
    notes = []
    if left_out:
        notes.append(f"{len(left_out)} documents left out: undated or dated less precisely "
                     f"than a {query.by}")
    return rows, notes
