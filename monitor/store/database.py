"""The SQLite store: one file, WAL mode, forward migrations, every write in a transaction.

``Database`` is the entry point of the Python API; the CLI only calls its methods.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..dates import implausible_date
from ..documents import PRECISIONS, Document
from ..text import normalise_language
from .fields import ensure_meta_indexes, index_stored_meta, indexable
from .languages import detect_stored_languages
from .prepare import Preparer, prepare_all
from .schema import (
    CJK_INDEX,
    CJK_SEARCH,
    META_INDEXES,
    MIGRATIONS,
    SCHEMA_VERSION,
    STORED_LANGUAGES,
)
from .search import cjk_pairs, fill_cjk

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


class SchemaError(RuntimeError):
    """The database file is newer than this version of the tool, or not ours."""


class Database:
    """A rhetoric-monitor database file.

    >>> db = Database("db/monitor.db")          # created and migrated if needed
    >>> db.add_documents([Document(text="...", source="speeches")])
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 60000")
        if str(self.path) != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        self.conn = conn
        self._migrate()

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

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise SchemaError(
                f"{self.path}: schema version {version} is newer than this tool "
                f"({SCHEMA_VERSION}); upgrade rhetoric-monitor"
            )
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
                self.conn.execute(f"PRAGMA user_version = {number + 1}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

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
            prepared = prepare_all(self.preparer, ((doc.text, language is None,
                                                    self.cluster_copies)
                                                   for doc, _, language in todo))
            for (doc, source_id, language), ready in zip(todo, prepared, strict=True):
                text = ready.text
                _validate(doc, text)
                if ready.error:
                    raise ValueError(f"{_where(doc)}: {ready.error}")
                warning = doc.date_warning
                reason = implausible_date(doc.published, doc.precision, moment)
                if reason:
                    warning = f"{reason}: stored as undated"
                    doc = replace(doc, published=None, precision=None)
                cur = self.conn.execute(
                    "INSERT OR IGNORE INTO documents (source_id, external_id, url, title,"
                    " published, precision, ingested_at, language, word_count,"
                    " content_hash, text, meta, cjk) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        source_id, doc.external_id, doc.url, doc.title, doc.published,
                        doc.precision, now, language or ready.language,
                        ready.word_count, ready.content_hash, text,
                        json.dumps(doc.meta, ensure_ascii=False) if doc.meta else None,
                        cjk_pairs(doc.title, text),
                    ),
                )
                if cur.rowcount:
                    result.added += 1
                    added.append(cur.lastrowid)
                    if doc.meta:
                        metas.append(doc.meta)
                    if self.cluster_copies:
                        from .clusters import cluster_document

                        cluster_document(self.conn, cur.lastrowid, source_id, text, doc.title,
                                         doc.published, doc.precision,
                                         signature_bytes=ready.signature,
                                         shingle_count=ready.shingles)
                    if warning:
                        result.warnings.append(f"{_where(doc)}: {warning}")
                else:
                    result.skipped += 1
            self.index_documents(added)
            if metas:
                ensure_meta_indexes(self.conn, indexable(metas))
        return result

    def index_documents(self, ids: list[int]) -> None:
        """Add documents to the full-text index, in one statement (see migration 3).

        :meth:`add_documents` calls it; code that inserts into ``documents`` itself must too,
        after setting each row's ``cjk`` column (``monitor.store.cjk_pairs(title, text)``).
        """
        if ids:
            self.conn.execute(
                "INSERT INTO documents_fts (rowid, title, text, cjk)"
                " SELECT id, title, text, cjk FROM documents"
                " WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps(ids),))

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

    # -- run log ----------------------------------------------------------------
    def start_run(self, command: str) -> int:
        with self.transaction():
            return self.conn.execute(
                "INSERT INTO runs (command, started) VALUES (?, ?)", (command, utcnow())
            ).lastrowid

    def finish_run(
        self, run_id: int, *, added: int = 0, skipped: int = 0, failed: int = 0,
        message: str | None = None,
    ) -> None:
        with self.transaction():
            self.conn.execute(
                "UPDATE runs SET finished = ?, status = ?, added = ?, skipped = ?,"
                " failed = ?, message = ? WHERE id = ?",
                (utcnow(), "failed" if failed else "ok", added, skipped, failed, message,
                 run_id),
            )


def _where(doc: Document) -> str:
    return doc.origin or doc.external_id or doc.title or "document"


def _validate(doc: Document, text: str) -> None:
    where = _where(doc)
    if not text:
        raise ValueError(f"{where}: empty text")
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
