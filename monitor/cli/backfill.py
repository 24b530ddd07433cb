"""``monitor backfill``: tally archive shards on Dask (see ``monitor.backfill``)."""

from __future__ import annotations

import logging
import shlex
import sys

import click

from . import Context, fail, main, pass_context
from .ingest import _check_date, _check_language, record_field_options
from .tally import load_lexicons


@main.command()
@click.argument("shards", nargs=-1, required=True, metavar="SHARD...")
@click.option("--lexicon", "-l", "names", multiple=True, metavar="NAME_OR_PATH",
              help="Lexicon name or YAML file (repeatable). Default: every lexicon found.")
@click.option("--scheduler", metavar="ADDR",
              help="Dask scheduler, e.g. tcp://10.0.0.5:8786 [default: a local cluster].")
@click.option("--workers", type=click.IntRange(1), default=None,
              help="Worker processes of the local cluster [default: one per core].")
@click.option("--work", metavar="DIR_OR_URL",
              help="Where partial results go; shared by the workers [default: DB.backfill/].")
@click.option("--source", help="Source name [default: the record's --source-field, else the"
                               " shard's folder name].")
@click.option("--date", callback=_check_date, help="Date for documents that carry none.")
@click.option("--language", callback=_check_language,
              help="Every document's language [default: the record's language field, else"
                   " detected].")
@record_field_options
@click.option("--progress/--no-progress", default=None,
              help="A line per shard on stderr [default: when stderr is a terminal].")
@pass_context
def backfill(obj: Context, shards: tuple[str, ...], names: tuple[str, ...],
             scheduler: str | None, workers: int | None, work: str | None, source: str | None,
             date: str | None, language: str | None, text_field: str | None, date_field: str | None,
             title_field: str | None, url_field: str | None, source_field: str | None,
             id_field: str | None, max_bytes: int, progress: bool | None) -> None:
    """Tally an archive's shards (JSON Lines or Parquet, paths or URLs) on Dask.

    The documents stay in the shards; their counts go to the database, so that trend,
    chart and report answer over the archive. A killed backfill resumes where it
    stopped; a finished shard is never redone. Exit code 1 if a shard or record failed.

    \b
    Examples:
      monitor backfill archive/*.jsonl.gz --lexicon power --date-field year
      monitor backfill s3://bucket/news/ --scheduler tcp://10.0.0.5:8786 --work s3://bucket/tmp
    """
    from ..backfill import backfill as run_backfill
    from ..dates import parse_date
    from ..sources import FieldMap, ReadOptions

    logging.getLogger("distributed").setLevel(logging.ERROR)
    lexicons, failed = load_lexicons(names)
    if not lexicons:
        sys.exit(1)
    options = ReadOptions(
        source=source, date=parse_date(date) if date else None, max_bytes=max_bytes,
        language=language,
        fields=FieldMap(text=text_field, date=date_field, title=title_field, url=url_field,
                        source=source_field, id=id_field))
    show = sys.stderr.isatty() if progress is None else progress

    def report_progress(p) -> None:
        if show:
            click.echo(f"backfill: {p.shards_done}/{p.shards} shards, {p.documents:,}"
                       f" documents, {p.rate:,.0f} documents/s", err=True)

    command = shlex.join(["backfill", *shards] + [f"--lexicon={lex.name}" for lex in lexicons])
    try:
        report = run_backfill(obj.db, shards, lexicons, options=options, work=work,
                              scheduler=scheduler, workers=workers, progress=report_progress,
                              on_error=fail, command=command,
                              on_warning=lambda line: click.echo(f"warning: {line}", err=True))
    except (OSError, TimeoutError, ValueError) as exc:
        fail(f"backfill: {' '.join(str(exc).split()) or type(exc).__name__}")
        sys.exit(1)
    click.echo(report.summary())
    if failed or not report.ok:
        sys.exit(1)
