"""The SQLite store: one file, WAL mode, forward migrations, every write in a transaction.

``Database`` is the entry point of the Python API; the CLI only calls its methods.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..dates import implausible_date
from ..documents import PRECISIONS, Document
from ..text import normalise_language
from .errors import (
    BUSY,
    CANTOPEN,
    DOCTOR,
    READONLY,
    DatabaseLocked,
    SchemaError,
    StoreError,
    describe,
    lock_holder,
    sqlite_code,
)
from .fields import ensure_meta_indexes, index_stored_meta, indexable
from .languages import detect_stored_languages
from .schema import (
    CJK_INDEX,
    CJK_SEARCH,
    META_INDEXES,
    MIGRATIONS,
    SCHEMA_VERSION,
    STORED_LANGUAGES,
)
from .search import cjk_pairs, fill_cjk

if TYPE_CHECKING:  # the preparing code (numpy, workers) is imported by what stores
    from .prepare import Preparer

DEFAULT_DB = Path("db") / "monitor.db"


def default_db_path() -> Path:
    """``$MONITOR_DB`` if set, else ``db/monitor.db`` under the current folder."""
    return Path(os.environ.get("MONITOR_DB") or DEFAULT_DB)


def utcnow() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


@dataclass
class AddResult:
    added: int = 0
    skipped: int = 0
    warnings: list[str] = field(default_factory=list)  # "origin: reason", one per document


OUR_TABLES = frozenset({"sources", "documents", "runs"})
QUIET_WAIT = 2.0  # seconds a writer waits for the lock before saying it is waiting


def busy_timeout_default() -> float:
    """``$MONITOR_BUSY_TIMEOUT`` seconds if set, else 60."""
    try:
        return max(0.0, float(os.environ.get("MONITOR_BUSY_TIMEOUT") or 60))
    except ValueError:
        return 60.0


class Database:
    """A rhetoric-monitor database file.

    >>> db = Database("db/monitor.db")          # created and migrated if needed
    >>> db.add_documents([Document(text="...", source="speeches")])
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *,
                 busy_timeout: float | None = None,
                 notify: Callable[[str], None] | None = None) -> None:
        """Open (creating and migrating if needed) the database at ``path``.

        A writer waits up to ``busy_timeout`` seconds (``$MONITOR_BUSY_TIMEOUT``, default
        60) for another's write lock, telling ``notify`` after a few seconds that it waits.
        A file that cannot be written (or whose folder cannot) is opened read-only
        (``readonly``): reads work, writes fail with a :class:`StoreError`. Problems the
        user can act on raise :class:`StoreError` with a one-line message.
        """
        self.path = Path(path) if path is not None else default_db_path()
        self.busy_timeout = busy_timeout_default() if busy_timeout is None else busy_timeout
        self.notify = notify
        self.readonly = False
        self.immutable = False
        try:
            self.conn = self._open()
            self._check_ours()
            self._migrate()
        except sqlite3.Error as exc:
            message = describe(exc, self.path)
            if message is None:
                raise
            raise StoreError(message) from exc

    def _open(self) -> sqlite3.Connection:
        memory = str(self.path) == ":memory:"
        if not memory:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"{self.path.parent}: cannot create the database folder "
                                 f"({exc.strerror})") from exc
        conn = sqlite3.connect(str(self.path), timeout=self.busy_timeout, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            if not memory:
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError as exc:
            conn.close()
            if sqlite_code(exc) in (READONLY, CANTOPEN) and self.path.is_file():
                return self._open_readonly()
            raise
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    def _open_readonly(self) -> sqlite3.Connection:
        """A read-only connection; where even that fails (a WAL file in a folder that cannot
        be written, without its ``-shm``), an immutable one, which reads the file alone."""
        from urllib.parse import quote

        uri = "file:" + quote(str(self.path.resolve())) + "?mode=ro"
        self.readonly = True
        conn = sqlite3.connect(uri, uri=True, timeout=self.busy_timeout, isolation_level=None)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError as exc:
            conn.close()
            if sqlite_code(exc) not in (READONLY, CANTOPEN):
                raise
            conn = sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None)
            self.immutable = True
            wal = Path(f"{self.path}-wal")
            if wal.is_file() and wal.stat().st_size and self.notify:
                self.notify(f"{self.path}: read without its write-ahead log {wal.name} (the "
                            "folder is read-only): the latest writes may be missing")
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        return conn

    @property
    def sqlite_utils(self) -> Any:
        """The same connection as a ``sqlite_utils.Database``, for ad-hoc table work."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -----------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _check_ours(self) -> None:
        """Refuse a SQLite file of another application rather than mix our tables in."""
        tables = {row[0] for row in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
        if (tables and not self.schema_version) or (self.schema_version
                                                     and not OUR_TABLES <= tables):
            shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
            raise SchemaError(f"{self.path}: a SQLite database of another application (tables "
                              f"{shown}), not a rhetoric-monitor one; give another file with "
                              "--db")

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise SchemaError(
                f"{self.path}: schema version {version} is newer than this tool "
                f"({SCHEMA_VERSION}); upgrade rhetoric-monitor"
            )
        if version < SCHEMA_VERSION and self.readonly:
            raise SchemaError(f"{self.path}: schema version {version} needs migrating to "
                              f"{SCHEMA_VERSION}, and the file cannot be written here; open it "
                              "once where it can be")
        if version == SCHEMA_VERSION:
            return
        # Rebuilding a table (drop, rename) must not cascade to the rows that refer to
        # it: foreign keys are off while migrating and checked before each commit.
        self.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            for number in range(version, SCHEMA_VERSION):
                with self.transaction():
                    for statement in _split_sql(MIGRATIONS[number]):
                        self.conn.execute(statement)
                    if MIGRATIONS[number] is CJK_SEARCH:
                        fill_cjk(self.conn)
                        for statement in _split_sql(CJK_INDEX):
                            self.conn.execute(statement)
                    if MIGRATIONS[number] is META_INDEXES:
                        index_stored_meta(self.conn)
                    if MIGRATIONS[number] is STORED_LANGUAGES:
                        detect_stored_languages(self.conn)
                    broken = self.conn.execute("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise SchemaError(f"{self.path}: migration {number + 1} would leave "
                                          f"{len(broken)} rows referring to nothing")
                    self.conn.execute(f"PRAGMA user_version = {number + 1}")
        finally:
            self.conn.execute("PRAGMA foreign_keys = ON")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception.

        SQLite failures the user can act on (locked, read-only, disk full, damaged) come
        out as :class:`StoreError`; when SQLite has already rolled back (a full disk) the
        real cause is raised, not the failed ROLLBACK.
        """
        if self.conn.in_transaction:
            yield self.conn
            return
        self._begin()
        try:
            yield self.conn
            with self.during_long_statements():
                self.conn.execute("COMMIT")
        except BaseException as exc:
            if self.conn.in_transaction:
                try:
                    self.conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            message = describe(exc, self.path) if isinstance(exc, sqlite3.Error) else None
            if message is None:
                raise
            raise StoreError(message) from exc

    def _begin(self) -> None:
        """BEGIN IMMEDIATE, waiting for another writer's lock up to the busy timeout."""
        quiet = min(self.busy_timeout, QUIET_WAIT)
        for first, wait in ((True, quiet), (False, self.busy_timeout - quiet)):
            self.conn.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if sqlite_code(exc) != BUSY:
                    raise
                if first and self.busy_timeout > quiet and self.notify:
                    self.notify(f"{self.path}: waiting up to {self.busy_timeout - quiet:g} s "
                                f"more for the write lock, {lock_holder(self.path)}")
            finally:
                self.conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        raise DatabaseLocked(f"{self.path}: database is locked: waited {self.busy_timeout:g} s "
                             f"for the write lock, {self._holder()}")

    def _holder(self) -> str:
        """Who holds the lock, with the monitor runs still marked running."""
        text = lock_holder(self.path)
        running = self.conn.execute(
            "SELECT id, command, started FROM runs WHERE status = 'running'"
            " ORDER BY id DESC LIMIT 3").fetchall() if self._has_runs() else []
        if running:
            text += "; running: " + ", ".join(f"run {i} `{c}` since {s}" for i, c, s in running)
        return text

    def _has_runs(self) -> bool:
        return self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'runs'").fetchone() is not None

    # -- sources and documents --------------------------------------------------
    def source_id(self, name: str, kind: str = "files", location: str | None = None) -> int:
        """The id of source ``name``, created on first use."""
        row = self.conn.execute("SELECT id FROM sources WHERE name = ?", (name,)).fetchone()
        if row:
            return row[0]
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO sources (name, kind, location, added) VALUES (?, ?, ?, ?)",
                (name, kind, location, utcnow()),
            )
            return cur.lastrowid

    #: cluster near-duplicates across sources as documents are stored (see ``clusters``)
    cluster_copies = True
    #: worker processes preparing big batches (:class:`Preparer`); None: this process
    preparer: Preparer | None = None
    #: entered around the statements that run long inside SQLite, without Python's lock
    #: (a batch's full-text insert, a commit): an ingest reads its next records meanwhile
    during_long_statements: Callable[[], AbstractContextManager[object]] = nullcontext

    def add_documents(
        self, documents: Iterable[Document], kind: str = "files", location: str | None = None
    ) -> AddResult:
        """Store documents in one transaction; duplicates are skipped, not errors.

        A duplicate has the same source and ``external_id``, or the same content hash
        as any stored document. A placeholder, impossible or future date (see
        :func:`monitor.dates.implausible_date`) is stored as undated and named in
        ``warnings``. A document without a ``language`` gets the one CLD2 detects (None
        when it cannot tell). One known by its id is skipped before its text is
        normalised and counted, which makes re-runs cheap. Raises ``ValueError`` (and
        stores nothing) on a document that breaks the record's rules, e.g. a bad date.
        """
        result = AddResult()
        moment = datetime.now(timezone.utc).replace(microsecond=0)
        now = moment.isoformat()
        source_ids: dict[str, int] = {}
        added: list[int] = []
        metas: list[dict] = []
        with self.transaction():
            todo: list[tuple[Document, int, str | None]] = []
            batch_ids: set[tuple[int, str]] = set()
            for doc in documents:
                if not doc.source:
                    raise ValueError(f"{_where(doc)}: no source name")
                if doc.source not in source_ids:
                    source_ids[doc.source] = self.source_id(doc.source, kind, location)
                source_id = source_ids[doc.source]
                if doc.external_id is not None:
                    key = (source_id, doc.external_id)
                    if key in batch_ids or self.conn.execute(
                        "SELECT 1 FROM documents WHERE source_id = ? AND external_id = ?",
                        key,
                    ).fetchone():
                        result.skipped += 1
                        continue
                    batch_ids.add(key)
                todo.append((doc, source_id, normalise_language(doc.language)))
            # normalising, hashing, counting, detecting and MinHash: in worker processes
            # for a big batch (see .prepare), while this process inserts, in order
            from .prepare import prepare_all

            prepared = prepare_all(self.preparer, ((doc.text, language is None,
                                                    self.cluster_copies)
                                                   for doc, _, language in todo))
            clustering = self.cluster_copies
            if clustering:  # a new document's cluster is known before it is inserted
                from .clusters import find_cluster, fingerprint, store_signature, title_key

                next_id = self.conn.execute(
                    "SELECT coalesce(max(id), 0) + 1 FROM documents").fetchone()[0]
                self.conn.execute("DELETE FROM minhash_bands WHERE document_id >= ?",
                                  (next_id,))  # stale rows of deleted documents
            for (doc, source_id, language), ready in zip(todo, prepared, strict=True):
                text = doc.text if ready.text is None else ready.text
                _validate(doc, text, text_encoded=not ready.error)
                if ready.error:
                    raise ValueError(f"{_where(doc)}: {ready.error}")
                warning = doc.date_warning
                reason = implausible_date(doc.published, doc.precision, moment)
                if reason:
                    warning = f"{reason}: stored as undated"
                    doc = replace(doc, published=None, precision=None)
                doc_id = cluster = None
                if clustering:  # the id SQLite would give it: the largest one plus one
                    sig, size, bands = fingerprint(text, ready.signature, ready.shingles,
                                                   ready.bands)
                    title = title_key(doc.title)
                    doc_id = next_id
                    cluster = find_cluster(self.conn, source_id, sig, size, bands, title,
                                           doc.published, doc.precision) or doc_id
                cur = self.conn.execute(
                    "INSERT OR IGNORE INTO documents (id, source_id, external_id, url, title,"
                    " published, precision, ingested_at, language, word_count,"
                    " content_hash, text, meta, cjk, cluster_id)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        doc_id, source_id, doc.external_id, doc.url, doc.title, doc.published,
                        doc.precision, now, language or ready.language,
                        ready.word_count, ready.content_hash, text,
                        json.dumps(doc.meta, ensure_ascii=False) if doc.meta else None,
                        cjk_pairs(doc.title, text) if ready.cjk is not False or (
                            doc.title and cjk_pairs(doc.title, "")) else None, cluster,
                    ),
                )
                if cur.rowcount:
                    result.added += 1
                    added.append(cur.lastrowid)
                    if doc.meta:
                        metas.append(doc.meta)
                    if clustering:
                        store_signature(self.conn, next_id, sig.tobytes(), title, bands)
                        next_id += 1
                    if warning:
                        result.warnings.append(f"{_where(doc)}: {warning}")
                else:
                    result.skipped += 1
            self.index_documents(added)
            if metas:
                ensure_meta_indexes(self.conn, indexable(metas))
        return result

    def prefetch(self, documents: list[Document]) -> bool:
        """Start preparing, in the workers (:attr:`preparer`), what :meth:`add_documents`
        will prepare of ``documents`` (those not known by their id), so that they are
        ready when it stores them after the batch it stores now. Reads only. False when
        nothing was started (no workers, or too few documents for them)."""
        if self.preparer is None:
            return False
        sources: dict[str, int | None] = {}
        seen: set[tuple[str, str]] = set()
        items = []
        for doc in documents:
            if doc.source and doc.external_id is not None:
                if doc.source not in sources:
                    row = self.conn.execute("SELECT id FROM sources WHERE name = ?",
                                            (doc.source,)).fetchone()
                    sources[doc.source] = row[0] if row else None
                key = (doc.source, doc.external_id)
                if key in seen or (sources[doc.source] is not None and self.conn.execute(
                        "SELECT 1 FROM documents WHERE source_id = ? AND external_id = ?",
                        (sources[doc.source], doc.external_id)).fetchone()):
                    continue
                seen.add(key)
            items.append((doc.text, normalise_language(doc.language) is None,
                          self.cluster_copies))
        return self.preparer.prefetch(items)

    def index_documents(self, ids: list[int]) -> None:
        """Add documents to the full-text index, in one statement (see migration 3).

        :meth:`add_documents` calls it; code that inserts into ``documents`` itself must too,
        after setting each row's ``cjk`` column (``monitor.store.cjk_pairs(title, text)``).
        """
        if ids:
            with self.during_long_statements():
                self.conn.execute(
                    "INSERT INTO documents_fts (rowid, title, text, cjk)"
                    " SELECT id, title, text, cjk FROM documents"
                    " WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(ids),))

    def document_count(self, source: str | None = None) -> int:
        if source is None:
            return self.conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        return self.conn.execute(
            "SELECT count(*) FROM documents d JOIN sources s ON s.id = d.source_id"
            " WHERE s.name = ?",
            (source,),
        ).fetchone()[0]

    def sources(self) -> list[dict]:
        """Each source with its document count and date range."""
        rows = self.conn.execute(
            "SELECT s.name, s.kind, s.location, s.added, count(d.id), min(d.published),"
            " max(d.published), sum(d.id IS NOT NULL AND d.published IS NULL) FROM sources s"
            " LEFT JOIN documents d ON d.source_id = s.id GROUP BY s.id ORDER BY s.name"
        ).fetchall()
        keys = ("name", "kind", "location", "added", "documents", "first", "last", "undated")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def quick_check(self) -> str | None:
        """SQLite's ``PRAGMA quick_check`` (0.6 s on a 300 MB file): None if the file is
        sound, else its first finding."""
        rows = [row[0] for row in self.conn.execute("PRAGMA quick_check(5)")]
        return None if rows == ["ok"] else " ".join("; ".join(rows).split())

    def raise_if_damaged(self) -> None:
        """Raise :class:`StoreError` naming ``monitor doctor`` if :meth:`quick_check` fails."""
        problem = self.quick_check()
        if problem:
            raise StoreError(f"{self.path}: the database is damaged ({problem[:150]}); {DOCTOR}")

    # -- run log ----------------------------------------------------------------
    def start_run(self, command: str) -> int:
        """Log a run of ``command`` as running, with this process's id and host; runs of
        processes on this host that died (killed, power loss) are marked aborted first."""
        self.mark_dead_runs()
        with self.transaction():
            return self.conn.execute(
                "INSERT INTO runs (command, started, pid, host) VALUES (?, ?, ?, ?)",
                (command, utcnow(), os.getpid(), socket.gethostname()),
            ).lastrowid

    def finish_run(
        self, run_id: int, *, added: int = 0, skipped: int = 0, failed: int = 0,
        message: str | None = None, status: str | None = None,
    ) -> None:
        """Record how run ``run_id`` ended: ``status`` (default ``failed`` if anything
        failed, else ``ok``; or ``aborted``). Best effort: when the store cannot be written
        (a full disk) the row stays running until :meth:`mark_dead_runs` sees it."""
        try:
            with self.transaction():
                self.conn.execute(
                    "UPDATE runs SET finished = ?, status = ?, added = ?, skipped = ?,"
                    " failed = ?, message = ? WHERE id = ?",
                    (utcnow(), status or ("failed" if failed else "ok"), added, skipped,
                     failed, message, run_id),
                )
        except StoreError:
            pass

    def abort_own_runs(self, message: str) -> None:
        """Mark ``aborted`` the runs of this process still ``running``: a Ctrl-C that
        came between a run's start and its command's own handler. Best effort."""
        try:
            with self.transaction():
                self.conn.execute(
                    "UPDATE runs SET status = 'aborted', finished = ?, failed = 1, message = ?"
                    " WHERE status = 'running' AND pid = ? AND host = ?",
                    (utcnow(), message, os.getpid(), socket.gethostname()))
        except (StoreError, sqlite3.Error):
            pass

    def mark_dead_runs(self) -> int:
        """Mark ``aborted`` the running runs of this host whose process is gone."""
        host = socket.gethostname()
        rows = self.conn.execute(
            "SELECT id, pid, started FROM runs WHERE status = 'running' AND host = ?"
            " AND pid IS NOT NULL", (host,)).fetchall()
        dead = [run_id for run_id, pid, started in rows
                if pid != os.getpid() and not process_alive(pid, started)]
        if dead:
            with self.transaction():
                self.conn.executemany(
                    "UPDATE runs SET status = 'aborted', finished = ?, message = ?"
                    " WHERE id = ? AND status = 'running'",
                    [(utcnow(), "aborted: its process ended without finishing the run "
                      "(killed or crashed)", run_id) for run_id in dead])
        return len(dead)


def process_alive(pid: int, started: str | None = None) -> bool:
    """Whether process ``pid`` exists (and, where /proc tells, began before ``started``,
    so a recycled pid is not taken for the run's process)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    except OSError:
        return False
    state, began = _process_state(pid)
    if state == "Z":  # a zombie: dead, not yet reaped by its parent
        return False
    if began is None or started is None:
        return True
    try:
        run_start = datetime.fromisoformat(started).timestamp()
    except ValueError:
        return True
    return began <= run_start + 2  # utcnow() drops the microseconds


def _process_state(pid: int) -> tuple[str | None, float | None]:
    """Process ``pid``'s state letter and start (Unix time) from /proc; None where unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(float(line.split()[1]) for line in
                    Path("/proc/stat").read_text().splitlines() if line.startswith("btime"))
        return fields[0], boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None, None


def _where(doc: Document) -> str:
    where = doc.origin or doc.external_id or doc.title or "document"
    return where.encode("utf-8", "backslashreplace").decode("utf-8")


def _validate(doc: Document, text: str, text_encoded: bool = False) -> None:
    """Raise ValueError naming what breaks the record's rules. ``text_encoded``: the text
    is known to encode to UTF-8 (its content hash was computed)."""
    where = _where(doc)
    if not text:
        raise ValueError(f"{where}: empty text")
    for name, value in (("text", None if text_encoded else text), ("title", doc.title),
                        ("url", doc.url),
                        ("external_id", doc.external_id), ("source", doc.source),
                        ("language", doc.language)):
        if value and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ValueError(f"{where}: field {name!r} is not valid Unicode (lone "
                                 f"surrogate at character {exc.start + 1})") from None
    if (doc.published is None) != (doc.precision is None):
        raise ValueError(f"{where}: published and precision must be set together")
    if doc.precision is not None:
        expected = {"year": 4, "month": 7, "day": 10}.get(doc.precision)
        if doc.precision not in PRECISIONS or len(doc.published or "") != expected:
            raise ValueError(
                f"{where}: date {doc.published!r} does not match precision {doc.precision!r}"
            )


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements, buffer = [], []
    for line in script.splitlines():
        buffer.append(line)
        candidate = "\n".join(buffer).strip()
        if candidate.endswith(";") and sqlite3.complete_statement(candidate):
            statements.append(candidate)
            buffer = []
    rest = "\n".join(buffer).strip()
    if rest:
        statements.append(rest)
    return statements
