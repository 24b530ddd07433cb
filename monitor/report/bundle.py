"""The periodic report: ``reports/<period-id>/`` with charts, CSVs, ``summary.md``, ``index.html``.

The period's terms are compared with a trailing baseline: a term's measure (per 10,000
words, or share of documents; ``compare`` in the config) in the period against its mean
over the ``baseline`` previous periods that have tallied documents. Risers and fallers are
ranked by the difference. A re-run builds the bundle in a hidden folder beside the old one
and swaps it in with renames, so a crash never leaves a half-written report.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path

from ..store import Database, process_alive
from ..trends import periods
from ..trends.adhoc import is_adhoc
from ..trends.backfilled import backfilled_dates, backfilled_term_counts, merge_term_counts
from ..trends.data import lexicon_ids, resolve_series, term_counts, top_categories
from ..trends.frame import document_frame
from ..trends.series import MEASURES, Trend, TrendQuery, rates, trend
from .caveats import few_documents, share_cell, warned
from .config import ChartSpec, Config, ConfigError, load_config
from .health import source_health
from .insights import analysis_sections
from .render import Section, render_html, render_markdown, write_csv

SPAN = {"day": 60, "week": 26, "month": 24, "quarter": 12, "year": 20, "decade": 10}
"""How many buckets back a chart shows by default."""


@dataclass
class TermRow:
    """One term in the report period, against its baseline (None: no baseline documents)."""

    lexicon: str
    category: str
    term: str
    count: int
    docs: int
    total_docs: int
    words: int
    share: float | None
    per10k: float | None
    baseline_count: int
    baseline_mean: float | None
    change: float | None


def resolve_period(db: Database, kind: str, for_: str | None = None,
                   today: date | None = None) -> str:
    """The period id to report: ``for_``, 'latest' (with documents) or the last complete."""
    periods.check_bucket(kind)
    if for_ is None:
        return periods.last_complete(kind, today)
    if for_ == "latest":
        found = _latest(db, kind)
        if found is None:
            raise ValueError(f"no tallied documents dated to the {periods.NEEDS[kind]}:"
                             f" nothing to report by {kind}")
        return found
    found = periods.kind(for_)
    if found != kind:
        raise ValueError(f"--for {for_} is a {found}, not a {kind}: pass --period {found}")
    return for_


_TALLIED = ("EXISTS (SELECT 1 FROM lexicons l CROSS JOIN tallied t ON t.lexicon_id = l.id"
            " AND t.document_id = d.id)")
"""A document ``d`` is tallied for some lexicon (``tallied`` is keyed by lexicon first)."""


def _latest(db: Database, kind: str) -> str | None:
    """The latest ``kind`` period holding a tallied (or backfilled) document: the stored
    dates are read from their index and tried latest first."""
    dates: dict[str, list[tuple[str, str]]] = {}
    for published, precision in db.conn.execute(
            "SELECT DISTINCT published, precision FROM documents WHERE published IS NOT NULL"):
        key = periods.bucket_key(published, precision, kind)
        if key is not None:
            dates.setdefault(key, []).append((published, precision))
    backfilled = {periods.bucket_key(p, q, kind)
                  for _, p, q, _ in backfilled_dates(db.conn) if p is not None}
    backfilled.discard(None)
    for key in sorted(dates.keys() | backfilled, key=periods.start, reverse=True):
        if key in backfilled or any(db.conn.execute(
                "SELECT 1 FROM documents d WHERE d.published = ? AND d.precision = ?"
                f" AND {_TALLIED} LIMIT 1", pair).fetchone() for pair in dates[key]):
            return key
    return None


def chart_query(spec: ChartSpec, key: str, sources: list[str] | None = None) -> TrendQuery:
    """The trend behind a configured chart: ``span`` buckets up to the end of period ``key``."""
    bucket = spec.bucket or periods.kind(key)
    last = periods.key_of(periods.end(key), bucket)
    first = periods.shift(last, -((spec.span or SPAN[bucket]) - 1), bucket)
    return TrendQuery(
        series=spec.series, bucket=bucket, measure=spec.measure,
        sources=spec.sources or sources or (), lexicon=spec.lexicon,
        since=periods.start(first, bucket).isoformat(), until=periods.end(key).isoformat(),
        by_source=spec.by_source, smooth=spec.smooth, center=spec.center,
        ratio=tuple(spec.ratio) if spec.ratio else None, where=tuple(spec.where), by=spec.by,
    )


def shared_trend(db: Database, query: TrendQuery, done: dict[str, Trend]) -> Trend:
    """The trend of ``query``, computed once per report for the charts that differ only in
    their measure: every row holds all four measures, and only smoothing (of the chart's
    measure) makes them differ."""
    key = repr(replace(query, measure=MEASURES[0]) if query.smooth == 1 else query)
    if key not in done:
        done[key] = trend(db, query)
    return replace(done[key], query=query)


def default_charts(db: Database) -> list[ChartSpec]:
    """Per lexicon: its top-level categories' share, and their rate per 10,000 words."""
    specs = []
    for name, lexicon_id in lexicon_ids(db.conn).items():
        if is_adhoc(name):  # a --term query's, not a lexicon of the user's
            continue
        top = top_categories(db.conn, lexicon_id)
        if top:
            series = [f"{name}:{category}" for category in top]
            specs += [ChartSpec(series=series, measure=m, title=f"{name}: {label}")
                      for m, label in (("share", "share of documents mentioning each category"),
                                       ("per10k", "mentions per 10,000 words"))]
    return specs


def build_report(db: Database, period: str | None = None, for_: str | None = None,
                 out: str | os.PathLike[str] = "reports",
                 config: Config | str | os.PathLike[str] | None = None,
                 today: date | None = None) -> Path:
    """Write (or rewrite) the bundle for one period; return its folder.

    ``period`` defaults to the config's; ``for_`` is a period id, 'latest' or None (the
    last complete period before ``today``). Raises ConfigError for a bad config or a
    chart series the database does not know, ValueError for a bad period.
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    kind = period or cfg.period
    key = resolve_period(db, kind, for_, today)
    specs = cfg.charts or default_charts(db)
    events = _check_config(db, cfg, specs)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    final = out / key
    clean_stale(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.tmp-{os.getpid()}-", dir=out))
    try:
        _write_bundle(db, cfg, kind, key, specs, events, tmp)
        os.chmod(tmp, 0o755)
        _swap(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _check_config(db: Database, cfg: Config, specs: list[ChartSpec]) -> dict[Path, list]:
    """Check what the config names against the database before anything is written;
    return its events files, loaded. Errors name the config key."""
    from .charts import load_events

    where = cfg.path or "report config"
    sources = {name for (name,) in db.conn.execute("SELECT name FROM sources")}
    lexicons = lexicon_ids(db.conn)
    events: dict[Path, list] = {}
    keyed = [("report", cfg.sources, None, [], cfg.events)] + [
        (f"report.charts[{i}]", s.sources, s.lexicon, [*s.series, *(s.ratio or [])], s.events)
        for i, s in enumerate(specs, 1)]
    for key, names, lexicon, series, path in keyed:
        unknown = [name for name in names if name not in sources]
        if unknown:
            raise ConfigError(f"{where}: {key}.sources: unknown source {unknown[0]!r}; known: "
                              f"{', '.join(sorted(sources)) or 'none'}")
        if lexicon is not None and lexicon not in lexicons:
            raise ConfigError(f"{where}: {key}.lexicon: unknown lexicon {lexicon!r}; known: "
                              f"{', '.join(lexicons) or 'none (tally first)'}")
        for name in series:
            try:
                resolve_series(db.conn, name, lexicon)
            except ValueError as exc:
                raise ConfigError(f"{where}: {key}.series: {exc}") from None
        if path is not None and path not in events:
            try:
                events[path] = load_events(path)
            except ValueError as exc:
                raise ConfigError(f"{where}: {key}.events: {exc}") from None
    return events


_STALE = re.compile(r"\.(?P<key>.+)\.(?P<kind>tmp|old)-(?:(?P<pid>\d+)-)?[^-]+")


def clean_stale(out: Path) -> None:
    """Remove the hidden folders of report runs that died (``.<period>.tmp-<pid>-*``),
    and put back a bundle renamed aside (``.<period>.old-<pid>-*``) by a run killed
    between its two renames. Folders of live runs are left alone; ones named without a
    pid (older versions) once they are an hour old."""
    for entry in out.iterdir():
        found = _STALE.fullmatch(entry.name)
        if not found or not entry.is_dir():
            continue
        if found["pid"] is not None:
            if process_alive(int(found["pid"])):
                continue
        elif time.time() - entry.stat().st_mtime < 3600:
            continue
        final = out / found["key"]
        if found["kind"] == "old" and not final.exists():
            os.replace(entry, final)
        else:
            shutil.rmtree(entry, ignore_errors=True)


def _swap(tmp: Path, final: Path) -> None:
    """Put ``tmp`` at ``final``. A directory cannot be os.replace'd over a non-empty one,
    so the old bundle is first renamed aside; until the second rename it is complete."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}-{id(tmp)}")
        os.replace(final, old)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def term_rows(db: Database, key: str, baseline: int, sources: list[str],
              compare: str) -> tuple[list[TermRow], list[str], list[str]]:
    """Every term counted in the period or its baseline; also the baseline ids and notes."""
    kind = periods.kind(key)
    base = periods.previous(key, baseline)
    lex = lexicon_ids(db.conn)
    with document_frame(db.conn, list(lex.values()), kind, sources,
                        since=base[0] if base else key, until=key) as frame:
        counts = merge_term_counts(term_counts(db.conn, frame),
                                   backfilled_term_counts(db.conn, frame))
    totals: dict[tuple[int, str], list[int]] = {}
    for (lexicon_id, bucket, _source), (n, words) in frame.totals.items():
        cell = totals.setdefault((lexicon_id, bucket), [0, 0])
        cell[0] += n
        cell[1] += words
    by_term: dict[tuple, dict[str, tuple[int, int]]] = {}
    for c in counts:
        by_term.setdefault((c.lexicon, c.lexicon_id, c.category, c.term), {})[c.period] = (
            c.count, c.docs)

    which = 0 if compare == "share" else 1
    rows = []
    for (lexicon, lexicon_id, category, term), cells in by_term.items():
        n, words = totals.get((lexicon_id, key), (0, 0))
        count, docs = cells.get(key, (0, 0))
        share, per10k = rates(count, docs, n, words)
        values = [v for b in base if (v := rates(*cells.get(b, (0, 0)),
                                                 *totals.get((lexicon_id, b), (0, 0)))[which])
                  is not None]
        mean = sum(values) / len(values) if values else None
        now = (share, per10k)[which]
        rows.append(TermRow(
            lexicon, category, term, count, docs, n, words, share, per10k,
            sum(cells.get(b, (0, 0))[0] for b in base), mean,
            None if mean is None or now is None else now - mean,
        ))
    rows.sort(key=lambda r: (-r.count, r.lexicon, r.term))
    return rows, base, frame.notes()


def source_counts(db: Database, key: str, sources: list[str]) -> list[tuple[str, int, int]]:
    """(source, documents dated in the period, of which tallied for any lexicon)."""
    kind = periods.kind(key)
    first, last = periods.date_bounds(key)
    result: dict[str, list[int]] = {}
    for name, published, precision, tallied in db.conn.execute(
        f"SELECT s.name, d.published, d.precision, {_TALLIED}"
        " FROM documents d JOIN sources s ON s.id = d.source_id"
        " WHERE d.published >= ? AND d.published <= ?",
        (first.isoformat()[:4], last.isoformat()),
    ):
        if (not sources or name in sources) and periods.bucket_key(
                published, precision, kind) == key:
            cell = result.setdefault(name, [0, 0])
            cell[0] += 1
            cell[1] += tallied
    for name, published, precision, n in backfilled_dates(db.conn):
        if (not sources or name in sources) and published is not None and periods.bucket_key(
                published, precision, kind) == key:
            cell = result.setdefault(name, [0, 0])
            cell[0] += n
            cell[1] += n
    return [(name, n, t) for name, (n, t) in sorted(result.items())]


def _plural(n: int, word: str) -> str:
    return word if n == 1 else word + "s"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower())[:40].strip("-") or "chart"


def _write_bundle(db: Database, cfg: Config, kind: str, key: str, specs: list[ChartSpec],
                  events: dict[Path, list], folder: Path) -> None:
    from .charts import default_title
    from .drawing import ChartDrawer

    rows, base, notes = term_rows(db, key, cfg.baseline, cfg.sources, cfg.compare)
    by_source = source_counts(db, key, cfg.sources)
    health = source_health(db, key, cfg.baseline, cfg.sources)
    charts = []
    trends: dict[str, Trend] = {}
    with ChartDrawer(len(specs)) as drawer:  # each chart drawn while the next is read
        for i, spec in enumerate(specs, 1):
            result = shared_trend(db, chart_query(spec, key, cfg.sources), trends)
            title = spec.title or default_title(result, spec.label)
            stem = f"chart-{i:02d}-{_slug(title)}"
            path = spec.events or cfg.events
            drawer.draw(result, folder / f"{stem}.png", spec.kind, title,
                        events[path] if path else None, spec.label)
            result.to_csv(folder / f"{stem}.csv")
            charts.append((title, f"{stem}.png", f"{stem}.csv"))
        _write_pages(db, cfg, kind, key, (rows, base, notes, by_source, health), charts, folder)


def _write_pages(db: Database, cfg: Config, kind: str, key: str, tables: tuple,
                 charts: list[tuple[str, str, str]], folder: Path) -> None:
    """The CSV tables, ``summary.md`` and ``index.html`` (while the charts are drawn)."""
    rows, base, notes, by_source, health = tables
    first, last = periods.date_bounds(key)
    write_csv(folder / "terms.csv", _TERM_COLUMNS(cfg.compare),
              [[r.lexicon, r.category, r.term, r.count, r.docs, r.total_docs, r.words, r.share,
                r.per10k, r.baseline_count, r.baseline_mean, r.change] for r in rows])
    write_csv(folder / "sources.csv", ["source", "documents", "tallied"], by_source)
    write_csv(folder / "health.csv", ["source", "documents", f"usual_per_{kind}", "failures",
                                      "last_error", "warning"],
              [[h.source, h.documents, h.usual, h.failures, h.last_error, h.warning]
               for h in health])
    total = sum(n for _, n, _ in by_source)
    title = f"Rhetoric monitor: {periods.label(key)}"
    intro = [
        f"Period {key} ({first} to {last}): {total:,} {_plural(total, 'document')} from"
        f" {len(by_source)} {_plural(len(by_source), 'source')}.",
        f"Baseline: the {len(base)} {kind}s {base[0]} to {base[-1]}." if base else "",
        f"Generated {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.",
    ]
    if periods.end(key) >= date.today():
        notes.insert(0, f"{key} is not over yet: it ends on {periods.end(key)}.")
    if few_documents(total, key):
        notes.insert(0, few_documents(total, key) + ".")
    if not total:
        notes.insert(0, f"No documents are dated in {key}. For a historical corpus pass"
                        f" --for latest (the latest {kind} with documents) or --for <{kind} id>.")
    notes[:0] = [f"Source {h.source}: {h.warning}." for h in health if h.warning]
    analysis = analysis_sections(db, cfg, kind, key, rows, folder)
    sections = _sections(cfg, kind, key, rows, by_source, charts, folder)
    sections[1:1] = analysis
    sections.insert(1, Section(
        "Source health", f"Documents per source this {kind} against its usual number (mean"
        f" over the {cfg.baseline} previous {kind}s, empty ones counted as 0); a source far"
        " below its usual is flagged, so a dead feed does not read as a fall in mentions.",
        ["source", "documents", "usual", "fetch failures", "warning"],
        [[h.source, str(h.documents), "-" if h.usual is None else f"{h.usual:.1f}",
          str(h.failures), h.warning or ""] for h in health]))
    (folder / "summary.md").write_text(render_markdown(title, intro, sections, notes),
                                       encoding="utf-8")
    (folder / "index.html").write_text(render_html(title, intro, sections, notes),
                                       encoding="utf-8")


def _TERM_COLUMNS(compare: str) -> list[str]:
    return ["lexicon", "category", "term", "count", "docs", "total_docs", "words", "share",
            "per10k", "baseline_count", f"baseline_mean_{compare}", f"change_{compare}"]


def _sections(cfg: Config, kind: str, key: str, rows: list[TermRow], by_source: list,
              charts: list, folder: Path) -> list[Section]:
    unit = "per 10k words" if cfg.compare == "per10k" else "share of documents"
    fmt = (lambda v: "-" if v is None else f"{v:.2f}") if cfg.compare == "per10k" else (
        lambda v: "-" if v is None else f"{100 * v:.1f}%")
    cols = ["term", "lexicon", "category"]

    def line(r: TermRow) -> list[str]:
        return [r.term, r.lexicon, r.category]

    risers = sorted((r for r in rows if r.change is not None and r.change > 0
                     and r.count >= cfg.min_count), key=lambda r: -r.change)[: cfg.top]
    fallers = sorted((r for r in rows if r.change is not None and r.change < 0
                      and r.baseline_count >= cfg.min_count), key=lambda r: r.change)[: cfg.top]
    new = [r for r in rows if r.count and r.baseline_mean is not None and not r.baseline_count]
    compared = [*cols, f"{unit} now", "baseline mean", "change"]
    rule = (f"Rule: a term's {unit} this {kind} minus its mean over the {cfg.baseline}"
            f" previous {kind}s that have tallied documents (the others are skipped);"
            f" ranked by that difference. Risers need at least {cfg.min_count} occurrences"
            f" this {kind}, fallers at least {cfg.min_count} in the baseline in all.")
    return [
        Section("Documents by source", "Documents dated in the period; tallied = counted"
                " for at least one lexicon.", ["source", "documents", "tallied"],
                [[s, str(n), str(t)] for s, n, t in by_source]),
        Section(f"Top {cfg.top} terms", warned(rows, key, f"By occurrences this {kind}."),
                [*cols, "occurrences", "documents", "per 10k words", "share of documents"],
                [[*line(r), str(r.count), str(r.docs), f"{r.per10k:.2f}", share_cell(r, key)]
                 for r in rows if r.count][: cfg.top]),
        Section("Biggest risers", warned(rows, key, rule), compared,
                [[*line(r), fmt(r.baseline_mean + r.change), fmt(r.baseline_mean),
                  "+" + fmt(r.change)] for r in risers]),
        Section("Biggest fallers", warned(rows, key, "Same rule, most negative difference"
                " first."), compared,
                [[*line(r), fmt(r.baseline_mean + r.change), fmt(r.baseline_mean),
                  fmt(r.change)] for r in fallers]),
        Section("New terms", f"Counted this {kind}, never in the baseline (listed only"
                " when the baseline has tallied documents).", [*cols, "occurrences"],
                [[*line(r), str(r.count)] for r in new][: cfg.top]),
        Section("Charts", "" if charts else "No charts: no lexicon has been tallied yet.",
                [], [], images=charts),
        Section("Files", "Everything in this folder.", ["file"],
                [[(name, name)] for name in sorted(  # the charts may still be being drawn
                    {p.name for p in folder.iterdir()} | {png for _, png, _ in charts}
                    | {"summary.md", "index.html"})]),
    ]
