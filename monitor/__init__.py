"""rhetoric-monitor: watch what governments and media say by counting the words they choose.

The Python API mirrors the pipeline: sources -> store -> tally -> trends -> charts/reports.
"""

from __future__ import annotations

__all__ = ["Database", "Document", "IngestError"]


def __getattr__(name: str) -> object:
    """``Database``, ``Document`` and ``IngestError``, imported on first use: the
    command's start (``monitor.entry``) stays quick."""
    if name == "Database":
        from .store import Database

        return Database
    if name in ("Document", "IngestError"):
        from . import documents

        return getattr(documents, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
