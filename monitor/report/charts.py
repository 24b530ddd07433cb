"""Briefing-quality charts of a :class:`~monitor.trends.Trend`: PNG or SVG, headless.

Figures are built with ``matplotlib.figure.Figure`` and its Agg canvas, never pyplot, so
no GUI backend or global state is touched (safe on servers, in threads and in notebooks).
Every chart says what its y axis is a share *of*, shades the 90% interval of shares, and
carries a caption with the sources, the date range and the number of documents.
"""

from __future__ import annotations

import importlib.util
import logging
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import yaml
from matplotlib import dates as mdates
from matplotlib import font_manager, rc_context
from matplotlib.figure import Figure

from ..trends import periods
from ..trends.series import Trend, smoothing_label

MEASURE_LABELS = {
    "count": ("Occurrences", "in all tallied documents per {bucket}"),
    "docs": ("Documents mentioning", "number of tallied documents per {bucket}"),
    "share": ("Share of documents mentioning (%)", "of all tallied documents per {bucket}"),
    "per10k": ("Occurrences per 10,000 {unit}", "in the tallied documents of each {bucket}"),
}
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#7f7f7f", "#bcbd22"]
FORMATS = (".png", ".svg", ".pdf")


@dataclass
class Event:
    """A dated event drawn as a labelled vertical line."""

    date: date
    label: str


def load_events(path: str | Path) -> list[Event]:
    """Read a YAML list of ``{date: 2022-10-16, label: ...}``; dates may be partial."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise ValueError(f"{where}: not valid YAML: {problem}") from None
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of '- date: ... / label: ...' items")
    events = []
    for i, item in enumerate(data, 1):
        if not isinstance(item, dict) or "date" not in item or "label" not in item:
            raise ValueError(f"{path}: item {i}: needs 'date' and 'label' keys")
        when = item["date"]
        if not isinstance(when, date):
            try:
                when = periods.start(str(when))
            except ValueError as exc:
                raise ValueError(f"{path}: item {i}: date: {exc}") from None
        events.append(Event(when, str(item["label"])))
    return events


def axis_label(trend: Trend) -> str:
    """E.g. 'Share of documents mentioning (%) — of all tallied documents per year'."""
    name, denominator = MEASURE_LABELS[trend.query.measure]
    name = name.format(unit=trend.unit)
    ratio = trend.query.ratio_label
    if ratio and trend.series == [ratio]:  # a ratio has no unit: say what was divided
        numerator, divisor = trend.query.ratio
        what = name.split(" (")[0]
        return f"Ratio of {what[0].lower()}{what[1:]}: {numerator} ÷ {divisor}"
    return f"{name} — {denominator.format(bucket=trend.query.bucket)}"


def line_chart(trend: Trend, path: str | Path, *, title: str | None = None,
               events: list[Event] | None = None, labels: dict[str, str] | None = None,
               log: bool = False) -> Path:
    """One line per series (small multiples per source when grouped by source)."""
    return _draw(trend, path, "line", title, events, labels, log)


def bar_chart(trend: Trend, path: str | Path, *, title: str | None = None,
              events: list[Event] | None = None, stacked: bool = False,
              labels: dict[str, str] | None = None, log: bool = False) -> Path:
    """Grouped bars per bucket, or stacked bars (totals of several categories)."""
    return _draw(trend, path, "stacked" if stacked else "bars", title, events, labels, log)


PointLinks = Callable[[str, str, str], "str | None"]


def chart(trend: Trend, path: str | Path, *, kind: str = "line", title: str | None = None,
          events: list[Event] | None = None, labels: dict[str, str] | None = None,
          log: bool = False, links: PointLinks | None = None) -> Path:
    """Dispatch on ``kind``: 'line', 'bars' or 'stacked'. ``labels`` renames series in the
    legend (default: readable names, ``power:hard_power`` -> ``hard power``); ``log``
    draws the y axis on a log scale (for series of very different sizes);
    ``links(series, group, period)`` gives each point (or bar) a link in SVG output."""
    if kind not in ("line", "bars", "stacked"):
        raise ValueError(f"chart kind {kind!r} is not one of line, bars, stacked")
    return _draw(trend, path, kind, title, events, labels, log, links)


def readable(name: str) -> str:
    """A legend label for a series name: no lexicon prefix, spaces for underscores."""
    head, sep, rest = name.partition(":")
    if sep and "/" not in head and " " not in head:
        name = rest
    return name.replace("_", " ").replace("/", " / ")


def default_title(trend: Trend, labels: dict[str, str] | None = None) -> str:
    what = MEASURE_LABELS[trend.query.measure][0].format(unit=trend.unit).lower()
    names = [(labels or {}).get(s) or readable(s) for s in trend.series]
    title = f"{' vs '.join(names)}: {what}"
    if trend.query.smooth > 1:
        title += f" ({smoothing_label(trend.query)})"
    return title


def _no_bold_cjk_warning(record: logging.LogRecord) -> bool:
    """Bold text in Chinese falls back to the one weight mplfonts ships, as meant: a
    "Failed to find font weight bold" line per chart would only worry the user."""
    message = record.getMessage()
    return "Failed to find font weight" not in message or "CJK" not in message


@cache
def cjk_font() -> str | None:
    """The family name of the CJK font that mplfonts ships (Noto Sans CJK SC), registered
    with matplotlib; None without it. Chinese, Japanese and Korean labels fall back to it."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "fonts" / "NotoSansCJKsc-Regular.otf"
    if not path.is_file():
        return None
    font_manager.fontManager.addfont(str(path))
    logging.getLogger("matplotlib.font_manager").addFilter(_no_bold_cjk_warning)
    return font_manager.FontProperties(fname=str(path)).get_name()


def _draw(trend: Trend, path: str | Path, kind: str, title: str | None,
          events: list[Event] | None, labels: dict[str, str] | None = None,
          log: bool = False, links: PointLinks | None = None) -> Path:
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"{path}: chart files end in {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    family = cjk_font()
    with rc_context({"font.family": ["DejaVu Sans", family]} if family else {}):
        _figure(trend, path, kind, title, events, labels or {}, log, links)
    return path


def _figure(trend: Trend, path: Path, kind: str, title: str | None,
            events: list[Event] | None, labels: dict[str, str], log: bool,
            links: PointLinks | None = None) -> None:
    groups = trend.groups
    ncols = 1 if len(groups) == 1 else min(3, len(groups))
    nrows = -(-len(groups) // ncols)
    fig = Figure(figsize=(10 if ncols == 1 else 4.2 * ncols, 5.4 if nrows == 1 else
                          1.2 + 3.2 * nrows), dpi=150, layout="constrained")
    fig.suptitle(title or default_title(trend, labels), fontsize=14, fontweight="bold")
    caption = _caption(trend, kind)
    height = fig.get_figheight() * 72
    bottom = (11 * (caption.count("\n") + 1) + 10) / height
    fig.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom))
    fig.text(0.01, 0.01, caption, fontsize=7.5, color="#444", va="bottom", ha="left")
    if trend.is_empty or not trend.periods:
        _empty(fig, trend)
    else:
        axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
        legend: dict[str, object] = {}
        for ax, group in zip(axes, groups, strict=False):
            legend.update(_plot_group(ax, trend, group, kind, labels, log, links))
            if len(groups) > 1:
                ax.set_title(group, fontsize=10, fontweight="bold")
            _draw_events(ax, trend, events or [])
        for ax in axes[len(groups):]:
            ax.set_visible(False)
        if len(groups) == 1:
            twin = trend.query.ratio_label and len(trend.series) > 1
            axes[0].legend(legend.values(), legend.keys(), loc="upper left", fontsize=9,
                           bbox_to_anchor=(1.09 if twin else 1.01, 1), frameon=False)
        else:
            fig.legend(legend.values(), legend.keys(), loc="outside right center", fontsize=9,
                       frameon=False)
        fig.supylabel("\n".join(textwrap.wrap(axis_label(trend), 72)), fontsize=10)
    fig.savefig(path, dpi=150, facecolor="white")


def _x(trend: Trend) -> list[date]:
    return [periods.midpoint(p, trend.query.bucket) for p in trend.periods]


def _plot_group(ax, trend: Trend, group: str, kind: str, labels: dict[str, str],
                log: bool = False, links: PointLinks | None = None) -> dict[str, object]:
    """Draw one group's series on ``ax``; return legend handles by label."""
    measure, xs = trend.query.measure, _x(trend)
    handles: dict[str, object] = {}
    _shade_empty(ax, trend, group)
    scale = 100.0 if measure == "share" else 1.0
    ratio = trend.query.ratio_label
    twin = ax.twinx() if ratio and len(trend.series) > 1 else None
    width = (periods.end(trend.periods[0]) - periods.start(trend.periods[0])).days + 1
    bottoms = [0.0] * len(xs)
    plain = [s for s in trend.series if s != ratio or twin is None]
    for i, name in enumerate(trend.series):
        rows = trend.select(name, group)
        target = twin if (twin is not None and name == ratio) else ax
        factor = 1.0 if name == ratio else scale
        ys = [None if r.value(measure) is None else r.value(measure) * factor for r in rows]
        colour = COLOURS[i % len(COLOURS)]
        if kind == "line" or target is twin:
            shown = labels.get(name) or readable(name)
            label = f"{shown} (right axis)" if target is twin else shown
            (handles[label],) = target.plot(
                xs, [float("nan") if y is None else y for y in ys], color=colour, lw=2,
                marker="o" if len(xs) <= 40 else None, ms=3.5, label=label)
            if measure == "share" and name != ratio:
                lows = [r.share_low for r in rows]
                highs = [r.share_high for r in rows]
                ok = [lo is not None for lo in lows]
                ax.fill_between(xs, [100 * (lo or 0) for lo in lows],
                                [100 * (hi or 0) for hi in highs], where=ok, color=colour,
                                alpha=0.15, lw=0)
            if links:
                _link_points(target, xs, ys, [links(name, group, r.period) for r in rows])
        else:
            values = [y or 0.0 for y in ys]
            if kind == "stacked":
                handles[labels.get(name) or readable(name)] = bars = ax.bar(
                    xs, values, width=width * 0.8, bottom=bottoms, color=colour, label=name)
                _link_bars(bars, rows, name, group, links)
                bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
            else:
                step = width * 0.8 / len(plain)
                offset = (plain.index(name) - (len(plain) - 1) / 2) * step
                errors = None
                if measure == "share" and name != ratio:
                    errors = [[max(v - 100 * (r.share_low or 0), 0) for v, r in
                               zip(values, rows, strict=True)],
                              [max(100 * (r.share_high or 0) - v, 0) for v, r in
                               zip(values, rows, strict=True)]]
                handles[labels.get(name) or readable(name)] = bars = ax.bar(
                                       mdates.date2num(xs) + offset, values, width=step,
                                       color=colour, label=name, yerr=errors,
                                       error_kw={"ecolor": "#555", "lw": 0.8, "capsize": 2})
                _link_bars(bars, rows, name, group, links)
    if twin is not None:
        twin.set_ylabel(f"ratio {ratio}", fontsize=9)
        twin.set_ylim(bottom=0)
    if log:
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#ddd", lw=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    _ticks(ax, trend)
    return handles


def _link_points(ax, xs: list[date], ys: list, urls: list) -> None:
    """Clickable discs over the points that have a value and a link (SVG). All but
    transparent: at alpha 0 matplotlib writes ``fill: none``, which takes no clicks."""
    keep = [i for i, (y, url) in enumerate(zip(ys, urls, strict=True))
            if y is not None and url]
    if keep:
        ax.scatter([xs[i] for i in keep], [ys[i] for i in keep], s=90, color="#000",
                   alpha=0.002, zorder=5, urls=[urls[i] for i in keep])


def _link_bars(bars, rows, name: str, group: str, links: PointLinks | None) -> None:
    for patch, row in zip(bars.patches, rows, strict=True):
        if links:
            patch.set_url(links(name, group, row.period))


def _ticks(ax, trend: Trend) -> None:
    """Few buckets (or years): a tick under each point, labelled with its period id."""
    keys, most = trend.periods, 12 if len(trend.groups) == 1 else 6
    if len(keys) <= most:
        ax.set_xticks([periods.midpoint(k) for k in keys], labels=keys)
    elif trend.query.bucket == "year":
        step = next(s for s in (2, 5, 10, 20, 25, 50, 100, 200, 500) if len(keys) / s <= most)
        shown = [k for k in keys if int(k) % step == 0]
        ax.set_xticks([periods.midpoint(k) for k in shown], labels=shown)
    else:
        locator = mdates.AutoDateLocator(minticks=3, maxticks=most)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _shade_empty(ax, trend: Trend, group: str) -> None:
    """Grey out buckets with no tallied documents: they have no value (not 0) to draw."""
    rows = trend.select(trend.series[0], group)
    if all(r.total_docs == 0 for r in rows):
        return
    runs: list[list[str]] = []  # consecutive empty buckets: one span each (weeks add up)
    for previous, row in zip([None, *rows[:-1]], rows, strict=True):
        if row.total_docs == 0:
            if previous is not None and previous.total_docs == 0:
                runs[-1][1] = row.period
            else:
                runs.append([row.period, row.period])
    for first, last in runs:
        ax.axvspan(periods.start(first), periods.end(last) + timedelta(days=1),
                   color="#eeeeee", lw=0, zorder=0)


def _draw_events(ax, trend: Trend, events: list[Event]) -> None:
    """Dashed lines with rotated labels; labels of events close together are staggered
    down the axis so they never overlap, on a white box over the data."""
    first, last = periods.start(trend.periods[0]), periods.end(trend.periods[-1])
    near = max((last - first).days * 0.025, 1)
    previous, level = None, 0
    for event in sorted((e for e in events if first <= e.date <= last), key=lambda e: e.date):
        level = (level + 1) % 3 if previous and (event.date - previous).days < near else 0
        previous = event.date
        ax.axvline(event.date, color="#555", ls="--", lw=0.9, zorder=1)
        ax.text(event.date, 0.98 - 0.3 * level, f" {event.label}",
                transform=ax.get_xaxis_transform(), rotation=90, va="top", ha="right",
                fontsize=7.5, color="#333", zorder=3,
                bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8})


def _caption(trend: Trend, kind: str) -> str:
    q = trend.query
    sources = (", ".join(trend.sources) if len(trend.sources) <= 6
               else f"{len(trend.sources):,} sources") or "none"
    span = f"{trend.periods[0]} to {trend.periods[-1]}" if trend.periods else "no dates"
    parts = [f"Sources: {sources}", span, f"{trend.documents:,} tallied documents",
             f"{q.bucket} buckets"]
    if q.smooth > 1:
        parts.append(f"smoothed: {smoothing_label(q)}")
    if q.measure == "share" and kind in ("line", "bars"):
        parts.append("shaded: 90% Wilson interval" if kind == "line"
                     else "error bars: 90% Wilson interval")
    if any(r.total_docs == 0 for r in trend.rows):
        parts.append("grey: no tallied documents in the bucket" + (
            "" if q.smooth > 1 or kind != "line" else " (no point drawn)"))
    if kind == "stacked" and q.measure in ("share", "docs"):
        parts.append("stacks can double-count documents that mention several series")
    parts += trend.notes
    return "\n".join(textwrap.wrap(" · ".join(parts), 150))


def _empty(fig: Figure, trend: Trend) -> None:
    q = trend.query
    what = ", ".join(trend.series)
    filters = [f"sources {', '.join(q.sources)}" if q.sources else "",
               f"since {q.since}" if q.since else "", f"until {q.until}" if q.until else ""]
    message = f"No documents match {what}"
    if any(filters):
        message += " (" + "; ".join(f for f in filters if f) + ")"
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, "\n".join(textwrap.wrap(message, 70)), ha="center", va="center",
            fontsize=13, color="#555", transform=ax.transAxes)
