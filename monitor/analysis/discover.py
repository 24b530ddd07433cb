"""Emerging and distinctive terms: words and phrases over-represented in a target set of
documents against a reference (keyness, as AntConc's keyword list or quanteda's
``textstat_keyness``).

The target is the documents in ``since``..``until`` (and ``sources``, and ``where``
filters such as ``country=CHN``). The reference is, in this order: the documents in
``reference_since``..``reference_until`` (of ``reference_sources`` and ``reference_where``,
by default the target's sources and filters); with only ``reference_sources`` or
``reference_where``, that group over the target's dates; otherwise the rest of the corpus
(of the target's sources and filters). With ``trailing=N``, every ``bucket`` period from
``since`` to ``until`` is a target on its own, against the N periods before it (temporal
keyness). Syndicated copies count once (the first document of each cluster) unless
``all_copies``.

Counting is :mod:`monitor.analysis.vectorize` (the matrix scikit-learn's
``CountVectorizer`` gives with the analyzer of :mod:`monitor.analysis.tokens`, made with
numpy over word ids); corpus sizes are the documents' stored word counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from ..lexicon import Lexicon, Matcher
from ..store import Database
from ..trends import periods
from ..trends.filters import parse_wheres
from . import keyness
from .output import render
from .select import DocumentRow, copies_note, read_texts, select_documents

SORTS = ("g2", "log_ratio", "chi2", "log_odds")


@dataclass
class DiscoverQuery:
    since: str | None = None
    until: str | None = None
    sources: list[str] = field(default_factory=list)
    reference_since: str | None = None
    reference_until: str | None = None
    reference_sources: list[str] = field(default_factory=list)
    where: list[str] = field(default_factory=list)  # filters: 'country=CHN'
    reference_where: list[str] = field(default_factory=list)  # default: ``where``
    all_copies: bool = False  # count every syndicated copy, not each cluster once
    trailing: int | None = None  # temporal keyness: each period against the N before
    bucket: str = "year"
    top: int = 50
    min_count: int = 5  # occurrences in the target a term needs
    max_p: float = 0.01  # G2's p-value a term needs (1 keeps every term)
    max_words: int = 3  # phrases of up to this many words
    sort: str = "g2"
    under: bool = False  # the most under-represented terms instead
    prior: float = 1000.0  # Monroe's prior, in pseudo-words

    def __post_init__(self) -> None:
        self.where = [str(w) for w in parse_wheres(self.where)]
        self.reference_where = [str(w) for w in parse_wheres(self.reference_where)]
        if self.sort not in SORTS:
            raise ValueError(f"sort {self.sort!r} is not one of {', '.join(SORTS)}")
        periods.check_bucket(self.bucket)
        if self.trailing is not None:
            if self.trailing < 1:
                raise ValueError("--trailing needs at least 1 period")
            if (self.reference_since or self.reference_until or self.reference_sources
                    or self.reference_where):
                raise ValueError("--trailing sets the reference (the same sources and filters"
                                 " in the trailing periods): drop the --reference-* options")
            if not (self.since and self.until):
                raise ValueError("--trailing needs --since and --until (the target periods)")
        if not 1 <= self.max_words <= 5:
            raise ValueError("--max-words must be 1 to 5")


@dataclass
class KeyTerm:
    period: str | None  # the target period in temporal keyness
    term: str
    count: int  # occurrences in the target
    ref_count: int
    docs: int  # target documents containing it
    ref_docs: int
    per10k: float
    ref_per10k: float
    g2: float
    p: float
    log_ratio: float
    chi2: float
    log_odds: float
    lexicon: str  # 'power:hard_power/security' when a lexicon term matches it whole


@dataclass
class Discovery:
    query: DiscoverQuery
    rows: list[KeyTerm]
    groups: list[dict]  # per target: period, documents and words on each side
    notes: list[str] = field(default_factory=list)

    def render(self, fmt: str) -> str:
        columns = ["term", "count", "ref_count", "per10k", "ref_per10k", "g2", "log_ratio",
                   "chi2", "lexicon"]
        if self.query.trailing:
            columns.insert(0, "period")
        numeric = columns[1:-1] if not self.query.trailing else columns[2:-1]
        payload = {"query": asdict(self.query), "groups": self.groups, "notes": self.notes}
        return render(fmt, self.rows, KeyTerm, columns, numeric, payload)


def discover(db: Database, query: DiscoverQuery,
             lexicons: Sequence[Lexicon] = ()) -> Discovery:
    """Rank the terms of the query's target against its reference (see the module doc).

    Terms matched whole by a term of ``lexicons`` are marked. ValueError on a bad range,
    an unknown source, or a target or reference without documents.
    """
    conn = db.conn
    notes: list[str] = []
    copies: list[int] = []
    if query.trailing:
        pairs, docs = _temporal_groups(conn, query, notes, copies)
    else:
        target = select_documents(conn, query.since, query.until, query.sources, query.where,
                                  query.all_copies, copies)
        reference = _reference(conn, query, {d.id for d in target}, copies)
        for name, group in (("target", target), ("reference", reference)):
            if not group:
                hint = "" if name == "target" or query.reference_where else (
                    "; to compare a group with the others, give --reference-where too"
                    if query.where else "")
                raise ValueError(f"no documents in the {name}: check the dates, sources and"
                                 f" filters (monitor sources lists them){hint}")
        pairs = [(None, target, reference)]
        docs = {d.id: d for d in [*target, *reference]}
    if copies:
        notes.append(copies_note(len(set(copies) - set(docs))))
    rows, groups = rank_pairs(conn, pairs, docs, query, lexicons)
    if not rows:
        notes.append(f"no term passes --min-count {query.min_count} and --max-p {query.max_p}")
    return Discovery(query, rows, groups, notes)


def rank_pairs(conn, pairs, docs: dict[int, DocumentRow], query: DiscoverQuery,
               lexicons: Sequence[Lexicon] = ()) -> tuple[list[KeyTerm], list[dict]]:
    """Key terms of each (period, target, reference) in ``pairs``, counted in one pass."""
    ids = sorted(docs)
    matrix, vocabulary = _count(conn, ids, query.max_words)
    row_of = {doc_id: i for i, doc_id in enumerate(ids)}
    marker = _Marker(lexicons)
    rows: list[KeyTerm] = []
    groups: list[dict] = []
    for period, target, reference in pairs:
        found = _rank(matrix, vocabulary, row_of, target, reference, query, period)
        for row in found:
            row.lexicon = marker.mark(row.term)
        rows += found
        groups.append({"period": period, "documents": len(target),
                       "words": sum(d.words for d in target),
                       "ref_documents": len(reference),
                       "ref_words": sum(d.words for d in reference)})
    return rows, groups


def _reference(conn, query: DiscoverQuery, target_ids: set[int],
               copies: list[int]) -> list[DocumentRow]:
    sources = query.reference_sources or query.sources
    where = query.reference_where or query.where
    if query.reference_since or query.reference_until:
        since, until = query.reference_since, query.reference_until
    elif query.reference_sources or query.reference_where:
        since, until = query.since, query.until
    else:
        since = until = None
    found = select_documents(conn, since, until, sources, where, query.all_copies, copies)
    return [d for d in found if d.id not in target_ids]


def _temporal_groups(conn, query: DiscoverQuery, notes: list[str], copies: list[int]):
    bucket = query.bucket
    first = periods.key_of(periods.date_bounds(query.since)[0], bucket)
    last = periods.key_of(periods.date_bounds(query.until)[1], bucket)
    start = periods.shift(first, -query.trailing, bucket)
    by_period: dict[str, list[DocumentRow]] = {}
    coarse = 0
    for doc in select_documents(conn, start, last, query.sources, query.where,
                                query.all_copies, copies):
        key = periods.bucket_key(doc.published, doc.precision, bucket)
        if key is None:
            coarse += 1
            continue
        by_period.setdefault(key, []).append(doc)
    if coarse:
        notes.append(f"{coarse} documents left out: dated too coarsely for a {bucket} bucket")
    pairs, docs = [], {}
    for key in periods.span(first, last):
        target = by_period.get(key, [])
        reference = [d for p in periods.previous(key, query.trailing)
                     for d in by_period.get(p, [])]
        if not target or not reference:
            notes.append(f"{key} skipped: no documents in it or in its {query.trailing}"
                         f" trailing {bucket}s")
            continue
        pairs.append((key, target, reference))
        docs.update({d.id: d for d in [*target, *reference]})
    if not pairs:
        raise ValueError("no period has documents both in it and in its trailing periods")
    return pairs, docs


def _count(conn, ids: list[int], max_words: int):
    from .vectorize import count_phrases

    return count_phrases(read_texts(conn, ids), max_words)


def _rank(matrix, vocabulary, row_of, target, reference, query, period) -> list[KeyTerm]:
    t_rows = np.fromiter((row_of[d.id] for d in target), dtype=np.int64)
    r_rows = np.fromiter((row_of[d.id] for d in reference), dtype=np.int64)
    t_part = matrix[t_rows]
    a = np.asarray(t_part.sum(axis=0)).ravel().astype(float)
    keep = np.flatnonzero(a >= query.min_count)
    if query.under:  # terms rarer in the target: they need the count in the reference
        r_all = np.asarray(matrix[r_rows].sum(axis=0)).ravel()
        keep = np.flatnonzero(r_all >= query.min_count)
    r_part = matrix[r_rows][:, keep]
    t_part = t_part.tocsc()
    t_part = t_part[:, keep]
    a = np.asarray(t_part.sum(axis=0)).ravel().astype(float)
    b = np.asarray(r_part.sum(axis=0)).ravel().astype(float)
    c = float(sum(d.words for d in target))
    d = float(sum(d.words for d in reference))
    # phrases are counted against the corpus's words; a rare case gives a > c
    c, d = max(c, a.max(initial=0) + 1), max(d, b.max(initial=0) + 1)
    g2 = keyness.log_likelihood(a, b, c, d)
    stats = {"g2": g2, "log_ratio": keyness.log_ratio(a, b, c, d),
             "chi2": keyness.chi2_yates(a, b, c, d),
             "log_odds": keyness.log_odds_dirichlet(a, b, c, d, query.prior)}
    p = keyness.p_value(g2)
    side = (g2 < 0) if query.under else (g2 > 0)
    chosen = np.flatnonzero(side & (p <= query.max_p))
    score = stats[query.sort][chosen]
    order = chosen[np.argsort(score if query.under else -score, kind="stable")][: query.top]
    t_docs, r_docs = t_part.getnnz(axis=0), r_part.getnnz(axis=0)
    out = []
    for i in order:
        term = str(vocabulary[keep[i]])
        out.append(KeyTerm(
            period, term, int(a[i]), int(b[i]),
            int(t_docs[i]), int(r_docs[i]), a[i] * 10_000 / c, b[i] * 10_000 / d,
            float(g2[i]), float(p[i]), float(stats["log_ratio"][i]),
            float(stats["chi2"][i]), float(stats["log_odds"][i]), ""))
    return out


class _Marker:
    """Which lexicon term, if any, matches a discovered term whole."""

    def __init__(self, lexicons: Sequence[Lexicon]) -> None:
        self.matcher = Matcher(list(lexicons)) if lexicons else None

    def mark(self, text: str) -> str:
        if self.matcher is None:
            return ""
        found = []
        for m in self.matcher.matches(text):
            if m.start == 0 and m.end == len(text):
                name, term = self.matcher.terms[m.term]
                found.append(f"{name}:{term.category}")
        return ", ".join(dict.fromkeys(found))
