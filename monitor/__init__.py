"""rhetoric-monitor: watch what governments and media say by counting the words they choose.

The Python API mirrors the pipeline: sources -> store -> tally -> trends -> charts/reports.
"""

from .documents import Document, IngestError
from .store import Database

__all__ = ["Database", "Document", "IngestError"]
