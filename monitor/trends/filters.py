"""Document filters and groups on metadata: ``--where country=CHN`` and ``--by country``.

A filter names a document field: one of the columns ``source``, ``language``, ``title``,
``url``, ``external_id``, or any key of the document's ``meta`` JSON (``country``,
``party``, ``president``, ``session``...). Values are compared as text, so
``session=77`` matches the JSON number 77 and the string "77".

>>> parse_where("country=CHN"), parse_where("party != Republican")
>>> parse_where("country in CHN,USA,RUS"), parse_where("country not in (CHN, USA)")

Several filters all apply (AND). ``where_sql`` turns them into a SQL condition on a
``documents`` row aliased ``d`` joined to its ``sources`` row ``s``: the same filters for
``trend``, ``chart``, ``counts``, reports and any other stage that selects documents.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..store.fields import meta_sql

COLUMNS = {"source": "s.name", "language": "d.language", "title": "d.title", "url": "d.url",
           "external_id": "d.external_id"}
"""Fields that are document columns rather than ``meta`` keys."""
OPERATORS = ("=", "!=", "in", "not in")
NONE = "(none)"
"""The group of documents whose field has no value (``--by``)."""

_FIELD = r"[A-Za-z_][\w.\-]*"
_WHERE_RE = re.compile(
    rf"\s*(?P<field>{_FIELD})\s*(?:(?P<op>!=|=)|\s(?P<word>not\s+in|in)\s)\s*(?P<value>.*?)\s*",
    re.S | re.I,
)


@dataclass(frozen=True)
class Where:
    """One filter: ``field op values`` (``=`` and ``!=`` have one value)."""

    field: str
    op: str
    values: tuple[str, ...]

    def __str__(self) -> str:
        if self.op in ("=", "!="):
            return f"{self.field}{self.op}{self.values[0]}"
        return f"{self.field} {self.op} {','.join(self.values)}"


def parse_where(text: str) -> Where:
    """``'country=CHN'`` -> ``Where('country', '=', ('CHN',))``; ValueError says the syntax."""
    match = _WHERE_RE.fullmatch(text or "")
    if not match or not match.group("value"):
        raise ValueError(
            f"cannot read filter {text!r}: write FIELD=VALUE, FIELD!=VALUE, FIELD in A,B or"
            " FIELD not in A,B (FIELD is source, language, title or a meta key such as country)"
        )
    field, value = match.group("field"), match.group("value")
    if match.group("op"):
        return Where(field, match.group("op"), (value,))
    op = " ".join(match.group("word").lower().split())
    inner = value[1:-1] if value.startswith("(") and value.endswith(")") else value
    values = tuple(v.strip().strip("'\"") for v in inner.split(",") if v.strip())
    if not values:
        raise ValueError(f"filter {text!r}: '{op}' needs a comma-separated list of values")
    return Where(field, op, values)


def parse_wheres(items: Sequence[str | Where]) -> list[Where]:
    return [item if isinstance(item, Where) else parse_where(item) for item in items]


def field_sql(field: str) -> tuple[str, list]:
    """The SQL expression (as text) of a document field, and its arguments."""
    if field in COLUMNS:
        return COLUMNS[field], []
    return "CAST(json_extract(d.meta, ?) AS TEXT)", [f'$."{field}"']


def where_sql(wheres: Sequence[Where]) -> tuple[str, list]:
    """`` AND ...`` conditions for the filters (empty string for none), and their arguments.

    ``!=`` and ``not in`` keep documents without the field, which are not equal to it.
    ``=`` and ``in`` on a meta key select the documents by that key's index (see
    :mod:`monitor.store.fields`), or by a scan where it has none.
    """
    parts, args = [], []
    for where in wheres:
        expr, expr_args = field_sql(where.field)
        marks = ",".join("?" * len(where.values))
        indexed = None if where.field in COLUMNS else meta_sql(where.field)
        if where.op in ("=", "in") and indexed:  # the form the meta index answers
            parts.append(f"d.id IN (SELECT id FROM documents WHERE {indexed} IN ({marks}))")
            args += list(where.values)
            continue
        if where.op in ("=", "in"):
            parts.append(f"{expr} IN ({marks})")
        else:
            parts.append(f"({expr} IS NULL OR {expr} NOT IN ({marks}))")
            args += expr_args
        args += expr_args + list(where.values)
    return "".join(f" AND {p}" for p in parts), args


__all__ = ["COLUMNS", "NONE", "OPERATORS", "Where", "field_sql", "parse_where",
           "parse_wheres", "where_sql"]
