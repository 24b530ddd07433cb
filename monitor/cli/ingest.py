"""``monitor ingest``: read files and folders into the store (see ``monitor.ingest``)."""

from __future__ import annotations

import logging
import shlex
import sys
from pathlib import Path

import click

from . import Context, fail, main, pass_context

_FIELD_HELP = "Record field holding the {} (JSON/CSV) [default: first of {}]."


def _check_date(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from ..dates import parse_date

    if value is not None and parse_date(value) is None:
        raise click.BadParameter(f"cannot read {value!r} as a date (try 2022, 2022-10 or "
                                 "2022-10-16)")
    return value


def _check_language(ctx: click.Context, param: click.Parameter,
                    value: str | None) -> str | None:
    from ..text import normalise_language

    if value is not None and normalise_language(value) is None:
        raise click.BadParameter(f"{value!r} is not a language code (try en, zh or fr)")
    return normalise_language(value) if value else None


def _check_size(ctx: click.Context, param: click.Parameter, value: str) -> int:
    from ..ingest import parse_size

    try:
        return parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def record_field_options(command):
    """The record field mapping and size limit, shared by ``ingest`` and ``backfill``."""
    options = [
        click.option("--text-field", help=_FIELD_HELP.format("text", "text, content, body")),
        click.option("--date-field", help=_FIELD_HELP.format("date", "date, published, year")),
        click.option("--title-field", help=_FIELD_HELP.format("title", "title")),
        click.option("--url-field", help=_FIELD_HELP.format("URL", "url, link")),
        click.option("--source-field",
                     help="Record field naming each record's source [default: none]."),
        click.option("--id-field", help=_FIELD_HELP.format("id used to dedupe", "id")),
        click.option("--max-size", "max_bytes", default="50MB", show_default=True,
                     callback=_check_size, help="Largest document accepted (e.g. 50MB, 512KB)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--source", help="Source name [default: the folder name or file stem].")
@click.option("--date", callback=_check_date,
              help="Date for documents that carry none: 2022, 2022-10, 2022-10-16, ...")
@click.option("--title", help="Title for documents that carry none.")
@click.option("--language", callback=_check_language,
              help="Language of every document (ISO 639 code: en, zh...) [default: the"
                   " record's language field, else detected].")
@record_field_options
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr [default: when stderr is a terminal].")
@pass_context
def ingest(obj: Context, paths: tuple[Path, ...], source: str | None, date: str | None,
           title: str | None, language: str | None, text_field: str | None, date_field: str | None,
           title_field: str | None, url_field: str | None, source_field: str | None,
           id_field: str | None, max_bytes: int, progress: bool | None) -> None:
    """Ingest speeches and articles from files and folders (recursively).

    Formats by extension, also gzip'd (.gz): .txt .md .html .htm .json .jsonl .csv .pdf.
    Re-ingesting the same input adds nothing. Exit code 1 if anything failed.

    \b
    Examples:
      monitor ingest speeches/ --source un
      monitor ingest ungdc_1946_2024.jsonl.gz --id-field id --date-field year
      monitor ingest xi_speeches_2020.csv --text-field Text --date-field Date
      monitor ingest speech.txt --date 2022-10-16 --title "Report to the 20th Congress"
    """
    from ..ingest import FieldMap, ingest_paths

    for name in ("pypdf", "trafilatura", "htmldate", "charset_normalizer"):
        logging.getLogger(name).setLevel(logging.ERROR)  # their warnings are not ours to show
    fields = FieldMap(text=text_field, date=date_field, title=title_field, url=url_field,
                      source=source_field, id=id_field)
    command = shlex.join(["ingest", *map(str, paths)] + [
        f"--{name.replace('_', '-')}={value}"
        for name, value in (("source", source), ("date", date), ("title", title),
                            ("language", language),
                            ("text_field", text_field), ("date_field", date_field),
                            ("title_field", title_field), ("url_field", url_field),
                            ("source_field", source_field), ("id_field", id_field))
        if value is not None
    ])
    report = ingest_paths(
        obj.db, paths, source=source, date=date, title=title, language=language,
        fields=fields,
        max_bytes=max_bytes, progress=sys.stderr.isatty() if progress is None else progress,
        on_error=lambda error: fail(str(error)),
        on_warning=lambda message: click.echo(f"warning: {message}", err=True), command=command,
    )
    click.echo(report.summary())
    if report.failed:
        sys.exit(1)
