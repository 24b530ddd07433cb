"""The SQL side of trends and reports: naming series and counting terms.

A query's documents are the ones *tallied* for the lexicons involved, in the temporary
table of its frame (:mod:`monitor.trends.frame`: one row per lexicon and document, with
its bucket and group), which the counting queries here join and ``GROUP BY``.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .frame import DocumentFrame



@dataclass
class Series:
    """A named set of terms of one lexicon: a term label or a category and its subtree."""

    name: str
    lexicon: str
    lexicon_id: int
    term_ids: list[int]
    kind: str  # 'term' or 'category'
    category_id: int | None = None  # a category's row in ``categories`` (its stored totals)
    languages: tuple[str, ...] = ()  # the lexicon's (empty: every language)


CHARACTER_LANGUAGES = ("zh", "ja")
"""Languages written without spaces, where each character counts as one word."""


def word_unit(series: Sequence[Series]) -> str:
    """What ``per10k`` is per 10,000 of for these series: 'words', 'characters' (every
    lexicon is Chinese or Japanese), or 'words (characters in Chinese and Japanese)'."""
    kinds = {"characters" if s.languages and set(s.languages) <= set(CHARACTER_LANGUAGES)
             else "words" if s.languages and not set(s.languages) & set(CHARACTER_LANGUAGES)
             else "mixed" for s in series}
    if kinds == {"characters"}:
        return "characters"
    if kinds == {"words"}:
        return "words"
    return "words (characters in Chinese and Japanese)"


def lexicon_ids(conn: sqlite3.Connection) -> dict[str, int]:
    return dict(conn.execute("SELECT name, id FROM lexicons ORDER BY name"))


def lexicon_name(name_or_path: str | None) -> str | None:
    """A lexicon given by name, or by YAML file as everywhere else: the name it declares."""
    if name_or_path is None:
        return None
    if name_or_path.endswith((".yaml", ".yml")) or os.sep in name_or_path:
        from ..lexicon import LexiconError, load_lexicon

        try:
            return load_lexicon(name_or_path).name
        except (LexiconError, OSError) as exc:
            raise ValueError(str(exc).splitlines()[0]) from None
    return name_or_path


def resolve_series(
    conn: sqlite3.Connection, name: str, lexicon: str | None = None,
    notes: list[str] | None = None,
) -> Series:
    """Find the terms a series name stands for; ValueError says how to fix a bad name.

    ``name`` is a category path (its terms and its sub-categories'), a term label, a
    variant of a term (which stands for its term), or either prefixed ``lexicon:``.
    Within one lexicon a category wins over a term of the same name (noted). A name
    that several lexicons know equally well is an error listing ``lexicon:name``
    candidates; an exact name wins over a case-insensitive or variant match elsewhere.
    """
    known = lexicon_ids(conn)
    head, sep, rest = name.partition(":")
    item, target = name, lexicon_name(lexicon)
    if target is not None and target not in known and lexicon != target:
        raise ValueError(f"lexicon {target!r} ({lexicon}) is not tallied yet:"
                         f" run monitor tally --lexicon {lexicon}")
    if sep and head in known:
        if target and target != head:
            raise ValueError(f"series {name!r} names lexicon {head!r} but --lexicon is {lexicon!r}")
        item, target = rest, head
    if target is not None and target not in known:
        raise ValueError(
            f"unknown lexicon {target!r}; known: {', '.join(known) or 'none (tally first)'}"
        )
    if not known:
        raise ValueError(f"unknown series {name!r}: not tallied yet: run monitor tally")
    names = {v: k for k, v in known.items()}
    scope = [known[target]] if target is not None else sorted(known.values())
    # per lexicon: {kind: term ids} at the best tier found (0 exact, 1 any case, 2 variant)
    best: dict[int, tuple[int, dict[str, list[int]]]] = {}
    escaped = item.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    marks = ",".join("?" * len(scope))
    for tier, kind, condition, values in (
        (0, "category", "(t.category = ? OR t.category LIKE ? ESCAPE '\\')",
         [item, escaped + "/%"]),
        (0, "term", "t.label = ?", [item]),
        (1, "term", "t.label = ? COLLATE NOCASE", [item]),
    ):
        for lexicon_id, term_id in conn.execute(
            f"SELECT t.lexicon_id, t.id FROM terms t WHERE {condition}"
            f" AND t.lexicon_id IN ({marks}) ORDER BY t.id", [*values, *scope],
        ):
            have = best.setdefault(lexicon_id, (tier, {}))
            if have[0] == tier:
                have[1].setdefault(kind, [])
                if term_id not in have[1][kind]:
                    have[1][kind].append(term_id)
    if not best:
        for lexicon_id, term_ids in _variant_matches(conn, item, scope).items():
            best[lexicon_id] = (2, {"term": term_ids})
    if not best:
        raise ValueError(
            f"unknown series {name!r}: no term, variant or category of that name"
            + (f" in lexicon {target!r}" if target else "")
            + " (names are term labels or category paths such as hard_power/military;"
            " monitor lexicon show NAME lists them)"
        )
    top = min(tier for tier, _ in best.values())
    chosen = {lex: found for lex, (tier, found) in best.items() if tier == top}
    if len(chosen) > 1:
        candidates = ", ".join(
            f"{names[lex]}:{item} ({'category' if 'category' in found else 'term'})"
            for lex, found in sorted(chosen.items(), key=lambda kv: names[kv[0]])
        )
        raise ValueError(
            f"series {name!r} is ambiguous: it is in several lexicons: {candidates};"
            " write one of these or pass --lexicon"
        )
    (lexicon_id, found), = chosen.items()
    if len(found) > 1 and notes is not None:
        notes.append(f"{name!r} is both a category and a term in lexicon"
                     f" {names[lexicon_id]!r}; the category was used")
    kind = "category" if "category" in found else "term"
    category_id = None
    if kind == "category":
        found_id = conn.execute(
            "SELECT id FROM categories WHERE lexicon_id = ? AND path = ?",
            (lexicon_id, item)).fetchone()
        if found_id is None:
            raise ValueError(f"category {name!r} has no stored totals yet: run monitor tally")
        category_id = found_id[0]
    language = conn.execute("SELECT language FROM lexicons WHERE id = ?",
                            (lexicon_id,)).fetchone()[0]
    languages = tuple(code for code in (language or "").split(",") if code)
    return Series(name, names[lexicon_id], lexicon_id, found[kind], kind, category_id, languages)


def _variant_matches(conn: sqlite3.Connection, item: str,
                     scope: Sequence[int]) -> dict[int, list[int]]:
    """Terms that list ``item`` as a variant, per lexicon id, read from the lexicon files.

    The store keeps term labels only; variants come from each lexicon's recorded path.
    A file that is gone or unreadable is skipped (its labels still resolve).
    """
    from ..lexicon import LexiconError, load_lexicon

    out: dict[int, list[int]] = {}
    folded = item.casefold()
    rows = conn.execute(
        f"SELECT id, path FROM lexicons WHERE id IN ({','.join('?' * len(scope))})"
        " AND path IS NOT NULL", list(scope)).fetchall()
    for lexicon_id, path in rows:
        try:
            lexicon = load_lexicon(path)
        except (LexiconError, OSError, ValueError):
            continue
        labels = [(t.category, t.label) for t in lexicon.terms
                  if any(v.casefold() == folded for v in t.variants)]
        for category, label in labels:
            row = conn.execute(
                "SELECT id FROM terms WHERE lexicon_id = ? AND category = ? AND label = ?",
                (lexicon_id, category, label)).fetchone()
            if row:
                out.setdefault(lexicon_id, []).append(row[0])
    return out


#: The frame's documents are looked up in a series' rows when they are fewer than this
#: many times those rows (within the frame's range of document ids); else the rows are read
#: and looked up in the frame. Both cost one B-tree probe per item.
SMALL_FRAME = 1.0


def small_frame(conn: sqlite3.Connection, frame: DocumentFrame, lexicon_id: int,
                rows_sql: str, args: Sequence) -> bool:
    """True when the frame's documents of ``lexicon_id`` are fewer than ``SMALL_FRAME``
    times the rows of ``rows_sql`` (a ``SELECT`` of one series' rows, ``args`` its
    arguments, then the frame's first and last document ids). Counting stops there, so
    this costs no more than either way of reading."""
    n = frame.rows[lexicon_id]
    if SMALL_FRAME <= 0 or not n:
        return False
    first, last = frame.id_range[lexicon_id]
    limit = min(n / SMALL_FRAME, 2**62)
    return conn.execute(f"SELECT 1 FROM ({rows_sql} LIMIT 1 OFFSET ?)",
                        [*args, first, last, int(limit)]).fetchone() is not None


def series_counts(conn: sqlite3.Connection, frame: DocumentFrame,
                  series: Series) -> dict[tuple[str, str], tuple[int, int]]:
    """(bucket, group) -> (occurrences, documents mentioning) for one series.

    A category reads its stored totals (a span counted once), a term its counts. The
    tables are keyed by term or category first, so either the series' own rows (between
    the frame's first and last document) are read and each document looked up in the
    frame's table, or, when the frame holds fewer documents than the series has rows,
    each frame document is looked up in the series' rows. ``CROSS JOIN`` keeps SQLite to
    the chosen order: no query reads or sorts all counts to answer about one series.
    """
    table = f"temp.{frame.table}"
    if series.category_id is not None:
        rows, args = ("SELECT document_id, count AS n FROM category_counts"
                      " WHERE category_id = ?"), [series.category_id]
        lookup = ("CROSS JOIN category_counts s ON s.category_id = ?"
                  " AND s.document_id = f.document_id")
    else:
        rows = ("SELECT document_id, count AS n FROM counts"
                " WHERE term_id IN (SELECT value FROM json_each(?))")
        args = [json.dumps(series.term_ids)]
        lookup = ("CROSS JOIN counts s ON s.term_id IN (SELECT value FROM json_each(?))"
                  " AND s.document_id = f.document_id")
    rows += " AND document_id BETWEEN ? AND ?"
    if not frame.rows[series.lexicon_id]:
        return {}
    if small_frame(conn, frame, series.lexicon_id, rows, args):
        sql = ("SELECT bucket, grp, sum(n), count(*) FROM (SELECT f.bucket, f.grp,"
               f" sum(s.count) AS n FROM {table} f {lookup} WHERE f.lexicon_id = ?"
               " GROUP BY f.document_id) GROUP BY bucket, grp")
        args = [*args, series.lexicon_id]
    else:
        if series.category_id is None and len(series.term_ids) > 1:  # a row per document
            rows = f"SELECT document_id, sum(n) AS n FROM ({rows}) GROUP BY document_id"
        sql = (f"SELECT f.bucket, f.grp, sum(s.n), count(*) FROM ({rows}) s"
               f" CROSS JOIN {table} f ON f.lexicon_id = ? AND f.document_id = s.document_id"
               " GROUP BY f.bucket, f.grp")
        args = [*args, *frame.id_range[series.lexicon_id], series.lexicon_id]
    return {(bucket, group): (count, docs)
            for bucket, group, count, docs in conn.execute(sql, args)}


@dataclass
class TermCount:
    """Occurrences of one term in one bucket, and how many documents mention it."""

    lexicon: str
    lexicon_id: int
    category: str
    term: str
    period: str
    count: int
    docs: int


def term_counts(conn: sqlite3.Connection, frame: DocumentFrame,
                lexicon_ids: Sequence[int] | None = None,
                term_ids: Sequence[int] | None = None) -> list[TermCount]:
    """Each term's count per bucket over the frame's documents.

    Only the terms of ``lexicon_ids`` (default: the frame's) or the ``term_ids`` given are
    read, term by term (``counts`` is keyed by term first): a term with fewer rows than
    the frame has documents has its rows read (between the frame's first and last
    document) and each looked up in the frame; a term with more has each frame document
    looked up in its rows. The cost is what the question reads, not the whole table.
    """
    lexicons = frame.lexicons if lexicon_ids is None else list(lexicon_ids)
    sql = ("SELECT id, lexicon_id FROM terms WHERE lexicon_id IN"
           " (SELECT value FROM json_each(?))")
    args = [json.dumps(lexicons)]
    if term_ids is not None:
        sql += " AND id IN (SELECT value FROM json_each(?))"
        args.append(json.dumps(list(term_ids)))
    probe: list[int] = []
    read: dict[int, list[int]] = {}
    rows_sql = "SELECT 1 FROM counts WHERE term_id = ? AND document_id BETWEEN ? AND ?"
    for term_id, lexicon_id in conn.execute(sql, args).fetchall():
        if not frame.rows[lexicon_id]:
            continue
        if small_frame(conn, frame, lexicon_id, rows_sql, [term_id]):
            probe.append(term_id)
        else:
            read.setdefault(lexicon_id, []).append(term_id)
    table = f"temp.{frame.table}"
    head = ("SELECT l.name, l.id, t.category, t.label, f.bucket, sum(c.count), count(*)"
            " FROM terms t")
    tail = (" JOIN lexicons l ON l.id = t.lexicon_id WHERE t.id IN"
            " (SELECT value FROM json_each(?)) GROUP BY t.id, f.bucket")
    out = []
    if probe:
        out += conn.execute(
            f"{head} CROSS JOIN {table} f ON f.lexicon_id = t.lexicon_id CROSS JOIN counts c"
            f" ON c.term_id = t.id AND c.document_id = f.document_id{tail}",
            [json.dumps(probe)]).fetchall()
    for lexicon_id, ids in read.items():
        out += conn.execute(
            f"{head} CROSS JOIN counts c ON c.term_id = t.id AND c.document_id BETWEEN ? AND ?"
            f" CROSS JOIN {table} f ON f.lexicon_id = t.lexicon_id"
            f" AND f.document_id = c.document_id{tail}",
            [*frame.id_range[lexicon_id], json.dumps(ids)]).fetchall()
    return [TermCount(*row) for row in out]


def top_categories(conn: sqlite3.Connection, lexicon_id: int, limit: int = 8) -> list[str]:
    """A lexicon's top-level categories; past ``limit`` of them, the most counted first."""
    top = "CASE WHEN instr(category, '/') THEN substr(category, 1, instr(category, '/') - 1)" \
          " ELSE category END"
    names = [row[0] for row in conn.execute(
        f"SELECT DISTINCT {top} FROM terms WHERE lexicon_id = ? ORDER BY 1", (lexicon_id,))]
    if len(names) <= limit:
        return names
    totals = dict(conn.execute(
        "SELECT g.path, sum(cc.count) FROM categories g CROSS JOIN category_counts cc"
        " ON cc.category_id = g.id WHERE g.lexicon_id = ? AND g.depth = 1 GROUP BY g.id",
        (lexicon_id,)))
    for name, n in conn.execute(  # and what backfilled shards counted (current fingerprint)
            "SELECT c.category, sum(c.count) FROM backfill_shards b"
            " JOIN lexicons l ON l.id = b.lexicon_id AND l.fingerprint = b.fingerprint"
            " CROSS JOIN backfill_counts c ON c.shard_id = b.id WHERE b.lexicon_id = ?"
            " AND c.kind = 'category' AND instr(c.category, '/') = 0 GROUP BY c.category",
            (lexicon_id,)):
        totals[name] = (totals.get(name) or 0) + n
    return sorted(names, key=lambda name: (-(totals.get(name) or 0), name))[:limit]
