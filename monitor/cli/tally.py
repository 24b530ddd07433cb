"""Commands of the tally stage: ``tally`` and ``counts``."""

from __future__ import annotations

import functools
import sys
from typing import TYPE_CHECKING

import click

from . import Context, fail, main, pass_context

if TYPE_CHECKING:
    from tqdm import tqdm


def load_lexicons(names: tuple[str, ...]) -> tuple[list, int]:
    """The named lexicons (all in the lexicon folders when none named), and the error count.

    A lexicon that cannot be loaded is reported in one line and left out.
    """
    from ..lexicon import LexiconError, named_lexicons, resolve_lexicon

    lexicons, failed = [], 0
    targets = {name: functools.partial(resolve_lexicon, name) for name in names} or {
        str(file.path): file.load for file in named_lexicons().values()}
    for target, load in targets.items():
        try:
            lexicons.append(load())
        except (LexiconError, OSError, ValueError) as exc:
            for line in str(exc).splitlines() or [repr(exc)]:
                fail(line if target in line else f"{target}: {line}")
            failed += 1
    return lexicons, failed


def progress_bar(total: int | None, label: str) -> tqdm:
    from tqdm import tqdm

    return tqdm(total=total, unit="doc", desc=label, disable=not sys.stderr.isatty() or None)


@main.command()
@click.option("--lexicon", "-l", "names", multiple=True, metavar="NAME_OR_PATH",
              help="Lexicon name or YAML file (repeatable). Default: every lexicon found.")
@click.option("--workers", type=click.IntRange(1), default=None,
              help="Processes to scan with [default: one per core].")
@pass_context
def tally(obj: Context, names: tuple[str, ...], workers: int | None) -> None:
    """Count lexicon terms in every document not yet tallied with the current lexicons.

    Example: monitor tally --lexicon power --lexicon lexicons/xi_thought.yaml
    """
    lexicons, failed = load_lexicons(names)
    if lexicons:
        print_tally(_run_tally(obj, lexicons, workers))
    if failed:
        sys.exit(1)


def _run_tally(obj: Context, lexicons: list, workers: int | None):
    from ..store import StoreError
    from ..tally import tally_documents
    from ..workers import WorkerLost

    run_id = obj.db.start_run("tally " + " ".join(lex.name for lex in lexicons))
    try:
        total = obj.db.document_count()
        with progress_bar(total, "tally") as bar:
            report = tally_documents(obj.db, lexicons, workers=workers, progress=bar.update)
    except (ValueError, WorkerLost) as exc:
        obj.db.finish_run(run_id, failed=1, message=str(exc))
        fail(str(exc))
        sys.exit(1)
    except StoreError as exc:
        obj.db.finish_run(run_id, failed=1, message=str(exc))
        raise
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: what was committed stays
        obj.db.finish_run(run_id, failed=1, message="aborted: interrupted", status="aborted")
        raise
    obj.db.finish_run(run_id, added=report.documents)
    return report


def print_tally(report, prefix: str = "") -> None:
    for name, scanned in report.scanned.items():
        click.echo(f"{prefix}{name}: scanned {scanned} documents, "
                   f"stored {report.counts[name]} counts")


@main.command()
@click.argument("names", nargs=-1, metavar="[TERM_OR_CATEGORY]...")
@click.option("--lexicon", "-l", default=None, help="Only this lexicon.")
@click.option("--source", "-s", "sources", multiple=True, help="Only this source (repeatable).")
@click.option("--since", default=None,
              help="From this date or period: 2020, 2020-Q4, 2020-10, 2020-W42 or 2020-10-16.")
@click.option("--until", default=None, help="Up to and including this date or period.")
@click.option("--by", default="total", show_default=True, metavar="PERIOD|FIELD",
              help="document, day, week, month, quarter, year, decade, total, or a document"
                   " field (country, source, language...): one row per value.")
@click.option("--term", "terms", multiple=True, metavar="WORDS",
              help="Count this word or phrase too, with no lexicon (repeatable).")
@click.option("--where", "where", multiple=True, metavar="FILTER",
              help="Only documents whose field matches (repeatable): country=CHN,"
                   " party!=Republican, 'country in CHN,USA'.")
@click.option("--all-copies", is_flag=True,
              help="Count every syndicated copy, not each cluster once (--by document"
                   " always lists every document).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
@pass_context
def counts(obj: Context, names: tuple[str, ...], lexicon: str | None,
           sources: tuple[str, ...], since: str | None, until: str | None, by: str,
           terms: tuple[str, ...], where: tuple[str, ...], all_copies: bool,
           fmt: str) -> None:
    """Print stored counts of terms or categories, per document or per period.

    Names are term labels or category paths (with their sub-categories), or either one as
    LEXICON:NAME, as for `monitor trend`; none means every term. A document is kept when
    its whole date lies within --since/--until; those left out are noted on stderr.

    Example: monitor counts security hard_power --by year --source sotu --format csv
    """
    from ..trends.counts import DOCUMENT_COLUMNS, PERIOD_COLUMNS, CountQuery, read_counts
    from .output import emit_rows

    query = CountQuery(names, lexicon, sources, since, until, by, where, terms, all_copies)
    try:
        rows, notes = read_counts(obj.read_db, query)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    columns = DOCUMENT_COLUMNS if by == "document" else PERIOD_COLUMNS
    if query.field is not None:
        columns = (query.field, *PERIOD_COLUMNS[1:])
    emit_rows(rows, fmt, columns)
    if not rows and not any(note.startswith("no tallied") for note in notes):
        notes.append("no rows: no term of the query occurs in the matching documents")
    for note in notes:
        click.echo(f"note: {note}", err=True)
