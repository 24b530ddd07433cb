"""Tools for the operator: health checks, verified backups, moving documents as JSON Lines.

* :func:`check_database` is what ``monitor doctor`` reports: integrity and full-text
  checks, schema version, counts without a tally and tallies without their document,
  counts stale against their lexicon's fingerprint, documents not tallied, runs that died,
  the WAL's size and the free disk. Each :class:`Finding` says how to fix it.
* :func:`backup_database` copies the file with SQLite's online backup API inside one read
  transaction (a consistent snapshot, safe while another process writes), then checks the
  copy before putting it in place.
* :func:`export_documents` / :func:`import_documents` write and read documents (with
  their source, meta, and stored versions where the database has them) as JSON Lines.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..documents import Document
from .database import Database, process_alive
from .errors import StoreError
from .schema import SCHEMA_VERSION

EXPORT_FORMAT = "rhetoric-monitor-documents"
EXPORT_VERSION = 1
WAL_WARN_BYTES = 256 * 2**20
DOC_COLUMNS = ("external_id", "url", "title", "published", "precision", "language",
               "ingested_at")


@dataclass
class Finding:
    """One line of the doctor's report: ``level`` is ok, note or problem."""

    level: str
    what: str
    fix: str = ""

    def __str__(self) -> str:
        return f"{self.level:<8} {self.what}" + (f" -- fix: {self.fix}" if self.fix else "")


def check_database(db: Database, *, quick: bool = False) -> list[Finding]:
    """Every check of ``monitor doctor`` on ``db`` (``quick``: ``quick_check`` instead of
    the full ``integrity_check``, and no full-text check)."""
    found: list[Finding] = []
    conn = db.conn
    started = time.perf_counter()
    rows = [r[0] for r in conn.execute("PRAGMA quick_check(20)" if quick
                                       else "PRAGMA integrity_check(20)")]
    took = time.perf_counter() - started
    name = "quick_check" if quick else "integrity_check"
    if rows == ["ok"]:
        found.append(Finding("ok", f"{name}: ok ({took:.1f} s)"))
    else:
        found.append(Finding("problem", f"{name}: " + " ".join("; ".join(rows).split())[:300],
                             _salvage(db)))
        return found  # the other checks would read damaged pages
    found += _fts_check(db, quick)
    version = db.schema_version
    found.append(Finding("ok", f"schema version {version} (this tool's)")
                 if version == SCHEMA_VERSION else
                 Finding("problem", f"schema version {version}, this tool has {SCHEMA_VERSION}",
                         "open the file once with write access to migrate it"))
    found += _count_checks(conn)
    found += _run_checks(db)
    found += _file_checks(db)
    return found


def _salvage(db: Database | Path) -> str:
    path = db.path if isinstance(db, Database) else db
    return (f"restore your latest `monitor backup`; or save what can be read: `monitor --db "
            f"{path} export salvage.jsonl.gz`, then `monitor --db new.db import "
            "salvage.jsonl.gz` and `monitor --db new.db tally` (or, with the sqlite3 tool, "
            f"`sqlite3 {path} .recover | sqlite3 new.db`)")


def check_file(path: Path, opening: str) -> list[Finding]:
    """What the doctor can say of a file that does not even open as a :class:`Database`
    (``opening`` is why): SQLite's integrity check, read-only."""
    found = [Finding("problem", f"cannot open: {opening}")]
    try:
        conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA integrity_check(20)")]
        finally:
            conn.close()
    except (sqlite3.Error, MemoryError) as exc:
        rows = [f"cannot run ({exc or type(exc).__name__})"]
    if rows != ["ok"]:
        found.append(Finding("problem", "integrity_check: "
                             + " ".join("; ".join(rows).split())[:300], _salvage(path)))
    return found


def _fts_check(db: Database, quick: bool) -> list[Finding]:
    if quick:
        return []
    if db.readonly:
        return [Finding("note", "full-text index not checked (the database is read-only)")]
    try:  # rank 1: also compare the index with its content table, the documents
        with db.transaction():
            db.conn.execute("INSERT INTO documents_fts(documents_fts, rank)"
                            " VALUES ('integrity-check', 1)")
    except (StoreError, sqlite3.DatabaseError):
        return [Finding("problem", "full-text index does not match the documents",
                        f"`monitor --db {db.path} doctor --repair` rebuilds it")]
    except MemoryError:  # SQLite read a damaged record's length as gigabytes
        return [Finding("problem", "the documents are damaged (a record claims an impossible "
                        "size)", _salvage(db))]
    return [Finding("ok", "full-text index matches the documents")]


def _count_checks(conn: sqlite3.Connection) -> list[Finding]:
    found = []
    orphans = conn.execute(
        "SELECT count(*) FROM counts c JOIN terms t ON t.id = c.term_id"
        " WHERE NOT EXISTS (SELECT 1 FROM tallied d WHERE d.lexicon_id = t.lexicon_id"
        " AND d.document_id = c.document_id)").fetchone()[0]
    gone = conn.execute(
        "SELECT (SELECT count(*) FROM counts c WHERE NOT EXISTS"
        " (SELECT 1 FROM documents d WHERE d.id = c.document_id))"
        " + (SELECT count(*) FROM tallied t WHERE NOT EXISTS"
        " (SELECT 1 FROM documents d WHERE d.id = t.document_id))").fetchone()[0]
    if _table_exists(conn, "category_counts"):
        orphans += conn.execute(
            "SELECT count(*) FROM category_counts c JOIN categories g ON g.id = c.category_id"
            " WHERE NOT EXISTS (SELECT 1 FROM tallied d WHERE d.lexicon_id = g.lexicon_id"
            " AND d.document_id = c.document_id)").fetchone()[0]
    if orphans or gone:
        found.append(Finding("problem", f"{orphans} count rows without a tallied row, {gone} "
                             "count or tallied rows of missing documents",
                             "`monitor doctor --repair` deletes them; then `monitor tally`"))
    else:
        found.append(Finding("ok", "every count belongs to a tallied, stored document"))
    for name, languages, tallied, stale in conn.execute(
            "SELECT l.name, l.language, count(t.document_id),"
            " sum(t.fingerprint != l.fingerprint) FROM lexicons l"
            " LEFT JOIN tallied t ON t.lexicon_id = l.id GROUP BY l.id ORDER BY l.name"):
        # a lexicon with languages applies to documents of those (or of no known) language
        wanted = json.dumps(languages.split(",")) if languages else None
        documents = conn.execute(
            "SELECT count(*) FROM documents WHERE ? IS NULL OR language IS NULL"
            " OR language IN (SELECT value FROM json_each(?))", (wanted, wanted or "[]")
        ).fetchone()[0]
        fix = f"monitor tally --lexicon {name}"
        if stale:
            found.append(Finding("problem", f"lexicon {name}: {stale} documents have counts "
                                 "from another version of the lexicon", fix))
        if tallied < documents:
            found.append(Finding("problem", f"lexicon {name}: {documents - tallied} of "
                                 f"{documents} documents not tallied", fix))
        if not stale and tallied >= documents:
            found.append(Finding("ok", f"lexicon {name}: all {documents} documents tallied "
                                 "with its current version"))
    return found


def _run_checks(db: Database) -> list[Finding]:
    found = []
    rows = db.conn.execute("SELECT id, command, started, pid, host FROM runs"
                           " WHERE status = 'running' ORDER BY id").fetchall()
    here = socket.gethostname()
    dead = [r for r in rows if r[4] == here and r[3] and not process_alive(r[3], r[2])]
    if dead:
        found.append(Finding("problem", f"{len(dead)} runs marked running whose process is "
                             "gone: " + ", ".join(f"{i} `{c}` ({s})" for i, c, s, *_ in dead[:5]),
                             "`monitor doctor --repair` (or the next run) marks them aborted"))
    live = len(rows) - len(dead)
    if live:
        found.append(Finding("note", f"{live} runs in progress (or on another host)"))
    aborted = db.conn.execute("SELECT count(*), max(started) FROM runs"
                              " WHERE status = 'aborted'").fetchone()
    if aborted[0]:
        found.append(Finding("note", f"{aborted[0]} aborted runs, the latest started "
                             f"{aborted[1]}: what they committed is kept, re-running them "
                             "adds the rest"))
    return found


def _file_checks(db: Database) -> list[Finding]:
    if str(db.path) == ":memory:":
        return []
    found = []
    wal = Path(f"{db.path}-wal")
    size = wal.stat().st_size if wal.exists() else 0
    if size > WAL_WARN_BYTES:
        found.append(Finding("note", f"write-ahead log {wal.name} is {size / 2**20:.0f} MB "
                             "(a reader kept it from being checkpointed?)",
                             "`monitor doctor --repair` checkpoints it"))
    else:
        found.append(Finding("ok", f"write-ahead log {size / 2**20:.1f} MB"))
    free = shutil.disk_usage(db.path.resolve().parent).free
    need = max(200 * 2**20, db.path.stat().st_size // 2)
    if free < need:
        found.append(Finding("problem", f"only {free / 2**20:.0f} MB free beside the database",
                             f"free at least {need / 2**20:.0f} MB (writes fail on a full disk)"))
    else:
        found.append(Finding("ok", f"{free / 2**30:.1f} GB free on the disk"))
    return found


def repair_database(db: Database) -> list[str]:
    """The safe repairs ``monitor doctor --repair`` makes; what was done, one line each."""
    done = []
    n = db.mark_dead_runs()
    if n:
        done.append(f"marked {n} runs of dead processes aborted")
    with db.transaction():
        db.conn.execute("INSERT INTO documents_fts(documents_fts) VALUES ('rebuild')")
        orphans = db.conn.execute(
            "DELETE FROM counts WHERE NOT EXISTS (SELECT 1 FROM terms t JOIN tallied d"
            " ON d.lexicon_id = t.lexicon_id WHERE t.id = counts.term_id"
            " AND d.document_id = counts.document_id)").rowcount
        if _table_exists(db.conn, "category_counts"):
            orphans += db.conn.execute(
                "DELETE FROM category_counts WHERE NOT EXISTS (SELECT 1 FROM categories g"
                " JOIN tallied d ON d.lexicon_id = g.lexicon_id WHERE g.id ="
                " category_counts.category_id AND d.document_id = category_counts.document_id)"
            ).rowcount
        orphans += db.conn.execute(
            "DELETE FROM tallied WHERE document_id NOT IN (SELECT id FROM documents)").rowcount
        orphans += db.conn.execute(
            "DELETE FROM counts WHERE document_id NOT IN (SELECT id FROM documents)").rowcount
    done.append("rebuilt the full-text index")
    if orphans:
        done.append(f"deleted {orphans} count and tallied rows that belonged to nothing")
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    done.append("checkpointed the write-ahead log")
    return done


# -- backup ------------------------------------------------------------------------------
@dataclass
class BackupReport:
    path: Path
    rows: dict[str, int]
    bytes: int
    seconds: float


BACKUP_TABLES = ("sources", "documents", "lexicons", "terms", "counts", "categories",
                 "category_counts", "tallied", "runs")


def backup_database(db: Database, target: str | os.PathLike[str]) -> BackupReport:
    """Copy ``db`` to ``target`` with the online backup API, in one read transaction (a
    consistent snapshot while other processes write), then verify the copy (integrity
    check, schema version, row counts of the snapshot) before renaming it into place."""
    target = Path(target)
    if target.exists() and db.path.exists() and target.resolve() == db.path.resolve():
        raise StoreError(f"{target}: that is the database itself; give another path")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    started = time.perf_counter()
    source = sqlite3.connect(f"file:{db.path.resolve()}?mode=ro", uri=True,
                             isolation_level=None)
    try:
        source.execute("BEGIN")
        rows = {t: source.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in BACKUP_TABLES if _table_exists(source, t)}
        version = source.execute("PRAGMA user_version").fetchone()[0]
        tmp.unlink(missing_ok=True)
        copy = sqlite3.connect(tmp)
        try:
            source.backup(copy)
        finally:
            copy.close()
        source.execute("COMMIT")
    except sqlite3.Error as exc:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"{target}: backup failed ({exc})") from exc
    finally:
        source.close()
    try:
        _verify_copy(tmp, version, rows)
    except StoreError:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, target)
    return BackupReport(target, rows, target.stat().st_size, time.perf_counter() - started)


def _verify_copy(path: Path, version: int, rows: dict[str, int]) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        check = conn.execute("PRAGMA integrity_check(5)").fetchall()
        if check != [("ok",)]:
            raise StoreError(f"{path}: the copy fails its integrity check ({check[0][0]})")
        if conn.execute("PRAGMA user_version").fetchone()[0] != version:
            raise StoreError(f"{path}: the copy has another schema version")
        for table, n in rows.items():
            got = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            if got != n:
                raise StoreError(f"{path}: the copy has {got} rows in {table}, not {n}")
    finally:
        conn.close()


def _table_exists(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                        (name,)).fetchone() is not None


# -- export and import ---------------------------------------------------------------------
@contextmanager
def _open_text(path: str | os.PathLike[str] | IO[str], mode: str) -> Iterator[IO[str]]:
    if not isinstance(path, (str, os.PathLike)):
        yield path
        return
    path = Path(path)
    if path.name.endswith(".gz"):
        with gzip.open(path, mode + "t", encoding="utf-8", newline="\n") as f:
            yield f
    else:
        with open(path, mode, encoding="utf-8", newline="\n") as f:
            yield f


def export_documents(db: Database, out: str | os.PathLike[str] | IO[str], *,
                     sources: list[str] | None = None) -> int:
    """Write every document (or those of ``sources``) as JSON Lines: a header line, then
    one object per document with its source, fields, meta and stored versions. Returns
    how many were written. ``.gz`` paths are gzip'd."""
    conn = db.conn
    where, params = "", []
    if sources:
        where = f" WHERE s.name IN ({', '.join('?' * len(sources))})"
        params = list(sources)
    versions = _table_exists(conn, "document_versions")
    n = 0
    conn.execute("BEGIN")  # one snapshot, whatever writes meanwhile
    # A damaged text value comes out with U+FFFD for its bad bytes rather than stop a
    # salvage; damage SQLite itself meets stops the export, with what was written kept.
    conn.text_factory = lambda data: data.decode("utf-8", "replace")
    try:
        total = conn.execute(f"SELECT count(*) FROM documents d JOIN sources s"
                             f" ON s.id = d.source_id{where}", params).fetchone()[0]
        with _open_text(out, "w") as f:
            f.write(json.dumps({"format": EXPORT_FORMAT, "version": EXPORT_VERSION,
                                "schema_version": db.schema_version, "documents": total},
                               ensure_ascii=False) + "\n")
            columns = ", ".join("d." + c for c in DOC_COLUMNS)
            cursor = conn.execute(
                f"SELECT d.id, s.name, s.kind, s.location, {columns},"
                f" d.meta, d.text FROM documents d JOIN sources s ON s.id = d.source_id{where}"
                " ORDER BY d.id", params)
            for row in cursor:
                record: dict[str, Any] = {"source": row[1], "source_kind": row[2],
                                          "source_location": row[3]}
                record.update(zip(DOC_COLUMNS, row[4:4 + len(DOC_COLUMNS)], strict=True))
                record["meta"] = json.loads(row[-2]) if row[-2] else {}
                if versions:
                    record["versions"] = _versions(conn, row[0])
                record["text"] = row[-1]
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
                n += 1
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{db.path}: the database is damaged ({exc}); exported {n} "
                         "documents before the damage") from exc
    finally:
        conn.text_factory = str
        conn.execute("COMMIT")
    return n


def _versions(conn: sqlite3.Connection, document_id: int) -> list[dict]:
    cursor = conn.execute("SELECT * FROM document_versions WHERE document_id = ? ORDER BY id",
                          (document_id,))
    names = [c[0] for c in cursor.description]
    return [{k: v for k, v in zip(names, row, strict=True) if k not in ("id", "document_id")}
            for row in cursor]


@dataclass
class ImportReport:
    added: int = 0
    skipped: int = 0
    failed: int = 0


def import_documents(db: Database, source: str | os.PathLike[str] | IO[str], *,
                     on_error: Callable[[str], None] | None = None,
                     batch_size: int = 500) -> ImportReport:
    """Add the documents of an :func:`export_documents` file; duplicates are skipped as
    ingest skips them, and each document keeps its ``ingested_at``. A bad line fails
    alone (reported to ``on_error``); a file that is not an export is a ``ValueError``."""
    report = ImportReport()
    where = str(source) if isinstance(source, (str, os.PathLike)) else "input"
    with _open_text(source, "r") as f:
        try:
            header = json.loads(f.readline() or "null")
        except (json.JSONDecodeError, UnicodeDecodeError, OSError, EOFError) as exc:
            raise ValueError(f"{where}:1: not a rhetoric-monitor export ({exc})") from None
        if not isinstance(header, dict) or header.get("format") != EXPORT_FORMAT:
            raise ValueError(f"{where}:1: not a rhetoric-monitor export (no "
                             f"'format': '{EXPORT_FORMAT}' header line)")
        if header.get("version", 0) > EXPORT_VERSION:
            raise ValueError(f"{where}: export version {header['version']} is newer than "
                             "this tool's; upgrade rhetoric-monitor")
        batch: list[tuple[Document, dict]] = []
        for number, line in enumerate(f, 2):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                doc = _document(record, f"{where}:{number}")
            except (ValueError, TypeError, KeyError) as exc:
                report.failed += 1
                if on_error:
                    on_error(f"{where}:{number}: {exc}")
                continue
            batch.append((doc, record))
            if len(batch) >= batch_size:
                _import_batch(db, batch, report, on_error)
        _import_batch(db, batch, report, on_error)
    return report


def _document(record: dict, origin: str) -> Document:
    if not isinstance(record, dict):
        raise ValueError("a line is not a JSON object")
    if not isinstance(record.get("text"), str) or not isinstance(record.get("source"), str):
        raise ValueError("no 'text' or 'source'")
    return Document(text=record["text"], source=record["source"], title=record.get("title"),
                    url=record.get("url"), external_id=record.get("external_id"),
                    published=record.get("published"), precision=record.get("precision"),
                    language=record.get("language"), meta=record.get("meta") or {},
                    origin=origin)


def _import_batch(db: Database, batch: list[tuple[Document, dict]], report: ImportReport,
                  on_error: Callable[[str], None] | None) -> None:
    """Store ``batch`` grouped by source (with its kind and location), keeping each
    document's ``ingested_at``; a document the store refuses fails alone."""
    groups: dict[tuple, list[tuple[Document, dict]]] = {}
    for doc, record in batch:
        key = (record.get("source_kind") or "files", record.get("source_location"))
        groups.setdefault(key, []).append((doc, record))
    with db.transaction():
        for (kind, location), items in groups.items():
            for doc, record in items:
                last = db.conn.execute("SELECT coalesce(max(id), 0) FROM documents").fetchone()[0]
                try:
                    result = db.add_documents([doc], kind, location)
                except ValueError as exc:
                    report.failed += 1
                    if on_error:
                        on_error(str(exc))
                    continue
                report.added += result.added
                report.skipped += result.skipped
                if result.added:
                    row = db.conn.execute("SELECT max(id) FROM documents").fetchone()[0]
                    if row > last and record.get("ingested_at"):
                        db.conn.execute("UPDATE documents SET ingested_at = ? WHERE id = ?",
                                        (record["ingested_at"], row))
                    if record.get("versions") and _table_exists(db.conn, "document_versions"):
                        _add_versions(db.conn, row, record["versions"])
    batch.clear()


def _add_versions(conn: sqlite3.Connection, document_id: int, versions: list[dict]) -> None:
    columns = {r[1] for r in conn.execute("PRAGMA table_info(document_versions)")}
    for version in versions:
        keys = [k for k in version if k in columns and k not in ("id", "document_id")]
        conn.execute(f"INSERT INTO document_versions (document_id, {', '.join(keys)})"
                     f" VALUES (?, {', '.join('?' * len(keys))})",
                     [document_id, *(version[k] for k in keys)])
