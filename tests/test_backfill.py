"""monitor backfill on a real Dask LocalCluster: the same answers as ingest + tally.

The UN sample is 240 speeches across 1946-2024 in 8 gzip'd JSON Lines shards; a
synthetic Parquet archive with day dates, several sources and mapped field names checks
the field mapping and finer buckets. Each comparison is against the same records
ingested and tallied into another database.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from shared_corpora import corpus_path

from monitor import Database
from monitor.backfill import backfill
from monitor.cli import main
from monitor.lexicon import resolve_lexicon
from monitor.sources import FieldMap, ReadOptions
from monitor.tally import tally_documents
from monitor.trends import TrendQuery, trend

pytest.importorskip("dask.distributed")
pytestmark = pytest.mark.corpus

QUERIES = [
    dict(series=["hard_power", "soft_power", "security", "militar*"], bucket="year"),
    dict(series=["hard_power/coerce", "soft_power"], bucket="year", measure="per10k",
         since="1960", until="1999", smooth=3),
    dict(series=["power:soft_power/attract"], bucket="year", measure="docs", by_source=True),
    dict(series=["hard_power"], bucket="month"),
]


def answers(db: Database, queries=QUERIES) -> list:
    """Every query's CSV, left-out counts and notes (less the backfill note)."""
    out = []
    for spec in queries:
        result = trend(db, TrendQuery(**spec))
        notes = [n for n in result.notes if "backfilled" not in n]
        out.append((result.to_csv(), result.excluded, notes, result.documents))
    return out


@pytest.fixture(scope="module")
def un(tmp_path_factory) -> dict:
    """8 shards of a UN sample, and the same speeches ingested and tallied."""
    root = tmp_path_factory.mktemp("un")
    with gzip.open(corpus_path("ungdc/ungdc_1946_2024.jsonl.gz"), "rt") as stream:
        lines = stream.readlines()
    random.Random(15).shuffle(lines)
    sample = lines[:240]
    shards = root / "un"
    shards.mkdir()
    for i in range(8):
        with gzip.open(shards / f"part-{i}.jsonl.gz", "wt") as out:
            out.writelines(sample[i::8])
    reference = Database(root / "ingested.db")
    runner = CliRunner()
    result = runner.invoke(main, ["--db", str(reference.path), "ingest", str(shards)])
    assert result.exit_code == 0, result.output
    tally_documents(reference, [resolve_lexicon("power")], workers=1)
    yield {"root": root, "shards": shards, "reference": reference,
           "answers": answers(reference), "sample": sample}
    reference.close()


def test_backfill_on_two_workers_answers_as_ingest_and_tally(un, tmp_path) -> None:
    db = Database(tmp_path / "backfilled.db")
    seen = []
    report = backfill(db, [str(un["shards"])], [resolve_lexicon("power")], workers=2,
                      progress=seen.append)
    assert report.ok and report.tallied == 8 and report.workers == 2
    assert report.documents == 240 and db.document_count() == 0  # texts stay in the shards
    assert [p.shards_done for p in seen] == list(range(1, 9)) and seen[-1].documents == 240
    assert answers(db) == un["answers"]
    # reports rank a lexicon's categories by what was counted, backfilled or stored
    from monitor.trends.data import top_categories

    ranked = [top_categories(d.conn, 1, limit=1) for d in (db, un["reference"])]
    assert ranked[0] == ranked[1] and len(ranked[0]) == 1
    result = trend(db, TrendQuery(["hard_power"]))
    assert result.documents == 240
    assert any("240 of the 240 documents come from 8 backfilled shards" in n
               for n in result.notes)
    # a category counts a span once ("national security" is one hard_power span, two terms)
    spans = sum(r.count or 0 for r in trend(db, TrendQuery(["hard_power"], measure="count")).rows)
    terms, = un["reference"].conn.execute(
        "SELECT sum(count) FROM term_counts WHERE category LIKE 'hard_power/%'").fetchone()
    assert 0 < spans < terms
    kind, = db.conn.execute("SELECT kind FROM sources WHERE name = 'un'").fetchone()
    assert kind == "backfill"
    # again: every shard is known, nothing is tallied, the answers stay
    again = backfill(db, [str(un["shards"])], [resolve_lexicon("power")], workers=2)
    assert (again.skipped, again.tallied, again.documents) == (8, 0, 0)
    assert answers(db) == un["answers"]
    # the per-document partials are Parquet that DuckDB reads as it is
    duckdb = pytest.importorskip("duckdb")
    counts = str(tmp_path / "backfilled.db.backfill" / "power-*" / "*" / "counts.parquet")
    total, = duckdb.connect().execute(
        f"SELECT sum(count) FROM '{counts}' WHERE term = 'security'").fetchone()
    stored, = un["reference"].conn.execute(
        "SELECT sum(count) FROM term_counts WHERE term = 'security'").fetchone()
    assert total == stored > 0
    db.close()


def test_a_corrupt_shard_fails_alone(un, tmp_path) -> None:
    shards = tmp_path / "un"
    shards.mkdir()
    for part in un["shards"].iterdir():
        (shards / part.name).write_bytes(part.read_bytes())
    whole = (shards / "part-7.jsonl.gz").read_bytes()
    (shards / "part-7.jsonl.gz").write_bytes(whole[: len(whole) // 2])  # truncated gzip
    (shards / "extra.parquet").write_text("not parquet")
    db_path = tmp_path / "backfilled.db"
    result = CliRunner().invoke(main, ["--db", str(db_path), "backfill", str(shards),
                                       "--lexicon", "power", "--workers", "2"])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 2, result.output
    assert any("part-7.jsonl.gz: unreadable shard (" in line for line in errors)
    assert any("extra.parquet: not a Parquet file (" in line for line in errors)
    assert "Traceback" not in result.output
    assert "backfilled 7 of 9 shards" in result.output
    db = Database(db_path)
    assert trend(db, TrendQuery(["hard_power"])).documents == 210
    # the other 7 shards give what ingest + tally of their speeches give
    reference = Database(tmp_path / "seven.db")
    reference.add_documents(_documents(un["sample"], skip=7), kind="files")
    tally_documents(reference, [resolve_lexicon("power")], workers=1)
    assert answers(db) == answers(reference)
    db.close()
    reference.close()


def _documents(lines: list[str], skip: int):
    from monitor import Document
    from monitor.dates import parse_date

    for i, line in enumerate(lines):
        if i % 8 == skip:
            continue
        record = json.loads(line)
        published, precision = parse_date(record["year"])
        yield Document(text=record["text"], source="un", external_id=record["id"],
                       published=published, precision=precision)


def test_a_killed_backfill_resumes_and_ends_equal(un, tmp_path) -> None:
    db_path = tmp_path / "killed.db"
    command = [sys.executable, "-m", "monitor", "--db", str(db_path), "backfill",
               str(un["shards"]), "--lexicon", "power", "--workers", "1"]
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env={**os.environ})
    loaded = 0
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            loaded = _loaded(db_path)
            if loaded >= 1:
                break
            time.sleep(0.02)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the command and its Dask workers
        process.wait()
    assert 1 <= loaded < 8, "the backfill should have been killed midway"
    stopped = _loaded(db_path)
    assert stopped < 8
    db = Database(db_path)
    report = backfill(db, [str(un["shards"])], [resolve_lexicon("power")], workers=2)
    assert report.ok
    assert report.skipped >= stopped and report.skipped + report.resumed + report.tallied == 8
    assert report.tallied <= 8 - stopped
    assert answers(db) == un["answers"]
    db.close()


def _loaded(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT count(*) FROM backfill_shards").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


WORDS = ("security", "national security", "military", "militarism", "culture", "values",
         "threats", "sanctions", "persuade", "attract", "the", "and", "of", "peace",
         "development", "trade", "China's", "forces", "stability")


@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as local:
        yield local


def _records(n: int = 300) -> list[dict]:
    import datetime as dt

    rng = random.Random(7)
    records = []
    for i in range(n):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 60)))
        day = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randint(0, 700))
        records.append({"uid": f"a{i}", "Body": text.capitalize() + ".",
                        "outlet": rng.choice(["gazette", "herald", "tribune"]),
                        "Day": None if i % 37 == 0 else day, "desk": "world",
                        "lang": "fr" if i % 10 == 3 else None})  # power is for English
    records[11]["Day"] = dt.date(2099, 1, 1)  # a future date: undated, with a warning
    records.append(dict(records[5], uid="a5-copy"))  # the same text again: a duplicate
    records.append(dict(records[6], Body="   "))  # empty text: fails alone
    return records


def test_parquet_shards_with_mapped_fields_on_a_scheduler(cluster, tmp_path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from monitor.report.bundle import source_counts, term_rows
    from monitor.trends import CountQuery, read_counts

    records = _records()
    archive = tmp_path / "archive"
    archive.mkdir()
    for i in range(3):
        pq.write_table(pa.Table.from_pylist(records[i::3]), archive / f"news-{i}.parquet")
    options = ReadOptions(fields=FieldMap(text="Body", date="Day", source="outlet", id="uid"))
    db = Database(tmp_path / "backfilled.db")
    report = backfill(db, [str(archive / "*.parquet")], [resolve_lexicon("power")],
                      options=options, scheduler=cluster.scheduler_address)
    assert (report.tallied, report.failed_shards, report.failed_records) == (3, 0, 1)
    assert report.duplicates == 1  # the copy is in another shard than its original
    assert any("row " in e and "empty text in field 'Body'" in e for e in report.errors)
    assert len(report.warnings) == 1 and report.warnings[0].endswith(
        ": date '2099-01-01' is in the future (after 2026-12-01): stored as undated"
        .replace("2026-12-01", __import__("datetime").date.today().isoformat()))
    # the reference: the same records as JSON Lines, ingested with the same options
    lines = tmp_path / "news.jsonl"
    with lines.open("w") as out:
        for record in records:
            day = record["Day"]
            out.write(json.dumps({**record, "Day": day.isoformat() if day else None}) + "\n")
    reference = Database(tmp_path / "ingested.db")
    result = CliRunner().invoke(main, [
        "--db", str(reference.path), "ingest", str(lines), "--text-field", "Body",
        "--date-field", "Day", "--source-field", "outlet", "--id-field", "uid"])
    assert "added 300, skipped duplicates 1, failed 1" in result.output
    tally_documents(reference, [resolve_lexicon("power")], workers=1)
    queries = [dict(series=["hard_power", "soft_power/attract", "security"], bucket=b,
                    measure=m, by_source=s)
               for b, m, s in (("day", "share", False), ("week", "per10k", True),
                               ("month", "docs", True), ("quarter", "count", False))]
    expected = answers(reference, queries)
    got = answers(db, queries)
    # a copy in another shard is left out, as ingest skips it
    assert got == expected
    # without the copy (the shard changed) the backfill still answers as ingest + tally,
    # whichever of the two copies was loaded first
    shard = archive / "news-0.parquet"  # where the copy is (record 300)
    rows = pq.read_table(shard).to_pylist()
    pq.write_table(pa.Table.from_pylist([r for r in rows if r["uid"] != "a5-copy"]), shard)
    assert len(rows) == 101
    again = backfill(db, [str(archive)], [resolve_lexicon("power")], options=options,
                     scheduler=cluster.scheduler_address)
    assert again.tallied == 1 and again.skipped == 2  # only the changed shard is redone
    assert answers(db, queries) == expected
    by_month = CountQuery(("hard_power", "culture"), by="month")
    assert read_counts(db, by_month)[0] == read_counts(reference, by_month)[0]
    total = CountQuery(by="total")
    assert read_counts(db, total)[0] == read_counts(reference, total)[0]
    assert term_rows(db, "2022-03", 4, [], "per10k")[0] == term_rows(
        reference, "2022-03", 4, [], "per10k")[0]
    # sources.csv: the tallied documents agree (a backfill keeps no untallied documents:
    # the French ones, outside power's language, are not in the database at all)
    assert [(name, tallied) for name, _, tallied in source_counts(db, "2022-03", [])] == [
        (name, tallied) for name, _, tallied in source_counts(reference, "2022-03", [])]
    db.close()
    reference.close()


def test_copies_across_shards_and_of_ingested_documents_count_once(cluster, tmp_path) -> None:
    import shutil

    rng = random.Random(3)
    records = [{"id": f"r{i}", "text": " ".join(rng.choice(WORDS) for _ in range(30)) + ".",
                "date": f"20{10 + i % 5}-01-01"} for i in range(60)]
    ingested, archive = tmp_path / "ingested.jsonl", tmp_path / "archive"
    archive.mkdir()
    ingested.write_text("".join(json.dumps(r) + "\n" for r in records[:10]))
    # shard a: records 0-29 (0-9 were ingested); shard b: 20-59 (20-29 are in shard a too,
    # under other ids: the same text)
    (archive / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records[:30]))
    (archive / "b.jsonl").write_text("".join(
        json.dumps({**r, "id": "b" + r["id"]}) + "\n" for r in records[20:]))
    reference = tmp_path / "reference.jsonl"
    reference.write_text("".join(json.dumps(r) + "\n" for r in records))
    power = [resolve_lexicon("power")]
    options = ReadOptions(source="news")
    ref = Database(tmp_path / "ref.db")
    ingest_all = CliRunner().invoke(main, ["--db", str(ref.path), "ingest", str(reference),
                                           "--source", "news"])
    assert ingest_all.exit_code == 0, ingest_all.output
    tally_documents(ref, power, workers=1)
    db = Database(tmp_path / "mixed.db")
    first = CliRunner().invoke(main, ["--db", str(db.path), "ingest", str(ingested),
                                      "--source", "news"])
    assert first.exit_code == 0, first.output
    tally_documents(db, power, workers=1)

    def run(*shards):
        return backfill(db, [str(archive / name) for name in shards], power, options=options,
                        scheduler=cluster.scheduler_address)

    def write(name, rows):
        (archive / name).write_text("".join(json.dumps(r) + "\n" for r in rows))

    first_a, then_b = run("a.jsonl"), run("a.jsonl", "b.jsonl")  # a owns records 20-29
    assert first_a.ok and then_b.ok and then_b.skipped == 1
    assert first_a.duplicates + then_b.duplicates == 20  # 10 ingested, 10 in both shards
    queries = [dict(series=["hard_power", "soft_power"], measure=m) for m in
               ("count", "docs", "share")]
    expected = answers(ref, queries)
    assert answers(db, queries) == expected
    stored = db.conn.execute("SELECT sum(documents) FROM backfill_shards").fetchone()[0]
    assert stored == 50  # a: 30 less the 10 ingested; b: 40 less 20-29, a's
    # a loses records 20-29 while b's partial is gone: b is named, and redone next time
    for folder in Path(str(db.path) + ".backfill").glob("power-*/b.jsonl-*"):
        shutil.rmtree(folder)
    write("a.jsonl", records[:20])
    lost = run("a.jsonl")
    assert not lost.ok and any(e.endswith("b.jsonl: holds copies of documents "
                                          f"{archive / 'a.jsonl'} no longer has, and its"
                                          " partial result for power is not in the work"
                                          f" folder: backfill {archive / 'b.jsonl'} again"
                                          " (with --lexicon power)") for e in lost.errors), \
        lost.errors
    redo = run("a.jsonl", "b.jsonl")
    assert redo.ok and (redo.tallied, redo.skipped) == (1, 1)
    assert answers(db, queries) == expected
    # a gets them back: b owns them now; then b loses them: a's copies count again
    write("a.jsonl", records[:30])
    assert run("a.jsonl", "b.jsonl").duplicates == 20
    assert answers(db, queries) == expected
    write("b.jsonl", [{**r, "id": "b" + r["id"]} for r in records[30:]])
    assert run("a.jsonl", "b.jsonl").ok
    assert answers(db, queries) == expected
    db.close()
    ref.close()
