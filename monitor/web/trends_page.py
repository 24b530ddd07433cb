"""The Trends page (form, chart, table, downloads) and the Contexts page behind each point."""

from __future__ import annotations

import html
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from markupsafe import Markup

from ..analysis import KwicQuery, kwic
from ..report import load_events
from ..report.charts import chart
from ..store import Database
from ..trends import (
    BUCKETS,
    CSV_COLUMNS,
    MEASURES,
    Trend,
    adhoc_lexicon,
    parse_wheres,
    periods,
    tallied_terms,
    trend,
)
from ..trends.data import resolve_series
from ..trends.filters import COLUMNS
from ..trends.frame import document_frame
from ..trends.series import _cell
from .forms import KINDS, FormError, TrendForm
from .pages import SECURITY_HEADERS, TooSlow, page, read, web_config

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8",
                 "svg": "image/svg+xml", "png": "image/png"}
CONTEXT_LIMIT = 200  # documents listed
KWIC_LIMIT = 300  # keyword-in-context lines shown
FIELD_SAMPLE = 5000  # documents whose meta keys the --by and --where fields suggest
PAGE_ROWS = 10_000  # rows of a trend the page (table and chart) or a PNG/SVG shows
DOWNLOAD_ROWS = 200_000  # rows of a CSV or JSON download
PANELS = 24  # chart panels (sources or --by groups)
NO_CHOICES = {"series": [], "lexicons": [], "sources": [], "terms": [], "fields": []}


async def trends(datasette, request):
    """``/-/trends?series=...``: the form; with a series, the chart and its table."""
    config = web_config(datasette)
    context = {"choices": NO_CHOICES, "buckets": BUCKETS, "measures": MEASURES,
               "kinds": KINDS, "events_files": [e.stem for e in config.events],
               "error": None, "result": None, "form": TrendForm()}
    try:
        context["choices"] = await read(datasette, _choices)
        form = TrendForm.from_args(request.args)
        context["form"] = form
        pairs = parse_qsl(request.query_string, keep_blank_values=True)
        if not form.is_blank and any(not value for _, value in pairs):
            from datasette.utils.asgi import Response  # the form's blank fields: a clean URL

            return Response.redirect(request.path + "?" + form.query_string())
        if not form.is_blank:
            query = form.query()
            events = _events(config.events, form.events)
            base = datasette.urls.path("/-/contexts")

            def links(series: str, group: str, period: str) -> str:
                return base + "?" + _context_args(form, series, group, period)

            def work(db: Database) -> tuple[Trend, str]:
                result = read_trend(db, query, PAGE_ROWS)
                if len(result.groups) > PANELS:  # the table and downloads, not the chart
                    result.notes.append(_too_many_panels(result))
                    return result, ""
                return result, _svg(result, form.kind, events, links)

            result, svg = await read(datasette, work)
            context["result"] = _table(result, form, base)
            context["svg"] = Markup(svg)
            context["query_string"] = form.query_string()
            context["notes"] = result.notes
    except (FormError, ValueError, TooSlow) as exc:
        context["error"] = str(exc)
    return await page(datasette, request, "monitor_trends.html", context,
                      status=400 if context["error"] else 200)


async def download(datasette, request):
    """``/-/trends.csv|json|svg|png?...``: the same query as a file."""
    fmt = request.url_vars["format"]
    config = web_config(datasette)
    try:
        form = TrendForm.from_args(request.args)
        query = form.query()
        events = _events(config.events, form.events)

        def work(db: Database) -> bytes:
            result = read_trend(db, query, DOWNLOAD_ROWS if fmt in ("csv", "json")
                                else PAGE_ROWS)
            if fmt == "csv":
                return result.to_csv().encode("utf-8")
            if fmt == "json":
                return result.to_json().encode("utf-8")
            return _chart_bytes(result, form.kind, events, fmt)

        body = await read(datasette, work)
    except (FormError, ValueError, TooSlow) as exc:
        from datasette.utils.asgi import Response

        return Response.text(f"error: {exc}\n", status=400, headers=SECURITY_HEADERS)
    from datasette.utils.asgi import Response

    name = "trend-" + "-".join(query.series + list(query.ratio or ()))[:60]
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
    return Response(body, content_type=CONTENT_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{safe}.{fmt}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})


async def contexts(datasette, request):
    """``/-/contexts?series=S&period=P[&group=SOURCE]&...``: the documents behind a point."""
    context = {"error": None, "docs": None}
    try:
        form = TrendForm.from_args(request.args)
        query = form.query()
        period = (request.args.get("period") or "").strip()
        group = (request.args.get("group") or "all").strip()
        if len(form.series) + len(form.terms) != 1:
            raise FormError("contexts take one series or one term")
        series = (form.series or form.terms)[0]
        if not period:
            raise FormError("period: give the bucket, e.g. 2022 or 2022-10")

        def work(db: Database) -> dict:
            return _documents(db, query, series, period, group)

        context.update(await read(datasette, work))
        context.update(series=series, period=period, group=group, where=list(query.where),
                       back=datasette.urls.path("/-/trends") + "?" + form.query_string(),
                       table_url=datasette.urls.table(web_config(datasette).name,
                                                      "documents"))
    except (FormError, ValueError, TooSlow) as exc:
        context["error"] = str(exc)
    return await page(datasette, request, "monitor_contexts.html", context,
                      status=400 if context["error"] else 200)


def read_trend(db: Database, query, max_rows: int) -> Trend:
    """The trend, read-only (ad-hoc terms must have been tallied by the CLI before) and of
    at most ``max_rows`` rows."""
    return trend(db, query, tally_terms=False, max_rows=max_rows)


def _choices(db: Database) -> dict:
    """Autocomplete: every category path (with its parents), term label and source; the
    ad-hoc terms tallied before; the document fields (columns and meta keys)."""
    lexicons: dict[str, dict[str, set[str]]] = {}
    for lexicon, category, label in db.conn.execute(
            "SELECT l.name, t.category, t.label FROM terms t JOIN lexicons l"
            " ON l.id = t.lexicon_id WHERE l.name NOT LIKE 'adhoc.%'"
            " ORDER BY l.name, t.category, t.label"):
        entry = lexicons.setdefault(lexicon, {"categories": set(), "terms": set()})
        parts = category.split("/")
        entry["categories"].update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
        entry["terms"].add(label)
    names: list[tuple[str, str]] = []
    for lexicon, entry in lexicons.items():
        names += [(c, f"category in {lexicon}") for c in sorted(entry["categories"])]
        names += [(t, f"term in {lexicon}") for t in sorted(entry["terms"])]
    for lexicon, entry in lexicons.items():
        names += [(f"{lexicon}:{c}", "category") for c in sorted(entry["categories"])]
        names += [(f"{lexicon}:{t}", "term") for t in sorted(entry["terms"])]
    sources = [row[0] for row in db.conn.execute("SELECT name FROM sources ORDER BY name")]
    terms = sorted(row[0] for row in db.conn.execute(
        "SELECT description FROM lexicons WHERE name LIKE 'adhoc.%' AND description != ''"))
    keys = [row[0] for row in db.conn.execute(
        "SELECT DISTINCT j.key FROM (SELECT meta FROM documents WHERE meta IS NOT NULL"
        f" LIMIT {FIELD_SAMPLE}) d, json_each(d.meta) j ORDER BY 1")]
    return {"series": list(dict.fromkeys(names)), "lexicons": sorted(lexicons),
            "sources": sources, "terms": terms,
            "fields": list(COLUMNS) + [k for k in keys if k not in COLUMNS]}


def _events(files: list[Path], name: str):
    if not name:
        return None
    for file in files:
        if file.stem == name:
            return load_events(file)
    known = ", ".join(f.stem for f in files) or "none (monitor serve --events FILE)"
    raise FormError(f"events: unknown events file {name!r}; known: {known}")


def _context_args(form: TrendForm, series: str, group: str, period: str) -> str:
    one = {"series": [], "terms": [series]} if series in form.terms else {
        "series": [series], "terms": []}
    pairs = form.params(**one, ratio=[], smooth="1", center=False, kind="line")
    pairs += [("period", period)] + ([("group", group)] if group != "all" else [])
    return urlencode(pairs)


def _svg(result: Trend, kind: str, events, links) -> str:
    """The chart as inline SVG: each point a link to its contexts, with its value as the
    link's ``<title>`` (the tooltip a browser shows on hover)."""
    ratio = result.query.ratio_label
    rows = {(r.series, r.source, r.period): r for r in result.rows}
    titles: dict[str, str] = {}

    def point_links(series: str, group: str, period: str) -> str | None:
        if series == ratio:
            return None
        url = links(series, group, period)
        row = rows.get((series, group, period))
        if row is not None:
            titles[html.escape(url, quote=True)] = html.escape(_hover(result, row))
        return url

    text = _chart_bytes(result, kind, events, "svg", point_links).decode("utf-8")
    text = text[text.index("<svg"):]  # inline: drop the XML declaration and doctype

    def titled(match: re.Match) -> str:
        title = titles.get(match.group(1).replace("&#x27;", "'").replace("&apos;", "'"))
        return match.group(0) + (f"<title>{title}</title>" if title else "")

    return _ANCHOR.sub(titled, text)


_ANCHOR = re.compile(r'<a xlink:href="([^"]*)"[^>]*>')


def _hover(result: Trend, row) -> str:
    """``hard_power in 1945 (Republican): 120 occurrences``: a point's value in words."""
    measure, value = result.query.measure, row.value(result.query.measure)
    where = f"{row.series} in {row.period}" + (f" ({row.source})" if row.source != "all" else "")
    if value is None:
        return f"{where}: no tallied documents"
    number = f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}"
    text = {"count": f"{number} occurrences", "docs": f"{number} documents",
            "share": f"{value:.1%} of documents",
            "per10k": f"{value:,.2f} per 10,000 {result.unit}"}[measure]
    return f"{where}: {text}"


def _too_many_panels(result: Trend) -> str:
    return (f"no chart: {len(result.groups):,} groups, and a chart draws at most {PANELS}"
            " panels (narrow them with --where; the table and CSV have them all)")


def _chart_bytes(result: Trend, kind: str, events, fmt: str, links=None) -> bytes:
    if len(result.groups) > PANELS:
        raise FormError(_too_many_panels(result))
    with tempfile.TemporaryDirectory(prefix="monitor-web-") as folder:
        path = Path(folder) / f"chart.{fmt}"
        chart(result, path, kind=kind, events=events, links=links)
        return path.read_bytes()


@dataclass
class Cell:
    text: str
    value: object


def _table(result: Trend, form: TrendForm, contexts: str) -> dict:
    """The rows as in ``monitor trend --format csv``, with a link to each point's documents."""
    rows = []
    ratio = result.query.ratio_label
    for row in result.rows:
        values = [getattr(row, column) for column in CSV_COLUMNS]
        link = None
        if row.series != ratio and row.docs:
            link = contexts + "?" + _context_args(form, row.series, row.source, row.period)
        rows.append({"cells": [Cell(str(_cell(v)), json.dumps(v)) for v in values],
                     "link": link})
    return {"columns": CSV_COLUMNS, "rows": rows, "documents": result.documents,
            "series": result.series, "measure": result.query.measure}


def _documents(db: Database, query, series: str, period: str, group: str) -> dict:
    """The documents of bucket ``period`` (and group ``group``: a source, or a value of
    the ``--by`` field) that mention ``series``: the ones its point counts."""
    conn = db.conn
    lexicons, name = [], series
    if query.terms:  # an ad-hoc term, counted before (the view is read-only)
        name = tallied_terms(db, [series])[series]
        lexicons = [adhoc_lexicon(series)]
    resolved = resolve_series(conn, name, None if lexicons else query.lexicon)
    with document_frame(conn, [resolved.lexicon_id], query.bucket, query.sources,
                        query.since, query.until, parse_wheres(query.where), query.by,
                        query.all_copies, query.by_source or query.by is not None) as frame:
        ids = frame.documents_in(conn, period, None if group == "all" else group)
        known = frame.stored_buckets(conn)
    if period not in known:
        if not known:
            raise FormError("no tallied documents match this query")
        raise FormError(f"period {period!r}: no tallied documents in that {query.bucket}"
                        f" bucket (buckets run from {known[0]} to {known[-1]})")
    tallied = len(ids)
    rows = conn.execute(
        "SELECT d.id, d.title, d.published, s.name, d.url, d.word_count, sum(c.count) AS n"
        " FROM counts c JOIN documents d ON d.id = c.document_id"
        " JOIN sources s ON s.id = d.source_id"
        " WHERE c.term_id IN (SELECT value FROM json_each(?))"
        " AND c.document_id IN (SELECT value FROM json_each(?))"
        " GROUP BY d.id ORDER BY n DESC, d.published, d.id",
        (json.dumps(resolved.term_ids), json.dumps(ids)),
    ).fetchall()
    docs = [{"id": r[0], "title": r[1] or "(untitled)", "published": r[2], "source": r[3],
             "url": r[4], "words": r[5], "count": r[6]} for r in rows[:CONTEXT_LIMIT]]
    lines, kwic_error = None, None
    if rows:
        try:
            lines = kwic(db, KwicQuery(
                [name], lexicon=None if lexicons else query.lexicon,
                sources=list(query.sources), where=list(query.where), all_copies=True,
                since=_tighter(period, query.since, first=True),
                until=_tighter(period, query.until, first=False), limit=KWIC_LIMIT),
                lexicons, document_ids=set(ids))  # the point's own documents (copies too)
        except ValueError as exc:
            kwic_error = str(exc)
    return {"docs": docs, "mentioning": len(rows), "tallied": tallied,
            "more": max(len(rows) - CONTEXT_LIMIT, 0),
            "kind": "ad-hoc term" if lexicons else resolved.kind,
            "lexicon": None if lexicons else resolved.lexicon, "kwic": lines,
            "kwic_error": kwic_error}


def _tighter(period: str, limit: str | None, *, first: bool) -> str:
    """The later start (``first``) or the earlier end of a bucket and a --since/--until."""
    if not limit:
        return period
    ours, theirs = periods.date_bounds(period), periods.date_bounds(limit)
    if first:
        return limit if theirs[0] > ours[0] else period
    return limit if theirs[1] < ours[1] else period
