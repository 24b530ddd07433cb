"""The SQL side of trends and reports: naming series, bucketing documents, counting terms.

A query's documents are the ones *tallied* for the lexicons involved. Each is put in its
time bucket once, in Python (ISO weeks and partial dates are easier and surer there), and
the result goes to a temporary table that the counting queries join and ``GROUP BY``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from . import periods
from .backfilled import BackfillFrame, add_backfilled, has_backfills
from .filters import NONE, Where, field_sql, where_sql


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


#: A frame table holding under this share of all documents is read document by document.
SMALL_FRAME = 0.1


def small_frame(conn: sqlite3.Connection, table: str) -> bool:
    """True when the frame is a small part of the store: then looking its documents up
    in each term's rows is cheaper than reading all those rows."""
    frame = conn.execute(f"SELECT count(*) FROM temp.{table}").fetchone()[0]
    stored = conn.execute("SELECT coalesce(max(id), 0) FROM documents").fetchone()[0]
    return frame < SMALL_FRAME * stored


def series_counts(conn: sqlite3.Connection, table: str,
                  series: Series) -> dict[tuple[str, str], tuple[int, int]]:
    """(bucket, source) -> (occurrences, documents mentioning) for one series.

    A category reads its stored totals (a span counted once), a term its counts. The
    tables are keyed by term or category first, so either the series' own rows are read
    and each document looked up in the frame table ``table``, or, for a small frame, each
    frame document is looked up in the series' rows. ``CROSS JOIN`` keeps SQLite to the
    chosen order: no query reads or sorts all counts to answer about one series.
    """
    small = small_frame(conn, table)
    if series.category_id is not None:
        args: list = [series.category_id]
        if small:
            source_sql = (f"SELECT td.document_id, cc.count AS n FROM temp.{table} td"
                          " CROSS JOIN category_counts cc ON cc.category_id = ?"
                          " AND cc.document_id = td.document_id")
        else:
            source_sql = ("SELECT document_id, count AS n FROM category_counts"
                          " WHERE category_id = ?")
    else:
        args = [json.dumps(series.term_ids)]
        if small:
            source_sql = (f"SELECT td.document_id, sum(c.count) AS n FROM temp.{table} td"
                          " CROSS JOIN counts c ON c.document_id = td.document_id"
                          " AND c.term_id IN (SELECT value FROM json_each(?))"
                          " GROUP BY td.document_id")
        else:
            source_sql = ("SELECT document_id, sum(count) AS n FROM counts"
                          " WHERE term_id IN (SELECT value FROM json_each(?))"
                          " GROUP BY document_id")
    result = conn.execute(
        "SELECT td.bucket, td.source, sum(s.n), count(*)"
        f" FROM ({source_sql}) s CROSS JOIN temp.{table} td ON td.document_id = s.document_id"
        " CROSS JOIN tallied tl ON tl.lexicon_id = ? AND tl.document_id = s.document_id"
        " GROUP BY td.bucket, td.source",
        (*args, series.lexicon_id),
    )
    return {(bucket, source): (count, docs) for bucket, source, count, docs in result}


@dataclass
class DocumentFrame:
    """The query's documents by bucket, and the denominators per lexicon, bucket, source."""

    bucket: str
    docs: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (bucket, source)
    totals: dict[tuple[int, str, str], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0])
    )  # (lexicon_id, bucket, source) -> [documents, words]
    undated: set[int] = field(default_factory=set)
    coarse: dict[int, str] = field(default_factory=dict)  # id -> precision
    out_of_range: set[int] = field(default_factory=set)
    copies: set[int] = field(default_factory=set)  # syndicated copies counted once
    sources: set[str] = field(default_factory=set)  # source names, whatever the grouping
    backfill: BackfillFrame = field(default_factory=BackfillFrame)

    @property
    def document_count(self) -> int:
        """Documents in the frame's buckets, stored and backfilled."""
        return len(self.docs) + self.backfill.documents

    def excluded_counts(self) -> dict[str, int]:
        back = self.backfill
        return {"undated": len(self.undated) + back.undated,
                "coarse": len(self.coarse) + sum(back.coarse.values()),
                "range": len(self.out_of_range) + back.out_of_range}

    def notes(self, option: str = "--bucket") -> list[str]:
        """Why documents were left out; ``option`` names the command's bucket option."""
        bucket, notes, excluded = self.bucket, [], self.excluded_counts()
        if excluded["coarse"]:
            by = Counter(self.coarse.values()) + self.backfill.coarse
            parts = [f"{n} dated only to the {p}" for p, n in sorted(by.items())]
            n = excluded["coarse"]
            notes.append(
                f"{n} {_docs(n)} left out ({', '.join(parts)}):"
                f" a {bucket} bucket needs dates to the {periods.NEEDS[bucket]};"
                f" a coarser {option} counts them"
            )
        if excluded["undated"]:
            notes.append(f"{excluded['undated']} undated {_docs(excluded['undated'])} left out")
        if excluded["range"]:
            notes.append(
                f"{excluded['range']} {_docs(excluded['range'])} left out: dated"
                " too coarsely to tell whether they fall within --since/--until"
            )
        if self.copies:
            notes.append(
                f"{len(self.copies)} syndicated {_docs(len(self.copies))} counted once with"
                " the first of their cluster (--all-copies counts every copy)"
            )
        back = self.backfill
        if back.left_out:
            notes.append("backfilled documents left out: --where and --by FIELD filter on"
                         " document fields, which a backfill does not keep")
        if back.documents:
            total = self.document_count
            notes.append(
                f"{back.documents} of the {total} {_docs(total)} come from {back.shards}"
                f" backfilled {'shard' if back.shards == 1 else 'shards'} (monitor backfill)"
            )
        return notes


def _docs(n: int) -> str:
    return "document" if n == 1 else "documents"


def frame_documents(
    conn: sqlite3.Connection, lexicon_ids_: Sequence[int], bucket: str,
    sources: Sequence[str] = (), since: str | None = None, until: str | None = None,
    where: Sequence[Where] = (), group: str | None = None,
    all_copies: bool = False, per_source: bool = False,
) -> DocumentFrame:
    """Bucket every document tallied for any of ``lexicon_ids_`` (filtered) once.

    Syndicated copies (documents of one ``cluster_id``) count once, as the cluster's first
    document in the frame (once per source with ``per_source``), unless ``all_copies``.

    ``since``/``until`` keep documents whose whole date span lies inside the range; a
    document dated '2021' is out of ``--since 2021-06`` (noted), not guessed to be in.
    ``where`` filters on document fields (:mod:`monitor.trends.filters`). ``group`` names
    a field whose value takes the place of the source name (``--by country``); documents
    without it are in the group ``(none)``.
    """
    frame = DocumentFrame(bucket)
    if sources:
        known = {row[0] for row in conn.execute("SELECT name FROM sources")}
        unknown = [s for s in sources if s not in known]
        if unknown:
            raise ValueError(
                f"unknown source {unknown[0]!r}; known: {', '.join(sorted(known)) or 'none'}"
            )
    low = periods.date_bounds(since)[0] if since else date.min
    high = periods.date_bounds(until)[1] if until else date.max
    if low > high:
        raise ValueError(f"--since {since} is after --until {until}: nothing can match")
    label, args = ("s.name", []) if group is None else field_sql(group)
    sql = (
        f"SELECT t.lexicon_id, d.id, coalesce({label}, '{NONE}'), d.published, d.precision,"
        " d.word_count, coalesce(d.cluster_id, d.id), s.name"
        " FROM tallied t JOIN documents d ON d.id = t.document_id"
        " JOIN sources s ON s.id = d.source_id"
        f" WHERE t.lexicon_id IN ({','.join('?' * len(lexicon_ids_))})"
    )
    args += list(lexicon_ids_)
    if sources:
        sql += f" AND s.name IN ({','.join('?' * len(sources))})"
        args += list(sources)
    condition, condition_args = where_sql(where)
    sql += condition
    args += condition_args
    bounds: dict[str, tuple[date, date]] = {}
    keys: dict[tuple[str, str], str | None] = {}
    seen: set[tuple] = set()
    for lexicon_id, doc_id, source, published, precision, words, cluster, name in conn.execute(
            sql + " ORDER BY t.lexicon_id, d.id", args):
        if published is None:
            frame.undated.add(doc_id)
            continue
        partly = False
        if since or until:
            if published not in bounds:
                bounds[published] = periods.date_bounds(published)
            first, last = bounds[published]
            if last < low or first > high:
                continue
            partly = first < low or last > high
        if (published, precision) not in keys:
            keys[published, precision] = periods.bucket_key(published, precision, bucket)
        key = keys[published, precision]
        if key is None:
            frame.coarse[doc_id] = precision
            continue
        if partly:
            frame.out_of_range.add(doc_id)
            continue
        if not all_copies:
            copy = (lexicon_id, cluster, source if per_source else None)
            if copy in seen:
                frame.copies.add(doc_id)
                continue
            seen.add(copy)
        frame.docs[doc_id] = (key, source)
        frame.sources.add(name)
        cell = frame.totals[lexicon_id, key, source]
        cell[0] += 1
        cell[1] += words
    if where or group:
        frame.backfill.left_out = has_backfills(conn)
    else:
        add_backfilled(conn, frame, list(lexicon_ids_), sources, low, high,
                       bool(since or until))
    return frame


@contextmanager
def temp_documents(conn: sqlite3.Connection, frame: DocumentFrame) -> Iterator[str]:
    """A temporary table ``(document_id, bucket, source)`` of the frame; dropped after."""
    name = f"trend_docs_{uuid.uuid4().hex[:12]}"
    conn.execute(
        f"CREATE TEMP TABLE {name} (document_id INTEGER PRIMARY KEY, bucket TEXT NOT NULL,"
        " source TEXT NOT NULL)"
    )
    try:
        own = not conn.in_transaction
        if own:
            conn.execute("BEGIN")
        conn.executemany(
            f"INSERT INTO temp.{name} VALUES (?, ?, ?)",
            ((doc_id, key, source) for doc_id, (key, source) in frame.docs.items()),
        )
        if own:
            conn.execute("COMMIT")
        yield name
    finally:
        conn.execute(f"DROP TABLE IF EXISTS temp.{name}")


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


def term_counts(conn: sqlite3.Connection, table: str, lexicon_ids: Sequence[int] | None = None,
                term_ids: Sequence[int] | None = None) -> list[TermCount]:
    """Each term's count per bucket over the documents in temporary table ``table``.

    Only the terms of ``lexicon_ids`` (default: all) or the ``term_ids`` given are read,
    term by term (``counts`` is keyed by term first): each term's rows with each document
    looked up in the frame, or, for a small frame, each frame document looked up in the
    term's rows. The cost is what the question reads, not the whole table.
    """
    where, args = "", []
    if term_ids is not None:
        where = " WHERE t.id IN (SELECT value FROM json_each(?))"
        args = [json.dumps(list(term_ids))]
    elif lexicon_ids is not None:
        where = " WHERE t.lexicon_id IN (SELECT value FROM json_each(?))"
        args = [json.dumps(list(lexicon_ids))]
    if small_frame(conn, table):
        join = (f" CROSS JOIN temp.{table} td CROSS JOIN counts c"
                " ON c.term_id = t.id AND c.document_id = td.document_id")
    else:
        join = (" CROSS JOIN counts c ON c.term_id = t.id"
                f" CROSS JOIN temp.{table} td ON td.document_id = c.document_id")
    rows = conn.execute(
        "SELECT l.name, l.id, t.category, t.label, td.bucket, sum(c.count), count(*)"
        f" FROM terms t{join} JOIN lexicons l ON l.id = t.lexicon_id"
        " JOIN tallied tl ON tl.lexicon_id = t.lexicon_id AND tl.document_id = c.document_id"
        f"{where} GROUP BY t.id, td.bucket", args,
    )
    return [TermCount(*row) for row in rows]


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
