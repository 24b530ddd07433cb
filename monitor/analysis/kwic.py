"""Keyword in context: every counted occurrence of a series, with the words around it.

The lines come from the tally's own matcher (:meth:`Matcher.matches` with the series'
lexicon, the very file whose fingerprint the stored counts were made with), so the lines of
a term in a document are exactly its stored count. A category's lines are the occurrences of
its terms (and its sub-categories'), each distinct span once and the longest where spans
nest (:func:`monitor.lexicon.category_spans`, the rule of the stored category totals):
where the same span is matched by several terms (``militar*`` and ``military``) it is one
line naming every term, and ``security`` inside ``national security`` is no line of its own.

Candidate documents come from the stored counts, so a query reads only the documents that
mention the series. ``where`` filters (``country=CHN``) are those of ``monitor trend``;
syndicated copies are left out as trends leave them out (each cluster counts once, as its
first document) unless ``all_copies``.
"""

from __future__ import annotations

import html
import random
import re
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field

from ..lexicon import Lexicon, LexiconError, Matcher, category_spans, resolve_lexicon
from ..store import Database
from ..text import WORD_RE
from ..trends.data import resolve_series
from ..trends.filters import parse_wheres, where_sql
from .output import render
from .select import bounds, check_sources, copies_note, read_texts

_SPACE = re.compile(r"\s+")
_MATCHERS: dict[tuple[str, str], Matcher] = {}


@dataclass
class KwicQuery:
    series: list[str]
    lexicon: str | None = None
    sources: list[str] = field(default_factory=list)
    since: str | None = None
    until: str | None = None
    where: list[str] = field(default_factory=list)  # filters: 'country=CHN'
    all_copies: bool = False  # lines of every syndicated copy, not each cluster's first
    width: int = 8  # words (CJK: characters) on each side
    limit: int | None = 50  # lines; None for all
    sample: int | None = None  # this many matching documents, drawn at random
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.series:
            raise ValueError("name at least one series (a term, a category, lexicon:name)")
        self.where = [str(w) for w in parse_wheres(self.where)]
        if self.width < 0:
            raise ValueError("--width must be 0 or more")
        if self.sample is not None and self.sample < 1:
            raise ValueError("--sample must be at least 1")


@dataclass
class KwicLine:
    series: str
    document_id: int
    source: str
    published: str | None
    title: str | None
    link: str  # the URL, else the source's id for the document
    term: str  # the term(s) whose match this is, ' | '-joined for a shared span
    start: int  # character offsets in the stored text
    end: int
    left: str
    keyword: str
    right: str


@dataclass
class Kwic:
    query: KwicQuery
    lines: list[KwicLine]
    documents: int  # documents mentioning the series (within the filters)
    occurrences: int | None  # all lines, when every candidate was read
    notes: list[str] = field(default_factory=list)

    def render(self, fmt: str) -> str:
        if fmt == "html":
            return self.to_html()
        columns = ["published", "source", "left", "keyword", "right", "link"]
        payload = {"query": asdict(self.query), "documents": self.documents,
                   "occurrences": self.occurrences, "notes": self.notes}
        if fmt == "table":
            return _table(self.lines)
        return render(fmt, self.lines, KwicLine, columns, (), payload)

    def to_html(self) -> str:
        """A self-contained ``<table class="kwic">``: for reports and the web view."""
        rows = []
        for line in self.lines:
            link = html.escape(line.link)
            cell = f'<a href="{link}">{link}</a>' if line.link.startswith("http") else link
            rows.append(
                f"<tr><td>{html.escape(line.published or '')}</td>"
                f"<td>{html.escape(line.source)}</td>"
                f'<td class="left">{html.escape(line.left)}</td>'
                f'<td class="keyword"><mark title="{html.escape(line.term)}">'
                f"{html.escape(line.keyword)}</mark></td>"
                f'<td class="right">{html.escape(line.right)}</td><td>{cell}</td></tr>')
        head = ("<tr><th>date</th><th>source</th><th>left</th><th>keyword</th><th>right</th>"
                "<th>document</th></tr>")
        style = ("<style>table.kwic td.left{text-align:right}"
                 "table.kwic td.keyword{text-align:center;font-weight:bold}</style>")
        return f'{style}<table class="kwic">{head}{"".join(rows)}</table>'


def kwic(db: Database, query: KwicQuery, lexicons: Sequence[Lexicon] = (),
         document_ids: Collection[int] | None = None) -> Kwic:
    """The query's lines, oldest documents first (or ``sample`` documents at random).

    ``lexicons`` are used for the series' lexicon when given, else it is found by name in
    the lexicon folders (or at the path it was tallied from). ``document_ids`` keeps only
    those documents (the web view's documents behind one point of a trend). ValueError on
    an unknown series or source, or when the lexicon changed since it was tallied.
    """
    conn = db.conn
    check_sources(conn, query.sources)
    low, high = bounds(query.since, query.until)
    notes: list[str] = []
    plans = []
    for name in query.series:
        series = resolve_series(conn, name, query.lexicon, notes)
        matcher = _matcher(conn, series.lexicon, lexicons)
        index = {(t.category, t.label): i for i, (_, t) in enumerate(matcher.terms)}
        terms = dict(conn.execute(
            f"SELECT id, category || char(0) || label FROM terms WHERE id IN"
            f" ({','.join('?' * len(series.term_ids))})", series.term_ids))
        indices = {index[tuple(terms[t].split("\0"))]: t for t in series.term_ids}
        category = None
        if series.kind == "category":
            (path,) = conn.execute("SELECT path FROM categories WHERE id = ?",
                                   (series.category_id,)).fetchone()
            category = matcher.categories.index((series.lexicon, path))
        plans.append((series, matcher, indices, category))
    candidates = _candidates(conn, [tid for s, *_ in plans for tid in s.term_ids], query,
                             low, high, notes)
    if document_ids is not None:
        candidates = [c for c in candidates if c[0] in document_ids]
    documents = len(candidates)
    chosen = sorted(candidates, key=lambda d: (d[2] or "", d[0]))
    if query.sample is not None and len(chosen) > query.sample:
        chosen = sorted(random.Random(query.seed).sample(chosen, query.sample),
                        key=lambda d: (d[2] or "", d[0]))
    chosen = _titled(conn, chosen)
    lines: list[KwicLine] = []
    complete = True
    for (doc_id, source, published, title, link), text in zip(
            chosen, read_texts(conn, [d[0] for d in chosen]), strict=True):
        found: dict[int, list] = {}  # one scan per matcher, however many series use it
        for series, matcher, indices, category in plans:
            if id(matcher) not in found:
                found[id(matcher)] = matcher.matches(text)
            for start, end, terms in _spans(matcher, found[id(matcher)], indices, category):
                left, right = _context(text, start, end, query.width)
                lines.append(KwicLine(
                    series.name, doc_id, source, published, title, link,
                    " | ".join(matcher.terms[i][1].label for i in terms), start, end, left,
                    _SPACE.sub(" ", text[start:end]), right))
        if query.limit is not None and len(lines) >= query.limit:
            complete = doc_id == chosen[-1][0]
            break
    occurrences = len(lines) if complete else None
    if query.limit is not None and len(lines) > query.limit:
        lines = lines[: query.limit]
    if not candidates:
        notes.append("no tallied document mentions the series within the filters")
    return Kwic(query, lines, documents, occurrences, notes)


def _matcher(conn, name: str, lexicons: Sequence[Lexicon]) -> Matcher:
    """The matcher of the lexicon ``name`` as it was tallied (same fingerprint)."""
    stored, path = conn.execute(
        "SELECT fingerprint, path FROM lexicons WHERE name = ?", (name,)).fetchone()
    lexicon = next((lex for lex in lexicons if lex.name == name), None)
    if lexicon is None:
        try:
            lexicon = resolve_lexicon(name)
        except LexiconError:
            if not path:
                raise ValueError(f"lexicon {name!r} is not in the lexicon folders") from None
            lexicon = resolve_lexicon(path)
    if lexicon.fingerprint != stored:
        raise ValueError(f"lexicon {name!r} changed since it was tallied: run monitor tally,"
                         " so that the lines match the stored counts")
    key = (name, stored)
    if key not in _MATCHERS:
        if len(_MATCHERS) > 16:
            _MATCHERS.clear()
        _MATCHERS[key] = Matcher([lexicon])
    return _MATCHERS[key]


def _candidates(conn, term_ids: list[int], query: KwicQuery, low, high,
                notes: list[str]) -> list[tuple]:
    """(id, source, published) of the documents whose stored counts mention the terms,
    within the filters. Unless ``all_copies``, a syndicated copy is left out when its
    cluster has an earlier document within the filters (mentioning the terms or not), as
    trends count each cluster once, as its first document. Only what the index on dates
    holds is read (``documents_frame``), never the rows with their text."""
    import json

    from ..trends import periods

    base = " FROM documents d JOIN sources s ON s.id = d.source_id WHERE 1"
    args: list = []
    if query.sources:
        base += f" AND s.name IN ({','.join('?' * len(query.sources))})"
        args += query.sources
    condition, condition_args = where_sql(parse_wheres(query.where))
    base += condition
    args += condition_args
    bounded = bool(query.since or query.until)
    if bounded:  # a partial date sorts before its days: the year of ``low`` bounds it
        base += " AND d.published >= ? AND d.published <= ?"
        args += [f"{low.year:04d}" if query.since else "", high.isoformat()]

    def inside(published: str | None) -> bool:
        if not bounded:
            return True
        if published is None:
            return False
        first, last = periods.date_bounds(published)
        return low <= first and last <= high

    marks = ",".join("?" * len(term_ids))
    # within dates, each document of the range is looked up in the terms' counts; else
    # the terms' rows are read once
    mentions = (f"EXISTS (SELECT 1 FROM counts c WHERE c.term_id IN ({marks})"
                " AND c.document_id = d.id)" if bounded else
                f"d.id IN (SELECT document_id FROM counts WHERE term_id IN ({marks}))")
    found = [row for row in conn.execute(
        f"SELECT d.id, s.name, d.published, coalesce(d.cluster_id, d.id){base}"
        f" AND {mentions} ORDER BY d.id", [*args, *term_ids]) if inside(row[2])]
    if query.all_copies:
        return [row[:3] for row in found]
    first: dict[int, int] = {}
    for doc_id, cluster, published in conn.execute(
            f"SELECT d.id, d.cluster_id, d.published{base} AND d.cluster_id IN"
            " (SELECT value FROM json_each(?)) ORDER BY d.id",
            [*args, json.dumps(sorted({row[3] for row in found}))]):
        if cluster not in first and inside(published):
            first[cluster] = doc_id
    kept = [row[:3] for row in found if first.get(row[3], row[0]) == row[0]]
    if len(kept) < len(found):
        notes.append(copies_note(len(found) - len(kept)))
    return kept


def _titled(conn, chosen: list[tuple]) -> list[tuple]:
    """(id, source, published, title, link) of the chosen documents, in their order."""
    import json

    found = {doc_id: (title, link) for doc_id, title, link in conn.execute(
        "SELECT id, title, coalesce(url, external_id, '') FROM documents"
        " WHERE id IN (SELECT value FROM json_each(?))", (json.dumps([c[0] for c in chosen]),))}
    return [(*c, *found[c[0]]) for c in chosen]


def _spans(matcher: Matcher, matches, indices: dict[int, int], category: int | None):
    """(start, end, matcher term indices) of the series' lines in one document: a term's
    matches, or a category's spans by :func:`monitor.lexicon.category_spans` (the rule its
    stored totals are counted by), each naming the terms that matched it."""
    mine = [m for m in matches if m.term in indices]
    if category is None:
        return [(m.start, m.end, [m.term]) for m in mine]
    by_span: dict[tuple[int, int], list[int]] = {}
    for m in mine:
        by_span.setdefault((m.start, m.end), []).append(m.term)
    spans = category_spans(matcher, mine).get(category, [])
    return [(s, e, by_span[s, e]) for s, e in spans]


def _context(text: str, start: int, end: int, width: int) -> tuple[str, str]:
    """``width`` words before and after (each CJK character is a word), spaces folded."""
    if width == 0:
        return "", ""
    window = max(200, width * 40)
    before = text[max(0, start - window): start]
    words = list(WORD_RE.finditer(before))
    left = before[words[-width].start():] if len(words) >= width else before
    after = text[end: end + window]
    words = list(WORD_RE.finditer(after))
    right = after[: words[width - 1].end()] if len(words) >= width else after
    return _SPACE.sub(" ", left).strip(), _SPACE.sub(" ", right).strip()


def _table(lines: Sequence[KwicLine]) -> str:
    if not lines:
        return "(no lines)"
    lw = max(len(line.left) for line in lines)
    kw = max(len(line.keyword) for line in lines)
    out = []
    for line in lines:
        where = f"{line.published or 'undated'} {line.source} {line.link}"
        out.append(f"{line.left.rjust(lw)}  {line.keyword.center(kw)}  {line.right}  [{where}]")
    return "\n".join(out)
