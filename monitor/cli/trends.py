"""Commands that read the counts: ``trend``, ``chart``, ``report``.

matplotlib and the report builder are imported inside the commands, so that
``monitor --help`` stays fast.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path

import click

from ..trends import BUCKETS, MEASURES
from . import Context, fail, main, pass_context


def trend_options(command: Callable) -> Callable:
    """The options shared by ``trend`` and ``chart``."""
    options = [
        click.argument("series", nargs=-1),
        click.option("--bucket", type=click.Choice(BUCKETS), default="year", show_default=True,
                     help="Time bucket (weeks are ISO weeks, e.g. 2020-W53)."),
        click.option("--measure", type=click.Choice(MEASURES), default="share",
                     show_default=True, help="count: occurrences; docs: documents mentioning;"
                     " share: docs / tallied documents; per10k: count per 10,000 words."),
        click.option("--source", "sources", multiple=True, help="Only this source (repeat)."),
        click.option("--lexicon", help="Look series up in this lexicon only."),
        click.option("--since", help="First date, e.g. 2019, 2019-06, 2019-06-01, 2019-W05."),
        click.option("--until", help="Last date (inclusive), partial dates ok."),
        click.option("--by-source", is_flag=True, help="One series per source."),
        click.option("--ratio", nargs=2, metavar="A B", help="Add the series A/B."),
        click.option("--smooth", type=click.IntRange(min=1), default=1, show_default=True,
                     help="Rolling mean over N buckets (trailing: the bucket and N-1 before)."),
        click.option("--center", is_flag=True, help="Centre the rolling mean instead."),
        click.option("--all-copies", is_flag=True,
                     help="Count every syndicated copy (volume), not each cluster once."),
        click.option("--where", "where", multiple=True, metavar="FILTER",
                     help="Only documents whose field matches (repeatable, all apply):"
                          " country=CHN, party!=Republican, 'country in CHN,USA'."),
        click.option("--term", "terms", multiple=True, metavar="WORDS",
                     help="Count this word or phrase too, with no lexicon (repeatable; the"
                          " first query tallies it, later ones are instant)."),
        click.option("--by", "by", metavar="FIELD",
                     help="One series per value of this document field (a meta key such as"
                          " country, or source, language)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _query(series: tuple[str, ...], **kw: object):
    from ..trends import TrendQuery

    if not series and not kw.get("ratio") and not kw.get("terms"):
        raise click.UsageError("name at least one series (a term, a category, lexicon:name)"
                               " or give --ratio A B")
    return TrendQuery(series=list(series), **kw)


def _run(fn: Callable) -> Callable:
    """Turn the API's ValueError (bad series, source, date, config) into a one-line error."""
    @functools.wraps(fn)
    def wrapper(*args: object, **kwargs: object) -> None:
        try:
            fn(*args, **kwargs)
        except ValueError as exc:
            fail(str(exc))
            sys.exit(2)

    return wrapper


@main.command()
@trend_options
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
@click.option("--tiers", is_flag=True,
              help="Temperature tiers (boiling, hot, warm, tepid, cool, cold) by share of"
                   " documents, as the China Media Project rates slogans per year.")
@click.option("--tier-thresholds", metavar="B,H,W,T,C", default=None,
              help="Lower bounds in percent of the first five tiers [default 20,10,5,2,0.5].")
@pass_context
@_run
def trend(obj: Context, series: tuple[str, ...], fmt: str, out: Path | None, tiers: bool,
          tier_thresholds: str | None, **kw) -> None:
    """Count terms or categories per time bucket, with denominators.

    SERIES are term labels (security), category paths (hard_power: all its terms and
    sub-categories) or lexicon:name. Notes on left-out documents go to stderr.

    Example: monitor trend hard_power soft_power --bucket month --measure share --format csv
    """
    from ..trends import trend as run_trend

    result = run_trend(obj.read_db, _query(series, **kw))
    if tiers or tier_thresholds:
        from ..analysis.tiers import THRESHOLDS, render_tiers, tier_rows

        bounds = THRESHOLDS
        if tier_thresholds:
            try:
                bounds = tuple(float(v) for v in tier_thresholds.split(","))
            except ValueError:
                raise ValueError(f"--tier-thresholds {tier_thresholds!r}: give five numbers"
                                 " such as 20,10,5,2,0.5") from None
        text = render_tiers(tier_rows(result, bounds), fmt)
    else:
        text = {"table": result.to_table, "csv": result.to_csv, "json": result.to_json}[fmt]()
    if out:
        out.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    else:
        click.echo(text.rstrip("\n"))
    for note in result.notes:
        click.echo(f"note: {note}", err=True)


@main.command()
@trend_options
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Chart file: .png or .svg (.pdf works too).")
@click.option("--kind", type=click.Choice(["line", "bars", "stacked"]), default="line",
              show_default=True)
@click.option("--events", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML list of '- date: 2022-10-16' / '  label: ...' drawn as lines.")
@click.option("--title", help="Chart title (default: the series and the measure).")
@click.option("--label", "labels", multiple=True, metavar="SERIES=TEXT",
              help="Legend label of a series, e.g. power:hard_power='Hard power' (repeatable).")
@click.option("--log", is_flag=True, help="Log-scale y axis (series of very different sizes).")
@pass_context
@_run
def chart(obj: Context, series: tuple[str, ...], out: Path, kind: str, events: Path | None,
          title: str | None, labels: tuple[str, ...], log: bool, **kw) -> None:
    """Draw a trend as a chart (PNG or SVG).

    Example: monitor chart hard_power soft_power --bucket year --out power.png
    --events events.yaml
    """
    from ..report import chart as draw
    from ..report import load_events
    from ..trends import trend as run_trend

    names = {}
    for item in labels:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise click.UsageError(f"--label {item!r}: write SERIES=TEXT")
        names[name.strip()] = text.strip()
    result = run_trend(obj.read_db, _query(series, **kw))
    path = draw(result, out, kind=kind, title=title,
                events=load_events(events) if events else None, labels=names, log=log)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(str(path))


@main.command()
@click.option("--period", type=click.Choice(BUCKETS),
              help="Report period [default: the config's, else week; or --for's kind].")
@click.option("--for", "for_", metavar="ID",
              help="Period id (2026-W47, 2026-11, 2026) or 'latest' (the latest with"
                   " documents) [default: the last complete period].")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default="reports",
              show_default=True, help="Folder that receives <period-id>/.")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
              help="Config file [env MONITOR_CONFIG; default ./monitor.toml if present].")
@pass_context
@_run
def report(obj: Context, period: str | None, for_: str | None, out: Path,
           config: Path | None) -> None:
    """Write the period's report: charts, CSVs, summary.md and index.html.

    Example: monitor report --period week --for latest --out reports/
    """
    from ..report import build_report, load_config
    from ..trends import periods

    cfg = load_config(config)
    if period is None and for_ and for_ != "latest":
        period = periods.kind(for_)
    path = build_report(obj.read_db, period=period, for_=for_, out=out, config=cfg)
    click.echo(str(path / "index.html"))
