"""Printing rows of dicts as an aligned table, CSV or JSON (shared by the commands)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence

import click


def emit_rows(rows: Sequence[dict], fmt: str, columns: Sequence[str] | None = None) -> None:
    """Print ``rows`` in ``fmt``; ``columns`` fixes the order (default: the first row's keys)."""
    columns = list(columns or (rows[0].keys() if rows else []))
    if fmt == "json":
        click.echo(json.dumps([{c: r.get(c) for c in columns} for r in rows],
                              ensure_ascii=False, indent=1))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        cells = [[_cell(r.get(c)) for c in columns] for r in rows]
        widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
        click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
        for row in cells:
            click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."
