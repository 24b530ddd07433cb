"""Trends: how much a term or category is used per time bucket, always with its denominator.

>>> t = trend(db, TrendQuery(["hard_power", "soft_power"], bucket="year", measure="share"))
>>> t.to_csv("trend.csv")

Every row carries the four measures and the denominators they were computed from:

* ``count``  occurrences of the series' terms;
* ``docs``   documents mentioning any of them (the China Media Project's measure);
* ``share``  ``docs / total_docs`` (Media Cloud's "attention"), with a 90% Wilson interval;
* ``per10k`` ``count * 10,000 / words``.

``total_docs`` and ``words`` count the documents *tallied for the series' lexicon* in the
bucket (and source), so documents that were never tallied do not dilute the shares.
Documents whose date is coarser than the bucket, or undated, are left out with a note.
The work is one ``GROUP BY bucket, group`` query per series joined to the query's frame
(:mod:`monitor.trends.frame`: its documents, bucketed in SQL, and the denominators).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

from ..store import Database
from . import periods
from .adhoc import ensure_terms, tallied_terms
from .backfilled import backfilled_series_counts
from .data import resolve_series, series_counts, word_unit
from .filters import NONE, parse_wheres
from .frame import document_frame

MEASURES = ("count", "docs", "share", "per10k")
Z90 = 1.6448536269514722  # two-sided 90%: the 95th percentile of the standard normal
CSV_COLUMNS = (
    "period", "series", "source", "count", "docs", "total_docs", "words",
    "share", "share_low", "share_high", "per10k",
)


@dataclass
class TrendQuery:
    """What to chart. ``series`` items are term labels, category paths or ``lexicon:name``.

    ``smooth`` is the window of a rolling mean in buckets, trailing (the bucket and the
    ``smooth - 1`` before it) unless ``center``; ``ratio`` adds the series ``a/b``.
    ``since``/``until`` take partial dates or period ids ('2021', '2021-06', '2021-W05').
    ``where`` filters documents on fields (``country=CHN``, ``party != Republican``,
    ``country in CHN,USA``: see :mod:`monitor.trends.filters`); ``by`` names a field
    whose values become the groups (``source`` of the rows), like ``by_source``.
    """

    series: list[str] = field(default_factory=list)
    bucket: str = "year"
    measure: str = "share"
    sources: tuple[str, ...] | list[str] = ()
    lexicon: str | None = None
    since: str | None = None
    until: str | None = None
    by_source: bool = False
    smooth: int = 1
    ratio: tuple[str, str] | list[str] | None = None
    center: bool = False
    all_copies: bool = False  # count every syndicated copy, not each cluster once
    where: tuple[str, ...] | list[str] = ()
    by: str | None = None
    terms: tuple[str, ...] | list[str] = ()  # ad-hoc words or phrases, no lexicon needed

    def __post_init__(self) -> None:
        periods.check_bucket(self.bucket)
        self.where = tuple(str(w) for w in parse_wheres(self.where))
        if self.by == "source":
            self.by, self.by_source = None, True
        if self.by is not None and self.by_source:
            raise ValueError("group by one field: --by-source or --by FIELD, not both")
        if self.measure not in MEASURES:
            raise ValueError(f"measure {self.measure!r} is not one of {', '.join(MEASURES)}")
        if not isinstance(self.smooth, int) or self.smooth < 1:
            raise ValueError(f"smooth must be a whole number of buckets >= 1, not {self.smooth!r}")
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None:
                periods.kind(str(value))
                setattr(self, name, str(value))
        if self.ratio is not None:
            if len(self.ratio) != 2:
                raise ValueError("ratio takes two series: numerator and denominator")
            self.ratio = (self.ratio[0], self.ratio[1])
        self.series, self.sources = list(self.series), tuple(self.sources)
        self.terms = tuple(self.terms)
        if not self.series and not self.ratio and not self.terms:
            raise ValueError("name at least one series (a term, a category or lexicon:name)")

    @property
    def ratio_label(self) -> str | None:
        return f"{self.ratio[0]}/{self.ratio[1]}" if self.ratio else None


@dataclass
class TrendRow:
    """One bucket of one series (for one source, or ``all``)."""

    period: str
    series: str
    source: str
    count: float | None  # None (like docs, share, per10k) in a bucket without documents
    docs: float | None
    total_docs: int
    words: int
    share: float | None
    share_low: float | None
    share_high: float | None
    per10k: float | None

    def value(self, measure: str) -> float | None:
        return getattr(self, measure)


@dataclass
class Trend:
    """The answer to a :class:`TrendQuery`: tidy rows plus what was left out and why."""

    query: TrendQuery
    rows: list[TrendRow]
    periods: list[str]
    series: list[str]
    groups: list[str]
    sources: list[str]
    documents: int
    notes: list[str] = field(default_factory=list)
    excluded: dict[str, int] = field(default_factory=dict)
    unit: str = "words"  # what per10k counts 10,000 of (see data.word_unit)

    @property
    def is_empty(self) -> bool:
        return self.documents == 0

    def select(self, series: str, source: str = "all") -> list[TrendRow]:
        return [r for r in self.rows if r.series == series and r.source == source]

    def values(self, series: str, source: str = "all", measure: str | None = None) -> list:
        measure = measure or self.query.measure
        return [r.value(measure) for r in self.select(series, source)]

    def to_csv(self, file: str | Path | IO[str] | None = None) -> str:
        """Write the tidy long CSV (``CSV_COLUMNS``) to a path or open file; return it."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for row in self.rows:
            writer.writerow([_cell(v) for v in asdict(row).values()])
        text = buffer.getvalue()
        if isinstance(file, (str, Path)):
            Path(file).write_text(text, encoding="utf-8")
        elif file is not None:
            file.write(text)
        return text

    def to_json(self) -> str:
        return json.dumps(
            {"query": asdict(self.query), "periods": self.periods, "series": self.series,
             "sources": self.sources, "documents": self.documents, "notes": self.notes,
             "unit": self.unit,
             "excluded": self.excluded, "rows": [asdict(r) for r in self.rows]},
            ensure_ascii=False, indent=2,
        )

    def to_table(self) -> str:
        measure = self.query.measure
        head = ["period", "series", "source", "docs", "total_docs", measure]
        if measure == "share":
            head.append("90% CI")
        lines = [head]
        for r in self.rows:
            value = r.value(measure)
            percent = measure == "share" and r.series != self.query.ratio_label
            cells = [r.period, r.series, r.source, _num(r.docs), str(r.total_docs),
                     _pct(value) if percent else _num(value)]
            if measure == "share":
                cells.append(f"{_pct(r.share_low)}-{_pct(r.share_high)}"
                             if r.share_low is not None else "")
            lines.append(cells)
        widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
        return "\n".join(
            "  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in
                      enumerate(zip(line, widths, strict=True))).rstrip()
            for line in lines
        )


def rates(count: int, docs: int, total_docs: int, words: int
          ) -> tuple[float | None, float | None]:
    """(share, per10k); None where there is nothing to divide by (no tallied documents)."""
    return (docs / total_docs if total_docs else None,
            count * 10_000 / words if words else None)


def wilson(k: float, n: float, z: float = Z90) -> tuple[float | None, float | None]:
    """Wilson score interval for ``k`` successes in ``n`` trials (None, None when n = 0)."""
    if n <= 0:
        return None, None
    p, z2 = k / n, z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def trend(db: Database, query: TrendQuery, *, tally_terms: bool = True,
          max_rows: int | None = None) -> Trend:
    """Run a trend query. Raises ValueError for an unknown or ambiguous series.

    Ad-hoc ``terms`` are tallied first (a write) unless ``tally_terms`` is false: then
    only terms counted before are read (the web view), others are a ValueError. A result
    of more than ``max_rows`` rows is a ValueError before any row is built.
    """
    conn = db.conn
    notes: list[str] = []
    adhoc = {}
    if query.terms:
        adhoc = (ensure_terms(db, query.terms) if tally_terms
                 else tallied_terms(db, query.terms, notes))
    names = [name for name in dict.fromkeys([*query.series, *(query.ratio or ())])
             if name not in adhoc]
    resolved = {name: resolve_series(conn, name, query.lexicon, notes) for name in names}
    for term, series_name in adhoc.items():
        resolved[term] = resolve_series(conn, series_name)
        resolved[term].name = term
    with document_frame(
        conn, sorted({s.lexicon_id for s in resolved.values()}), query.bucket,
        query.sources, query.since, query.until, parse_wheres(query.where), query.by,
        query.all_copies, query.by_source or query.by is not None,
    ) as frame:
        raw = {name: series_counts(conn, frame, series) for name, series in resolved.items()}
    grouped = query.by_source or query.by is not None
    for name, series in resolved.items():
        for key, (count, docs) in backfilled_series_counts(conn, frame, series).items():
            have = raw[name].get(key, (0, 0))
            raw[name][key] = (have[0] + count, have[1] + docs)
    buckets = frame.buckets()
    keys = periods.span(buckets[0], buckets[-1]) if buckets else []
    sources = sorted(frame.sources)
    groups = sorted({key[2] for key in frame.totals}) if grouped else ["all"]
    if query.by is not None and groups == [NONE]:
        notes.append(f"no document has the field {query.by!r}: every document is in the"
                     f" group {NONE} (check the name: source, language, title or a meta key)")
    if max_rows is not None:
        _check_size(query, len(keys), len(resolved) + bool(query.ratio), len(groups), max_rows)
    totals = _by_group(frame.totals.items(), grouped, lambda k: (k[0], k[1]))
    rows: dict[str, list[TrendRow]] = {}
    for name, series in resolved.items():
        counts = _by_group(raw[name].items(), grouped, lambda k: (k[0],))
        rows[name] = [
            _row(counts.get((period, group), (0, 0)),
                 totals.get((series.lexicon_id, period, group), (0, 0)), period, name, group)
            for group in groups for period in keys
        ]
    output = list(query.series) + [term for term in adhoc if term not in query.series]
    if query.smooth > 1:
        for name in resolved:  # the series and the ratio's parts
            for group in groups:
                _smooth([r for r in rows[name] if r.source == group], query)
    if query.ratio:
        # numerator and denominator are smoothed first, then divided: the ratio of the
        # smoothed series, not a mean of yearly ratios
        label = query.ratio_label
        rows[label] = [_ratio(a, b, label) for a, b in
                       zip(rows[query.ratio[0]], rows[query.ratio[1]], strict=True)]
        output.append(label)
    notes.extend(frame.notes())
    if not frame.document_count:
        notes.append("no tallied documents match this query")
    return Trend(
        query=query, rows=[r for name in output for r in rows[name]], periods=keys,
        series=output, groups=groups, sources=sources, documents=frame.document_count,
        notes=notes, excluded=dict(frame.excluded_counts()),
        unit=word_unit(list(resolved.values())),
    )


def _check_size(query: TrendQuery, buckets: int, series: int, groups: int,
                most: int) -> None:
    if buckets * series * groups > most:
        raise ValueError(
            f"this trend has {buckets * series * groups:,} rows ({buckets:,} {query.bucket}"
            f" buckets x {series} series x {groups} group{'s' * (groups != 1)}), more than"
            f" the {most:,} allowed here: choose a coarser bucket, a shorter --since/--until,"
            " fewer series or fewer groups")


def _by_group(items, by_source: bool, head) -> dict[tuple, tuple[int, int]]:
    """Sum (x, y) pairs keyed (..., source) into keys (*head(key), group)."""
    out: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for key, (x, y) in items:
        cell = out[(*head(key), key[-1] if by_source else "all")]
        cell[0] += x
        cell[1] += y
    return {k: (v[0], v[1]) for k, v in out.items()}


def _row(counts: tuple[int, int], totals: tuple[int, int], period: str, name: str,
         group: str) -> TrendRow:
    (count, docs), (n, words) = counts, totals
    low, high = wilson(docs, n)
    share, per10k = rates(count, docs, n, words)
    if not n:  # no documents: not "no mentions"
        count = docs = None
    return TrendRow(
        period=period, series=name, source=group, count=count, docs=docs, total_docs=n,
        words=words, share=share, share_low=low, share_high=high, per10k=per10k,
    )


def _ratio(a: TrendRow, b: TrendRow, label: str) -> TrendRow:
    """Each measure column holds a's measure divided by b's (None where b's is 0)."""
    def div(x: float | None, y: float | None) -> float | None:
        return x / y if x is not None and y else None

    return TrendRow(
        period=a.period, series=label, source=a.source, count=div(a.count, b.count),
        docs=div(a.docs, b.docs), total_docs=a.total_docs, words=a.words,
        share=div(a.share, b.share), share_low=None, share_high=None,
        per10k=div(a.per10k, b.per10k),
    )


def _smooth(rows: list[TrendRow], query: TrendQuery) -> None:
    """Replace the measure (and, for share, its interval) by its rolling mean, in place.

    Trailing: the bucket and the ``smooth - 1`` before it. Centred: ``smooth // 2``
    before and the rest after. Near the ends, and around undefined values, the mean is
    over the buckets that have a value, as Ngram Viewer does: a bucket without tallied
    documents has no value in any measure, so it is skipped; a 0 count in a bucket that
    has documents is real and is averaged in.
    """
    n, columns = query.smooth, [query.measure]
    if query.measure == "share":
        columns += ["share_low", "share_high"]
    for column in columns:
        values = [getattr(r, column) for r in rows]
        for i, row in enumerate(rows):
            lo = i - n // 2 if query.center else i - n + 1
            window = [v for v in values[max(lo, 0): lo + n] if v is not None]
            setattr(row, column, sum(window) / len(window) if window else None)


def smoothing_label(query: TrendQuery) -> str:
    if query.smooth <= 1:
        return "none"
    return f"{query.smooth}-{query.bucket} {'centred' if query.center else 'trailing'} mean"


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 1e15 else f"{value:.10g}"
    return value


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    return str(int(value)) if float(value).is_integer() else f"{value:.4g}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


__all__ = [
    "CSV_COLUMNS", "MEASURES", "Trend", "TrendQuery", "TrendRow", "smoothing_label",
    "rates", "trend", "wilson",
]
