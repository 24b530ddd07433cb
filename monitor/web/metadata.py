"""Datasette metadata for a rhetoric-monitor database: what each table and column is.

It is read from the README, the user's manual: the table of "The database" gives each
table's and column's description, and its ``sqlite-utils`` examples become canned queries.
The README ships inside the wheel as ``monitor/web/README.md``; in a checkout the one at
the top is read. The documents pages facet on source, language and year.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PLACES = (HERE / "README.md", HERE.parents[1] / "README.md")
FACETS = ["source_id", "language", {"year": "published"}]
VIEW_FACETS = ["source", "language", {"year": "published"}]
NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@lru_cache(maxsize=1)
def readme() -> str:
    for place in PLACES:
        if place.is_file():
            return place.read_text(encoding="utf-8")
    return ""


def schema_docs(text: str) -> dict[str, tuple[str, dict[str, str]]]:
    """``{table: (description, {column: description})}`` from the README's schema table."""
    section = text.split("## The database", 1)[-1].split("\n## ", 1)[0] if text else ""
    tables: dict[str, tuple[str, dict[str, str]]] = {}
    for name, view, row, columns in re.findall(
            r"^\| `(\w+)`( \(view\))? \| ([^|]+) \| (.+) \|$", section, re.M):
        what = "View" if view else "Table"
        tables[name] = (f"{what}: one row per {row.strip()}.", _columns(columns))
    return tables


def _columns(cell: str) -> dict[str, str]:
    """``id, name`` (unique), `kind` (...) -> {id: '', name: 'unique', kind: '...'}."""
    out: dict[str, str] = {}
    depth, last, i = 0, None, 0
    while i < len(cell):
        char = cell[i]
        if char == "`" and depth == 0:
            end = cell.find("`", i + 1)
            if end < 0:
                break
            names = [n.strip() for n in cell[i + 1:end].split(",")]
            good = [n for n in names if NAME.match(n)]
            for n in good:
                out.setdefault(n, "")
            last = good[-1] if good and len(good) == len(names) else None
            i = end + 1
            continue
        if char == "(":
            if depth == 0:
                start = i + 1
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if depth == 0 and last:
                out[last] = cell[start:i].replace("`", "").strip()
                last = None
        elif char == ";" and depth == 0:
            last = None
        i += 1
    return out


def readme_queries(text: str) -> dict[str, tuple[str, str]]:
    """Every ``sqlite-utils db/monitor.db "SQL"`` example of the README: {name: (title, sql)}.

    The title is the ``# comment`` line just above the example, else the SQL's start.
    """
    queries: dict[str, tuple[str, str]] = {}
    for comment, sql in re.findall(r'(?:^# ([^\n]+)\n)?^sqlite-utils db/monitor\.db "(.+?)"',
                                   text, re.S | re.M):
        title = comment.strip() if comment else " ".join(sql.split())[:60]
        base = re.sub(r"[^a-z0-9]+", "_", title.lower())[:40].strip("_") or "example"
        name, n = base, 2
        while name in queries:
            name, n = f"{base}_{n}", n + 1
        queries[name] = (title[:1].upper() + title[1:], sql)
    return queries


def database_metadata(tables: set[str], text: str | None = None) -> dict[str, Any]:
    """The ``databases.<name>`` block for a database holding ``tables``."""
    text = readme() if text is None else text
    meta: dict[str, Any] = {}
    docs = schema_docs(text)
    for name in sorted(tables):
        description, columns = docs.get(name, ("", {}))
        entry: dict[str, Any] = {"description": description,
                                 "columns": {c: d for c, d in columns.items() if d}}
        if name == "documents":
            entry["description"] += (" The text is left out of this page: open a row to"
                                     " read it, or add ?_col=text.")
            entry.update(facets=FACETS, fts_table="documents_fts", fts_pk="id",
                         label_column="title", sort_desc="published")
        elif name == "documents_view":
            entry.update(facets=VIEW_FACETS, fts_table="documents_fts", fts_pk="id",
                         sort_desc="published")
        elif name == "term_counts":
            entry["facets"] = ["lexicon", "source", "language"]
        elif name in ("sources", "lexicons"):
            entry["label_column"] = "name"
        elif name == "terms":
            entry["label_column"] = "label"
        if entry["description"] or entry["columns"] or len(entry) > 2:
            meta[name] = entry
    return {
        "description": "rhetoric-monitor: documents, lexicon terms and their counts.",
        "tables": meta,
        "queries": {name: {"title": title, "sql": sql}
                    for name, (title, sql) in readme_queries(text).items()},
    }
