"""The SQL frame (monitor/trends/frame.py) answers as the Python loop it replaced.

Real UN speeches, dated to the day, the month or the year, some undated; a second source
carrying copies of some of them (clustered as syndicated copies when ingested); a country
field for --where and --by; two lexicons, the second not tallied for the last documents
ingested; and a backfilled shard of other speeches. Every query of a grid of buckets,
bounds, filters and groupings must give the same denominators, notes, series counts and
term counts as tests/legacy_frame.py, the computation as it was before issue 10.
"""

from __future__ import annotations

import gzip
import itertools
import json
from collections import Counter

import pytest
from legacy_frame import (
    legacy_frame,
    legacy_period_totals,
    legacy_series_counts,
    legacy_table,
    legacy_term_counts,
    one_period,
)
from shared_corpora import corpus_path

from monitor import Database
from monitor.documents import Document
from monitor.lexicon import resolve_lexicon
from monitor.tally import tally_documents
from monitor.trends import CountQuery, TrendQuery, parse_wheres, read_counts, trend
from monitor.trends.data import resolve_series, series_counts, term_counts
from monitor.trends.frame import TOTAL, document_frame

pytestmark = pytest.mark.corpus
SERIES = ["power:security", "power:hard_power", "power:militar*", "power:soft_power",
          "soft_power_pillars:culture"]


def _speeches(n: int) -> list[dict]:
    with gzip.open(corpus_path("ungdc/ungdc_1946_2024.jsonl.gz"), "rt",
                   encoding="utf-8") as f:
        return [json.loads(line) for line in itertools.islice(f, 0, None, 10952 // n)][:n]


def _date(i: int, year: int) -> tuple[str | None, str | None]:
    if i % 17 == 5:
        return None, None
    return [(f"{year}", "year"), (f"{year}-{i % 12 + 1:02d}", "month"),
            (f"{year}-{i % 12 + 1:02d}-{i % 27 + 1:02d}", "day")][i % 3]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    speeches = _speeches(160)
    root = tmp_path_factory.mktemp("frame")
    db = Database(root / "frame.db")
    docs = []
    for i, s in enumerate(speeches[:130]):
        published, precision = _date(i, s["year"])
        docs.append(Document(text=s["text"], source="un", external_id=s["id"],
                             published=published, precision=precision,
                             meta={"country": s["country"]} if i % 11 else {}))
    for i, s in enumerate(speeches[:130:9]):  # the copies, in another source
        published, precision = _date(i * 9, s["year"])
        docs.append(Document(text=s["text"] + "\n\nDistributed by the wire.", source="wire",
                             external_id=f"wire-{s['id']}", published=published,
                             precision=precision, meta={"country": s["country"]}))
    db.add_documents(docs[:120])
    power, pillars = resolve_lexicon("power"), resolve_lexicon("soft_power_pillars")
    tally_documents(db, [power, pillars], workers=1)
    db.add_documents(docs[120:])
    tally_documents(db, [power], workers=1)  # pillars misses the last ones
    shard = root / "archive"
    shard.mkdir()
    with gzip.open(shard / "part-0.jsonl.gz", "wt", encoding="utf-8") as out:
        for s in speeches[130:]:
            out.write(json.dumps({"id": s["id"], "year": s["year"], "text": s["text"]}) + "\n")
    from monitor.backfill import backfill

    backfill(db, [str(shard)], [power, pillars], workers=1)
    yield db
    db.close()


def test_the_corpus_has_what_the_comparison_needs(db) -> None:
    conn = db.conn
    assert conn.execute("SELECT count(*) FROM documents WHERE cluster_id != id").fetchone()[0] > 5
    assert conn.execute("SELECT count(*) FROM documents WHERE published IS NULL").fetchone()[0]
    precisions = {p for (p,) in conn.execute("SELECT DISTINCT precision FROM documents")}
    assert precisions == {None, "day", "month", "year"}
    assert conn.execute("SELECT count(*) FROM backfill_shards").fetchone()[0] == 2
    per_lexicon = conn.execute("SELECT count(*) FROM tallied GROUP BY lexicon_id").fetchall()
    assert len({n for (n,) in per_lexicon}) == 2  # the second lexicon misses documents


GRID = [
    dict(bucket="year"),
    dict(bucket="month"),
    dict(bucket="week", since="1990", until="2010"),
    dict(bucket="day", since="1995-03", until="2015-06-10"),
    dict(bucket="quarter", since="1985-06", until="2005", sources=("un",)),
    dict(bucket="decade"),
    dict(bucket="year", per_source=True),
    dict(bucket="year", all_copies=True),
    dict(bucket="month", per_source=True, since="1980"),
    dict(bucket="year", where=("country in CHN,USA,FRA,GBR,RUS,IND,BRA",)),
    dict(bucket="year", group="country", per_source=True),
    dict(bucket="month", group="country", per_source=True, until="2000",
         where=("country != USA",)),
    dict(bucket="year", sources=("wire",), until="1999-06"),
]


def _new(conn, lexicons, spec, series):
    spec = dict(spec, where=parse_wheres(spec.get("where", ())))
    with document_frame(conn, lexicons, **spec) as frame:
        counts = {s.name: series_counts(conn, frame, s) for s in series}
        terms = {(c.lexicon_id, c.category, c.term, c.period): (c.count, c.docs)
                 for c in term_counts(conn, frame)}
    return frame, counts, terms


@pytest.mark.parametrize("spec", GRID, ids=[str(i) for i in range(len(GRID))])
@pytest.mark.parametrize("both", [False, True], ids=["power", "both"])
def test_frame_answers_as_the_python_loop(db, spec, both) -> None:
    conn = db.conn
    series = [resolve_series(conn, name) for name in SERIES if both or name.startswith("power")]
    lexicons = sorted({s.lexicon_id for s in series})
    frame, counts, terms = _new(conn, lexicons, spec, series)
    old = legacy_frame(conn, lexicons, **dict(spec, where=parse_wheres(spec.get("where", ()))))
    with legacy_table(conn, old) as table:
        old_counts = {s.name: legacy_series_counts(conn, table, s.lexicon_id, s.term_ids,
                                                   s.category_id) for s in series}
        old_terms = legacy_term_counts(conn, table, lexicons)
    assert {k: tuple(v) for k, v in frame.totals.items()} == \
        {k: tuple(v) for k, v in old.totals.items()}
    assert frame.sources == old.sources
    assert frame.document_count == old.document_count
    assert frame.excluded_counts() == old.excluded_counts()
    assert frame.coarse + frame.backfill.coarse == old.coarse_by_precision()
    assert frame.copies == len(old.copies)
    assert counts == old_counts
    assert {k[:3] + (k[3],): v for k, v in terms.items()} == \
        {(lid, cat, term, period): v for (lid, cat, term, period), v in old_terms.items()}
    assert frame.document_count and any(counts.values())  # the grid asks real questions


@pytest.mark.parametrize("spec", [
    dict(), dict(since="1970", until="2000-06"), dict(group="country"),
    dict(group="country", since="1990"), dict(sources=("un",), where=("country=CHN",)),
])
def test_one_period_answers_as_before(db, spec) -> None:
    """``monitor counts --by total`` / ``--by FIELD``: undated documents count unless
    bounded, backfills too, every group its own period. (Every copy counted: undated
    copies are now counted once, as dated ones always were; see the test below.)"""
    conn = db.conn
    lexicons = sorted({resolve_series(conn, n).lexicon_id for n in SERIES})
    where = parse_wheres(spec.get("where", ()))
    args = dict(sources=spec.get("sources", ()), since=spec.get("since"),
                until=spec.get("until"), where=where, group=spec.get("group"),
                all_copies=True)
    frame, terms, totals = _one_period(conn, lexicons, args)
    old = legacy_frame(conn, lexicons, "year", **args)
    one_period(conn, old, bool(args["since"] or args["until"]), args["group"])
    with legacy_table(conn, old) as table:
        old_terms = legacy_term_counts(conn, table, lexicons)
        old_totals = legacy_period_totals(conn, table, old, lexicons)
    assert terms == old_terms
    assert totals == old_totals
    assert frame.document_count == old.document_count
    assert frame.excluded_counts() == old.excluded_counts()


def _one_period(conn, lexicons, args):
    with document_frame(conn, lexicons, TOTAL, **args) as frame:
        terms = {(c.lexicon_id, c.category, c.term, c.period): (c.count, c.docs)
                 for c in term_counts(conn, frame)}
        totals = Counter()
        for (lexicon_id, period, _), (n, _) in frame.totals.items():
            totals[lexicon_id, period] += n
    return frame, terms, dict(totals)


def test_undated_copies_count_once_in_the_one_period(db) -> None:
    """The loop counted every undated copy in ``--by total``, though it counted dated
    copies once: now both count once (per lexicon, the cluster's first document)."""
    conn = db.conn
    power = resolve_series(conn, "power:security").lexicon_id
    every, _, every_totals = _one_period(conn, [power], dict(all_copies=True))
    once, _, once_totals = _one_period(conn, [power], {})
    old = legacy_frame(conn, [power], "year")
    one_period(conn, old, False)
    undated_copies = conn.execute(
        "SELECT count(*) FROM documents d JOIN tallied t ON t.document_id = d.id"
        " AND t.lexicon_id = ? WHERE d.published IS NULL AND d.cluster_id != d.id"
        " AND d.cluster_id IN (SELECT document_id FROM tallied WHERE lexicon_id = ?)",
        (power, power)).fetchone()[0]
    assert undated_copies > 0
    assert once.copies == len(old.copies) + undated_copies
    assert once.stored == len(old.docs) - undated_copies == every.stored - once.copies
    assert once_totals[power, "all"] == every_totals[power, "all"] - once.copies


def test_answers_hold_whichever_read_order(db, monkeypatch) -> None:
    """A series' rows are read and looked up in the frame, or the frame's documents are
    looked up in the series' rows (the fewer of the two): both give the same answers."""
    from monitor.trends import data

    queries = [CountQuery(names=("power:security", "militar*"), by="year", since="1980"),
               CountQuery(names=("hard_power",), by="country"),
               CountQuery(lexicon="power", by="total", until="1999"),
               CountQuery(names=("security",), by="document", since="2000")]
    trends = [TrendQuery(SERIES, bucket="year", by_source=True),
              TrendQuery(["hard_power", "soft_power_pillars:culture"], bucket="month",
                         since="1990")]
    expected = ([read_counts(db, q) for q in queries], [trend(db, q).to_csv() for q in trends])
    for threshold in (float("inf"), 0.0):
        monkeypatch.setattr(data, "SMALL_FRAME", threshold)
        assert ([read_counts(db, q) for q in queries],
                [trend(db, q).to_csv() for q in trends]) == expected
