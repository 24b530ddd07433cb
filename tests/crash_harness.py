"""Crash harness: seeded SIGKILLs of ``monitor ingest``, ``tally``, ``report``, ``fetch``
and ``run``.

``fetch`` and ``run --all-sources`` read the shared corpora's real feeds from a real HTTP
server on 127.0.0.1 (``live_server.py``); without ../shared/corpora they are left out.

After every kill the database must pass SQLite's ``integrity_check``, the full-text
index must match the documents, no count may lack its ``tallied`` row or document, and no
report folder may be half-written. After the last kill the pipeline is run to the end,
and the database (by a canonical dump, ids left out) and the report must equal those of
a clean run. ``tests/test_crash.py`` runs a short seeded series in CI; for a long one::

    python tests/crash_harness.py --kills 300 --seed 7
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from monitor.store.schema import SCHEMA_VERSION

LEXICON = """\
name: crash
categories:
  hard: [security, militar*, national security, {term: threat, except: [no threat]}]
  soft: {culture: [culture, values], persuade: [persuad*, dialogue]}
"""
WORDS = ("security military culture values dialogue persuade threat national the of and "
         "peace nations development people world rights council no").split()
COMMANDS = ("ingest", "tally", "report")
LIVE_COMMANDS = ("fetch", "run")
FEEDS = {"guardian": "guardian-us-2018.rss", "qq": "qq-news-gb2312.rss",
         "uol": "uol-noticias-latin1.rss", "heise": "heise.atom", "npr": "npr-2021.json"}


def make_corpus(folder: Path, seed: int, records: int = 3000) -> None:
    """A seeded corpus: a JSON Lines file, a CSV file and a few text files."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)

    def text(n: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(n))

    with open(folder / "speeches.jsonl", "w") as f:
        for i in range(records):
            year = 1990 + i % 30
            f.write(json.dumps({"id": f"s{i}", "date": f"{year}-{1 + i % 12:02d}",
                                "text": text(rng.randint(50, 400))}) + "\n")
    with open(folder / "more.csv", "w") as f:
        f.write("id,date,text\n")
        for i in range(records // 3):
            f.write(f"c{i},{2000 + i % 20},{text(rng.randint(20, 200))}\n")
    for i in range(20):
        (folder / f"note{i}.txt").write_text(text(300))


def monitor_command(kind: str, db: Path, corpus: Path, lexicon: Path, out: Path) -> list[str]:
    base = [sys.executable, "-m", "monitor", "--db", str(db)]
    if kind == "ingest":
        return [*base, "ingest", str(corpus), "--source", "crash", "--no-progress"]
    if kind == "tally":
        return [*base, "tally", "--lexicon", str(lexicon), "--workers", "2"]
    if kind == "fetch":  # the config comes from MONITOR_CONFIG
        return [*base, "fetch"]
    if kind == "run":  # fetch every source, tally every named lexicon, the due report
        return [*base, "run", "--all-sources"]
    return [*base, "report", "--period", "year", "--for", "2019", "--out", str(out)]


def run(kind: str, db: Path, corpus: Path, lexicon: Path, out: Path, env: dict) -> None:
    done = subprocess.run(monitor_command(kind, db, corpus, lexicon, out), env=env,
                          capture_output=True, text=True)
    if done.returncode not in (0, 1) or "Traceback" in done.stderr:
        raise AssertionError(f"{kind} failed ({done.returncode}): {done.stderr[-2000:]}")


def live_config(path: Path, server, reports: str) -> Path:
    """A monitor.toml with the shared feeds served by ``server``; ``run`` writes its due
    reports to ``reports`` (beside the file)."""
    from live_server import Answer, feed_bytes, write_config

    body = ""
    for name, file in FEEDS.items():
        url = server.add(f"/{file}", Answer(body=feed_bytes(file),
                                            headers={"Content-Type": "application/xml"}))
        body += f'[[sources]]\nname = "{name}"\nkind = "feed"\nurl = "{url}"\n\n'
    return write_config(path, body + f'[schedule]\nreports = "{reports}"\n')


def check_invariants(db: Path, *outs: Path) -> list[str]:
    """What is wrong with the database and reports after a kill (empty: nothing)."""
    problems = []
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchall()
        if check != [("ok",)]:
            problems.append(f"integrity_check: {check[:3]}")
        if conn.execute("PRAGMA foreign_key_check").fetchall():
            problems.append("foreign_key_check found rows referring to nothing")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if version == 0 and tables:  # each migration is all or nothing
            problems.append(f"{tables} schema objects in a file of schema version 0")
        if version < SCHEMA_VERSION:  # killed while migrating: the next open goes on
            return problems
        try:
            conn.execute("INSERT INTO documents_fts(documents_fts, rank)"
                         " VALUES ('integrity-check', 1)")
        except sqlite3.DatabaseError as exc:
            problems.append(f"FTS integrity-check: {exc}")
        orphans = conn.execute(
            "SELECT count(*) FROM counts c JOIN terms t ON t.id = c.term_id WHERE NOT EXISTS"
            " (SELECT 1 FROM tallied d WHERE d.lexicon_id = t.lexicon_id"
            " AND d.document_id = c.document_id)").fetchone()[0]
        orphans += conn.execute(
            "SELECT count(*) FROM category_counts c JOIN categories g ON g.id = c.category_id"
            " WHERE NOT EXISTS (SELECT 1 FROM tallied d WHERE d.lexicon_id = g.lexicon_id"
            " AND d.document_id = c.document_id)").fetchone()[0]
        if orphans:
            problems.append(f"{orphans} counts without a tallied row")
        missing = conn.execute(
            "SELECT (SELECT count(*) FROM tallied t WHERE NOT EXISTS"
            " (SELECT 1 FROM documents d WHERE d.id = t.document_id))"
            " + (SELECT count(*) FROM counts c WHERE NOT EXISTS"
            " (SELECT 1 FROM documents d WHERE d.id = c.document_id))").fetchone()[0]
        if missing:
            problems.append(f"{missing} tallied or count rows of missing documents")
    finally:
        conn.close()
    for out in outs:
        for bundle in out.iterdir() if out.exists() else ():
            if not bundle.name.startswith(".") and not (bundle / "index.html").exists():
                problems.append(f"half-written report {bundle}")
    return problems


def canonical_dump(db: Path) -> dict:
    """The database's content without ids, run log or times: equal for equal content."""
    conn = sqlite3.connect(db)
    try:
        docs = conn.execute(
            "SELECT s.name, d.external_id, d.title, d.published, d.precision, d.word_count,"
            " d.content_hash, d.meta, d.text FROM documents d JOIN sources s"
            " ON s.id = d.source_id ORDER BY s.name, d.external_id").fetchall()
        counts = conn.execute(
            "SELECT s.name, d.external_id, l.name, t.category, t.label, c.count FROM counts c"
            " JOIN terms t ON t.id = c.term_id JOIN lexicons l ON l.id = t.lexicon_id"
            " JOIN documents d ON d.id = c.document_id JOIN sources s ON s.id = d.source_id"
            " ORDER BY 1, 2, 3, 4, 5").fetchall()
        tallied = conn.execute(
            "SELECT s.name, d.external_id, l.name, t.fingerprint FROM tallied t"
            " JOIN lexicons l ON l.id = t.lexicon_id JOIN documents d ON d.id = t.document_id"
            " JOIN sources s ON s.id = d.source_id ORDER BY 1, 2, 3").fetchall()
        categories = conn.execute(
            "SELECT s.name, d.external_id, l.name, g.path, c.count FROM category_counts c"
            " JOIN categories g ON g.id = c.category_id JOIN lexicons l ON l.id = g.lexicon_id"
            " JOIN documents d ON d.id = c.document_id JOIN sources s ON s.id = d.source_id"
            " ORDER BY 1, 2, 3, 4").fetchall()
        lexicons = conn.execute("SELECT name, fingerprint FROM lexicons ORDER BY 1").fetchall()
        terms = conn.execute("SELECT l.name, t.category, t.label FROM terms t JOIN lexicons l"
                             " ON l.id = t.lexicon_id ORDER BY 1, 2, 3").fetchall()
        running = conn.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()
    finally:
        conn.close()
    return {"documents": docs, "counts": counts, "categories": categories, "tallied": tallied,
            "lexicons": lexicons,
            "terms": terms, "running": running[0]}


def report_files(out: Path) -> dict[str, list[str]]:
    """The report's text files (CSV, Markdown) but their "Generated" time: these must
    equal a clean run's."""
    return {str(p.relative_to(out)): [line for line in p.read_text().splitlines()
                                      if not line.startswith("Generated ")]
            for p in sorted(out.rglob("*")) if p.suffix in (".csv", ".md")}


@dataclass
class CrashResult:
    kills: int = 0
    killed: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    equal: bool = False
    seconds: float = 0.0


def crash_run(work: Path, kills: int, seed: int, records: int = 3000,
              max_delay: float = 2.0, live: bool = True, min_delay: float = 0.2) -> CrashResult:
    """``kills`` seeded SIGKILLs, the invariants after each, then resume and compare.

    ``live``: also ``fetch`` and ``run`` against a local server of the shared feeds (if
    ../shared/corpora is there)."""
    from shared_corpora import CORPORA

    server = None
    if live and (CORPORA / "feeds").is_dir():
        from live_server import LiveServer

        server = LiveServer()
    try:
        return _crash_run(work, kills, seed, records, (min_delay, max_delay), server)
    finally:
        if server is not None:
            server.close()


def _crash_run(work: Path, kills: int, seed: int, records: int,
               delays: tuple[float, float], server) -> CrashResult:
    started = time.monotonic()
    rng = random.Random(seed)
    corpus, lexicon = work / "corpus", work / "crash.yaml"
    make_corpus(corpus, seed, records)
    lexicon.write_text(LEXICON)
    env = {**os.environ, "MONITOR_CACHE": str(work / "cache"), "MONITOR_LEXICONS": ""}
    commands = COMMANDS + (LIVE_COMMANDS if server else ())
    order = ("ingest", "fetch", "tally", "run", "report")  # a clean run, and the resume
    clean_db, clean_out = work / "clean.db", work / "clean-reports"
    if server:
        env["MONITOR_CONFIG"] = str(live_config(work / "clean.toml", server, "clean-run"))
    for kind in order:
        if kind in commands:
            run(kind, clean_db, corpus, lexicon, clean_out, env)
    clean = canonical_dump(clean_db)
    db, out, run_out = work / "crash.db", work / "reports", work / "run-reports"
    if server:
        env["MONITOR_CONFIG"] = str(live_config(work / "crash.toml", server, run_out.name))
    result = CrashResult()
    for _ in range(kills):
        kind = rng.choice(commands)
        if kind == "report" and not db.exists():
            kind = "ingest"
        child = subprocess.Popen(monitor_command(kind, db, corpus, lexicon, out), env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(*delays))  # the first ~0.2 s are Python's imports
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            result.killed[kind] = result.killed.get(kind, 0) + 1
        child.wait()
        result.kills += 1
        if db.exists():
            result.problems += [f"after kill {result.kills} ({kind}): {p}"
                                for p in check_invariants(db, out, run_out)]
    for kind in order:
        if kind in commands:
            run(kind, db, corpus, lexicon, out, env)
    resumed = canonical_dump(db)
    result.equal = resumed == clean and report_files(out) == report_files(clean_out)
    if not result.equal:
        diff = [k for k in clean if clean[k] != resumed[k]]
        result.problems.append(f"resumed run differs from the clean run in {diff or 'reports'}")
    result.seconds = time.monotonic() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--no-live", action="store_true", help="leave out fetch and run")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="monitor-crash-"))
    try:
        result = crash_run(work, args.kills, args.seed, args.records, live=not args.no_live)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{result.kills} kills (of running processes: {result.killed}), seed {args.seed}, "
          f"{result.seconds:.0f} s; problems: {len(result.problems)}; resumed == clean: "
          f"{result.equal}")
    for problem in result.problems[:20]:
        print("  " + problem)
    sys.exit(0 if result.equal and not result.problems else 1)


if __name__ == "__main__":
    main()
