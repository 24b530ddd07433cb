"""What fetching keeps in the database, beside the documents themselves.

- ``fetch_state``: per URL, the ``ETag`` and ``Last-Modified`` exactly as the server sent
  them (sent back as ``If-None-Match``/``If-Modified-Since``) and a SHA-256 of the body,
  since some servers send stale validators;
- ``source_health``: per source, the last success, the last error and the next attempt
  (a failing source backs off: its interval times its failures, capped at a day);
- ``fetches``: one row per request, kept ``keep_fetches_days``;
- ``document_versions``: the text an update replaced.

An entry is an **update** when its source already has a document with the same external
id (GUID) or normalised URL and different text: the old text goes to
``document_versions``, the row is changed in place and its ``counts`` and ``tallied`` rows
(and category totals) are removed in the same transaction, so the next tally counts it
again, once.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from ..dates import implausible_date
from ..documents import Document
from ..store import Database, cjk_pairs
from ..text import (
    content_hash,
    count_words,
    detect_language,
    normalise_language,
    normalise_text,
)

MAX_BACKOFF = 86400.0


def body_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def now_utc() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


@dataclass
class Known:
    """A stored document an entry may be a new version of."""

    id: int
    content_hash: str
    entry_hash: str | None


class FetchStore:
    """Reads and writes of the fetch tables; writes join the caller's transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.conn: sqlite3.Connection = db.conn

    # -- conditional GET --------------------------------------------------------
    def validators(self, url: str) -> dict[str, str]:
        """The conditional-request headers to send for ``url`` (empty the first time)."""
        row = self.conn.execute("SELECT etag, last_modified FROM fetch_state WHERE url = ?",
                                (url,)).fetchone()
        headers: dict[str, str] = {}
        if row and row[0]:
            headers["If-None-Match"] = row[0]
        if row and row[1]:
            headers["If-Modified-Since"] = row[1]
        return headers

    def same_body(self, url: str, digest: str) -> bool:
        row = self.conn.execute("SELECT body_hash FROM fetch_state WHERE url = ?",
                                (url,)).fetchone()
        return bool(row and row[0] == digest)

    def save_state(self, url: str, source: str, status: int, headers: dict[str, str],
                   digest: str | None) -> None:
        if status == 304:
            self.conn.execute("UPDATE fetch_state SET status = 304, checked = ? WHERE url = ?",
                              (now_utc().isoformat(), url))
            return
        self.conn.execute(
            "INSERT INTO fetch_state (url, source, etag, last_modified, body_hash, status,"
            " checked) VALUES (?,?,?,?,?,?,?) ON CONFLICT(url) DO UPDATE SET"
            " source = excluded.source, etag = excluded.etag,"
            " last_modified = excluded.last_modified, body_hash = excluded.body_hash,"
            " status = excluded.status, checked = excluded.checked",
            (url, source, headers.get("etag"), headers.get("last-modified"), digest, status,
             now_utc().isoformat()),
        )

    # -- documents --------------------------------------------------------------
    def known(self, source: str, external_id: str | None, url: str | None) -> Known | None:
        """The stored document of ``source`` with this GUID or normalised URL, if any."""
        for column, value in (("external_id", external_id), ("url", url)):
            if not value:
                continue
            row = self.conn.execute(
                f"SELECT d.id, d.content_hash, json_extract(d.meta, '$.entry_hash')"
                f" FROM documents d JOIN sources s ON s.id = d.source_id"
                f" WHERE s.name = ? AND d.{column} = ? ORDER BY d.id LIMIT 1",
                (source, value),
            ).fetchone()
            if row:
                return Known(*row)
        return None

    def store(self, doc: Document, kind: str, location: str | None) -> str:
        """Store one fetched document: ``new``, ``updated``, ``unchanged`` or ``duplicate``."""
        known = self.known(doc.source, doc.external_id, doc.url)
        text = normalise_text(doc.text)
        digest = content_hash(text)
        if known is None:
            result = self.db.add_documents([doc], kind, location)
            return "new" if result.added else "duplicate"
        meta = json.dumps(doc.meta, ensure_ascii=False) if doc.meta else None
        if known.content_hash == digest:
            self.conn.execute("UPDATE documents SET meta = ? WHERE id = ?", (meta, known.id))
            return "unchanged"
        if self.conn.execute("SELECT 1 FROM documents WHERE content_hash = ? AND id != ?",
                             (digest, known.id)).fetchone():
            return "duplicate"
        if not text:
            raise ValueError(f"{doc.origin or doc.url}: empty text")
        published, precision = doc.published, doc.precision
        if implausible_date(published, precision):
            published = precision = None  # as add_documents does: stored as undated
        self.conn.execute(
            "INSERT INTO document_versions (document_id, title, published, precision,"
            " word_count, content_hash, text, meta, replaced_at) SELECT id, title, published,"
            " precision, word_count, content_hash, text, meta, ? FROM documents WHERE id = ?",
            (now_utc().isoformat(), known.id),
        )
        self.conn.execute(
            "UPDATE documents SET title = ?, url = coalesce(?, url), published = ?,"
            " precision = ?, language = coalesce(?, language), word_count = ?,"
            " content_hash = ?, text = ?, meta = ?, cjk = ? WHERE id = ?",
            (doc.title, doc.url, published, precision,
             normalise_language(doc.language) or detect_language(text),
             count_words(text), digest, text, meta, cjk_pairs(doc.title, text), known.id),
        )
        forget_counts(self.conn, known.id)
        if self.db.cluster_copies:  # the new text gets a new fingerprint
            from ..store.clusters import cluster_document

            source_id = self.conn.execute("SELECT source_id FROM documents WHERE id = ?",
                                          (known.id,)).fetchone()[0]
            cluster_document(self.conn, known.id, source_id, text, doc.title, published,
                             precision)
        return "updated"

    # -- the fetch log and health -----------------------------------------------
    def log(self, run_id: int | None, source: str, url: str | None, *, status: int | None,
            size: int | None = None, ms: int | None = None, new: int = 0, updated: int = 0,
            unchanged: int = 0, error: str | None = None) -> None:
        self.conn.execute(
            "INSERT INTO fetches (run_id, source, url, status, bytes, new, updated,"
            " unchanged, error, ms, fetched_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (run_id, source, url, status, size, new, updated, unchanged, error, ms,
             now_utc().isoformat()),
        )

    def prune_log(self, keep_days: int) -> int:
        cutoff = (now_utc() - timedelta(days=keep_days)).isoformat()
        return self.conn.execute("DELETE FROM fetches WHERE fetched_at < ?",
                                 (cutoff,)).rowcount

    def health(self, source: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT last_attempt, last_success, last_error, last_error_at, failures,"
            " next_attempt FROM source_health WHERE source = ?", (source,)).fetchone()
        keys = ("last_attempt", "last_success", "last_error", "last_error_at", "failures",
                "next_attempt")
        return dict(zip(keys, row, strict=True)) if row else None

    def is_due(self, source: str, at: datetime | None = None) -> bool:
        health = self.health(source)
        if not health or not health["next_attempt"]:
            return True
        return datetime.fromisoformat(health["next_attempt"]) <= (at or now_utc())

    def record(self, source: str, every: float, error: str | None) -> None:
        """A finished attempt: resets the backoff, or counts one more failure."""
        now = now_utc()
        health = self.health(source) or {"failures": 0}
        if error is None:
            failures, wait = 0, every
        else:
            failures = health["failures"] + 1
            wait = min(every * failures, MAX_BACKOFF)
        self.conn.execute(
            "INSERT INTO source_health (source, last_attempt, last_success, last_error,"
            " last_error_at, failures, next_attempt) VALUES (?,?,?,?,?,?,?)"
            " ON CONFLICT(source) DO UPDATE SET last_attempt = excluded.last_attempt,"
            " last_success = coalesce(excluded.last_success, last_success),"
            " last_error = coalesce(excluded.last_error, last_error),"
            " last_error_at = coalesce(excluded.last_error_at, last_error_at),"
            " failures = excluded.failures, next_attempt = excluded.next_attempt",
            (source, now.isoformat(), None if error else now.isoformat(), error,
             now.isoformat() if error else None, failures,
             (now + timedelta(seconds=wait)).isoformat()),
        )


def forget_counts(conn: sqlite3.Connection, document_id: int) -> None:
    """Remove a document's counts so the next tally scans it again."""
    conn.execute("DELETE FROM counts WHERE term_id IN (SELECT id FROM terms)"
                 " AND document_id = ?", (document_id,))
    conn.execute("DELETE FROM category_counts WHERE category_id IN (SELECT id FROM categories)"
                 " AND document_id = ?", (document_id,))
    conn.execute("DELETE FROM tallied WHERE document_id = ?", (document_id,))
