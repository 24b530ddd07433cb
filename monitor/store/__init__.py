"""The store: one SQLite file holding sources, documents, runs, lexicons and counts.

``database`` is the :class:`Database` (transactions, migrations, documents in, rows out);
``schema`` is the DDL and its migrations; ``clusters`` finds syndicated copies (MinHash
LSH) as documents are stored; ``search`` makes the full-text index find Chinese words
(``fts_query``); ``prepare`` does the per-document work of storing (normalise, hash,
count, detect, MinHash), in worker processes for big batches; ``fields`` indexes short
meta keys for ``--where``; ``errors`` turns SQLite failures into one-line
:class:`StoreError` messages.
"""

from __future__ import annotations

from .database import AddResult, Database, default_db_path, process_alive, utcnow
from .errors import DatabaseLocked, SchemaError, StoreError, describe
from .schema import SCHEMA_VERSION
from .search import cjk_pairs, fts_query

__all__ = ["SCHEMA_VERSION", "AddResult", "Database", "DatabaseLocked", "Preparer",
           "SchemaError", "StoreError", "cjk_pairs", "default_db_path", "describe", "fts_query",
           "process_alive", "utcnow"]


def __getattr__(name: str) -> object:
    """``Preparer``, imported on first use: commands that only read start without numpy."""
    if name == "Preparer":
        from .prepare import Preparer

        return Preparer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
