"""Rows of dataclasses as a text table, tidy CSV or JSON: what every analysis prints."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, fields
from typing import Any

FORMATS = ("table", "csv", "json")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def _short(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.3e}"
    return str(value)


def to_csv(rows: Sequence[Any], row_type: type) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([f.name for f in fields(row_type)])
    for row in rows:
        writer.writerow([_cell(v) for v in asdict(row).values()])
    return buffer.getvalue()


def to_table(rows: Sequence[Any], columns: Sequence[str], numeric: Sequence[str] = ()) -> str:
    lines = [list(columns)]
    for row in rows:
        lines.append([_short(getattr(row, c)).replace("\n", " ") for c in columns])
    widths = [max(len(line[i]) for line in lines) for i in range(len(columns))]
    return "\n".join(
        "  ".join(c.rjust(w) if columns[i] in numeric else c.ljust(w)
                  for i, (c, w) in enumerate(zip(line, widths, strict=True))).rstrip()
        for line in lines
    )


def to_json(payload: dict[str, Any], rows: Sequence[Any]) -> str:
    return json.dumps({**payload, "rows": [asdict(r) for r in rows]}, ensure_ascii=False,
                      indent=2, default=str)


def render(fmt: str, rows: Sequence[Any], row_type: type, columns: Sequence[str],
           numeric: Sequence[str] = (), payload: dict[str, Any] | None = None) -> str:
    if fmt == "csv":
        return to_csv(rows, row_type)
    if fmt == "json":
        return to_json(payload or {}, rows)
    if fmt == "table":
        return to_table(rows, columns, numeric)
    raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
