"""Commands about the store itself: ``sources``."""

from __future__ import annotations

import json

import click

from . import Context, main, pass_context


@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@pass_context
def sources(obj: Context, fmt: str) -> None:
    """List sources with document counts and date ranges.

    Example: monitor sources
    """
    rows = obj.read_db.sources()
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(f"{'source':<24} {'docs':>7} {'undated':>7}  first .. last")
    for row in rows:
        click.echo(
            f"{row['name']:<24} {row['documents']:>7} {row['undated'] or 0:>7}  "
            f"{row['first'] or '-'} .. {row['last'] or '-'}"
        )
