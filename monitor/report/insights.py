"""The report's analysis sections: alerts, temperature tiers, keywords in context.

They come from :mod:`monitor.analysis` (``alerts``, ``tier_of``, ``kwic``; imported when a
report is built, as scikit-learn is slow to import) and are rendered with the other
sections of :mod:`monitor.report.bundle`.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from ..store import Database
from ..trends.adhoc import is_adhoc
from .caveats import share_cell, warned
from .config import Config
from .render import Section

if TYPE_CHECKING:
    from .bundle import TermRow


def _plural(n: int, word: str) -> str:
    return word if n == 1 else word + "s"


def analysis_sections(db: Database, cfg: Config, kind: str, key: str, rows: list[TermRow],
                       folder: Path) -> list[Section]:
    """The "Alerts" section (every report; also alerts.csv) and, in a yearly report, the
    terms' temperature tiers."""
    from ..analysis import AlertQuery, alerts, tier_of  # sklearn-heavy: imported when used

    try:
        found = alerts(db, AlertQuery(period=kind, for_=key, sources=list(cfg.sources)))
    except ValueError as exc:
        found = exc
        out = [Section("Alerts", f"Not tested: {exc}.", [], [])]
    else:
        (folder / "alerts.csv").write_text(found.render("csv"), encoding="utf-8")
        out = [Section(
            "Alerts", f"{len(found.active)} {_plural(len(found.active), 'alert')} among"
            f" {found.tested} series tested. Rule: EARS C2 on the share of documents"
            f" mentioning each category, against the 7 {kind}s ending 2 before this one"
            " (C2 >= 3 and at least 5 documents); suppressed when a source's volume fell.",
            ["kind", "status", "name", "documents", "C2 / ratio", "what"],
            [[a.kind, a.status, a.name, str(a.docs),
              "-" if a.score is None else f"{a.score:.1f}", a.message]
             for a in found.alerts])]
    if cfg.kwic:
        out.append(_context_section(db, cfg, key, rows, [] if isinstance(found, ValueError)
                                    else [a.name for a in found.active if a.kind == "series"],
                                    folder))
    if kind == "year":
        hot = sorted((r for r in rows if r.count), key=lambda r: -r.share)[: cfg.top]
        out.append(Section(
            "Temperature", warned(rows, key, "China Media Project style tiers by the share of"
            " documents mentioning each term this year: boiling >= 20%, hot >= 10%, warm >="
            " 5%, tepid >= 2%, cool >= 0.5%, cold below."),
            ["term", "lexicon", "category", "share of documents", "tier"],
            [[r.term, r.lexicon, r.category, share_cell(r, key), tier_of(r.share) or "-"]
             for r in hot]))
    return out


def _context_series(cfg: Config, rows: list[TermRow], alerted: list[str]) -> list[str]:
    """What to show in context: alerted series, then the biggest risers, then top terms."""
    risers = sorted((r for r in rows if r.change is not None and r.change > 0
                     and r.count >= cfg.min_count), key=lambda r: -r.change)
    top = [r for r in rows if r.count]
    names = alerted + [f"{r.lexicon}:{r.term}" for r in [*risers, *top]
                       if not is_adhoc(r.lexicon)]
    return list(dict.fromkeys(names))


def _context_section(db: Database, cfg: Config, key: str, rows: list[TermRow],
                     alerted: list[str], folder: Path) -> Section:
    """Keyword-in-context lines (``monitor kwic``) of a few series this period: one line
    from each of ``kwic_lines`` documents drawn at random (seeded), and ``kwic.html``
    with every line of those documents."""
    from ..analysis import KwicQuery, kwic

    shown, pages, notes = [], [], []
    seen: set[tuple[int, int, int]] = set()
    for name in _context_series(cfg, rows, alerted):
        if len(pages) >= cfg.kwic:
            break
        try:
            found = kwic(db, KwicQuery([name], sources=list(cfg.sources), since=key,
                                       until=key, sample=cfg.kwic_lines, seed=0, limit=None))
        except ValueError as exc:
            notes.append(f"{name}: {exc}")
            continue
        spans = {(line.document_id, line.start, line.end) for line in found.lines}
        if spans <= seen:  # a category of one term: the same lines as the term
            continue
        seen |= spans
        firsts = {line.document_id: line for line in reversed(found.lines)}
        shown += sorted(firsts.values(), key=lambda line: (line.published or "",
                                                            line.document_id))
        pages.append(f"<h2>{html.escape(name)}</h2><p>{len(found.lines)} lines in"
                     f" {len(firsts)} of the {found.documents} documents mentioning it"
                     f" in {html.escape(key)}</p>{found.to_html()}")
    if pages:
        (folder / "kwic.html").write_text(
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>In context:'
            f" {html.escape(key)}</title></head><body><h1>Keyword in context, {html.escape(key)}"
            f"</h1>{''.join(pages)}</body></html>\n", encoding="utf-8")
    text = (f"One line from each of up to {cfg.kwic_lines} documents drawn at random among"
            f" those mentioning each of up to {cfg.kwic} series (alerts first, then the"
            " biggest risers, then the top terms); every line of those documents is in"
            " kwic.html (monitor kwic SERIES --since/--until the period lists them all).")
    if notes:
        text += " Not shown: " + "; ".join(notes) + "."
    return Section("In context", text, ["series", "date", "source", "left", "keyword",
                                        "right", "document"],
                   [[line.series, line.published or "", line.source, line.left, line.keyword,
                     line.right, (line.link, line.link) if line.link.startswith("http")
                     else line.link] for line in shown])
