"""Commands of the analysis stage: ``discover`` (keyness) and ``kwic``."""

from __future__ import annotations

from pathlib import Path

import click

from ..trends import BUCKETS
from . import Context, fail, main, pass_context
from .tally import load_lexicons
from .trends import _run

FORMATS = ("table", "csv", "json")


def _emit(text: str, out: Path | None) -> None:
    if out:
        out.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    else:
        click.echo(text.rstrip("\n"))


@main.command()
@click.option("--since", help="Target's first date (2015, 2015-06, 2015-W05...).")
@click.option("--until", help="Target's last date, inclusive.")
@click.option("--source", "sources", multiple=True, help="Target source (repeat).")
@click.option("--reference-since", help="Reference's first date.")
@click.option("--reference-until", help="Reference's last date, inclusive.")
@click.option("--reference-source", "reference_sources", multiple=True,
              help="Reference source (repeat) [default: the target's sources].")
@click.option("--where", "where", multiple=True, metavar="FILTER",
              help="Target documents whose field matches (repeatable, all apply):"
                   " country=CHN, 'country in CHN,USA'.")
@click.option("--reference-where", "reference_where", multiple=True, metavar="FILTER",
              help="Reference documents' filter (repeatable) [default: the target's].")
@click.option("--all-copies", is_flag=True,
              help="Count every syndicated copy, not each cluster once.")
@click.option("--trailing", type=click.IntRange(min=1),
              help="Temporal keyness: each --bucket period from --since to --until against"
                   " the N periods before it.")
@click.option("--bucket", type=click.Choice(BUCKETS), default="year", show_default=True)
@click.option("--top", type=click.IntRange(min=1), default=50, show_default=True,
              help="Terms to list (per period with --trailing).")
@click.option("--min-count", type=click.IntRange(min=1), default=5, show_default=True,
              help="Occurrences a term needs in the target.")
@click.option("--max-p", type=click.FloatRange(0, 1), default=0.01, show_default=True,
              help="Largest p-value of G2 (1 lists every term).")
@click.option("--max-words", type=click.IntRange(1, 5), default=3, show_default=True,
              help="Longest phrase, in words.")
@click.option("--sort", type=click.Choice(["g2", "log_ratio", "chi2", "log_odds"]),
              default="g2", show_default=True)
@click.option("--under", is_flag=True, help="The most under-represented terms instead.")
@click.option("--prior", type=click.FloatRange(min=0, min_open=True), default=1000.0,
              show_default=True, help="Size of Monroe's Dirichlet prior, in pseudo-words.")
@click.option("--lexicon", "-l", "names", multiple=True, metavar="NAME_OR_PATH",
              help="Mark terms of this lexicon (repeat) [default: every lexicon found].")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
              show_default=True)
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
@pass_context
@_run
def discover(obj: Context, names: tuple[str, ...], fmt: str, out: Path | None,
             **kw) -> None:
    """Words and phrases over-represented in a target against a reference (keyness).

    Example: monitor discover --since 2015 --until 2024 --reference-since 1995
    --reference-until 2004; monitor discover --where country=CHN --reference-where
    'country!=CHN' --since 2015 --until 2024
    """
    from ..analysis import DiscoverQuery
    from ..analysis import discover as run_discover

    lexicons, failed = load_lexicons(names)
    for key in ("sources", "reference_sources", "where", "reference_where"):
        kw[key] = list(kw[key])
    result = run_discover(obj.read_db, DiscoverQuery(**kw), lexicons)
    _emit(result.render(fmt), out)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    if failed:
        fail(f"{failed} lexicon(s) could not be loaded; their terms are not marked")
        raise SystemExit(1)


@main.command()
@click.argument("series", nargs=-1, required=True)
@click.option("--lexicon", help="Look series up in this lexicon only.")
@click.option("--source", "sources", multiple=True, help="Only this source (repeat).")
@click.option("--since", help="First date, e.g. 2019, 2019-06, 2019-06-01, 2019-W05.")
@click.option("--until", help="Last date (inclusive), partial dates ok.")
@click.option("--where", "where", multiple=True, metavar="FILTER",
              help="Only documents whose field matches (repeatable, all apply):"
                   " country=CHN, party!=Republican, 'country in CHN,USA'.")
@click.option("--all-copies", is_flag=True,
              help="Lines from every syndicated copy, not only each cluster's first.")
@click.option("--width", type=click.IntRange(min=0), default=8, show_default=True,
              help="Words of context on each side (characters for Chinese).")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
              help="Lines to show; 0 for all.")
@click.option("--sample", type=click.IntRange(min=1),
              help="Draw this many of the matching documents at random.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Random seed of --sample (the same seed gives the same documents).")
@click.option("--format", "fmt", type=click.Choice([*FORMATS, "html"]), default="table",
              show_default=True)
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
@pass_context
@_run
def kwic(obj: Context, series: tuple[str, ...], limit: int, fmt: str, out: Path | None,
         **kw) -> None:
    """Every counted occurrence of SERIES with the words around it (keyword in context).

    SERIES are term labels, category paths or lexicon:name, as for trend; the lines of a
    term in a document are exactly its stored count.

    Example: monitor kwic security --since 2020 --limit 20
    """
    from ..analysis import KwicQuery
    from ..analysis import kwic as run_kwic

    kw["sources"], kw["where"] = list(kw["sources"]), list(kw["where"])
    result = run_kwic(obj.read_db, KwicQuery(series=list(series), limit=limit or None, **kw))
    _emit(result.render(fmt), out)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    shown = len(result.lines)
    total = result.occurrences
    click.echo(f"{shown} lines" + (f" of {total}" if total is not None and total != shown
                                   else "" if total is not None else " (more: raise --limit)")
               + f" in {result.documents} matching documents", err=True)


@main.command()
@click.argument("lexicon")
@click.option("--category", help="A category path (its sub-categories included)"
                                 " [default: the whole lexicon].")
@click.option("--top", type=click.IntRange(min=1), default=25, show_default=True,
              help="Candidates of each kind.")
@click.option("--min-count", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--max-documents", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Read at most this many of the documents mentioning it (at random).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the YAML to this file instead of standard output.")
@pass_context
@_run
def suggest(obj: Context, lexicon: str, category: str | None, out: Path | None, **kw) -> None:
    """Candidate terms for LEXICON (a name or YAML file), as YAML ready to paste.

    Example: monitor suggest power --category hard_power/security
    """
    from ..analysis import suggest as run_suggest
    from ..lexicon import LexiconError, resolve_lexicon

    try:
        loaded = resolve_lexicon(lexicon)
    except LexiconError as exc:
        raise ValueError(str(exc).splitlines()[0]) from None
    _emit(run_suggest(obj.read_db, loaded, category, **kw).to_yaml(), out)


@main.command()
@click.option("--period", type=click.Choice(BUCKETS), default="week", show_default=True)
@click.option("--for", "for_", metavar="ID",
              help="The period to test (2026-W47, 2026) [default: the last complete one].")
@click.option("--series", "series", multiple=True,
              help="Series to test (repeat) [default: every category of every lexicon].")
@click.option("--source", "sources", multiple=True, help="Only this source (repeat).")
@click.option("--where", "where", multiple=True, metavar="FILTER",
              help="Only documents whose field matches (repeatable, all apply):"
                   " country=CHN, 'country in CHN,USA'.")
@click.option("--lexicon", help="Only this lexicon's categories / look series up in it.")
@click.option("--threshold", type=float, default=3.0, show_default=True,
              help="EARS C2 score that raises an alert.")
@click.option("--min-count", type=click.IntRange(min=1), default=5, show_default=True,
              help="Documents that must mention the series in the period.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
              show_default=True)
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
@pass_context
@_run
def alerts(obj: Context, fmt: str, out: Path | None, series: tuple[str, ...],
           sources: tuple[str, ...], where: tuple[str, ...], **kw) -> None:
    """Series far above their trailing baseline, and sources whose volume fell.

    Example: monitor alerts --period week
    """
    from ..analysis import AlertQuery
    from ..analysis import alerts as run_alerts

    result = run_alerts(obj.read_db, AlertQuery(series=list(series), sources=list(sources),
                                                where=list(where), **kw))
    _emit(result.render(fmt), out)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
