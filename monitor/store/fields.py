"""Indexes on document ``meta`` fields, so ``--where country=CHN`` is fast on a million documents.

Each short scalar meta key (``country``, ``party``, ``session``...) gets an expression index
``documents_meta_<key>`` on :func:`meta_sql` of it, created by ``Database.add_documents``
the first time a batch holds the key (and, for older files, by the migration that brought
them in). A filter written with the same expression then reads the matching documents from
the index instead of parsing every document's JSON: 0.04 s instead of 1.2 s for one country
in a million documents (``benchmarks/where_speed.py``).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Mapping

KEY_RE = re.compile(r"[A-Za-z_][\w.\-]*")
"""A meta key that may be written into SQL as a literal (``--where`` accepts no other)."""
MAX_INDEXES = 16
"""More keys than this are filtered without an index (still right, slower)."""
MAX_VALUE = 64
"""Keys with longer values (summaries, bodies) or lists are not indexed."""
PREFIX = "documents_meta_"


def meta_sql(key: str, alias: str = "") -> str | None:
    """``CAST(json_extract(meta, '$."key"') AS TEXT)``, or None for a key unsafe as a literal."""
    if not KEY_RE.fullmatch(key):
        return None
    return f"""CAST(json_extract({alias}meta, '$."{key}"') AS TEXT)"""


def indexed_keys(conn: sqlite3.Connection) -> set[str]:
    return {row[0][len(PREFIX):] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE ? ESCAPE '\\'",
        (PREFIX.replace("_", "\\_") + "%",))}


def indexable(metas: Iterable[Mapping | None]) -> set[str]:
    """The keys of these meta dicts whose every value is a short scalar."""
    good: set[str] = set()
    bad: set[str] = set()
    for meta in metas:
        for key, value in (meta or {}).items():
            if key in bad:
                continue
            short = isinstance(value, (str, int, float, bool)) and len(str(value)) <= MAX_VALUE
            if short and KEY_RE.fullmatch(key):
                good.add(key)
            else:
                bad.add(key)
    return good - bad


def ensure_meta_indexes(conn: sqlite3.Connection, keys: Iterable[str]) -> list[str]:
    """Create the missing indexes of ``keys`` (up to MAX_INDEXES in all); the ones made."""
    have = indexed_keys(conn)
    made = []
    for key in dict.fromkeys(keys):
        if key in have:
            continue
        if len(have) + len(made) >= MAX_INDEXES:
            break
        expression = meta_sql(key)
        if expression is None:
            continue
        conn.execute(f'CREATE INDEX IF NOT EXISTS "{PREFIX}{key}" ON documents({expression})')
        made.append(key)
    return made


def index_stored_meta(conn: sqlite3.Connection) -> list[str]:
    """Index the short scalar keys already stored (used by the migration that adds this)."""
    rows = conn.execute(
        "SELECT j.key, max(j.type IN ('object', 'array') OR length(j.value) > ?)"
        " FROM documents d, json_each(d.meta) j WHERE d.meta IS NOT NULL"
        " GROUP BY j.key ORDER BY count(*) DESC", (MAX_VALUE,)).fetchall()
    return ensure_meta_indexes(conn, [key for key, long in rows if not long])
