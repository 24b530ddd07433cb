"""The tally stage: scan stored documents with compiled lexicons and store their counts.

``run`` is the entry point (:func:`tally_documents`, :func:`sync_lexicons`); ``scan``
turns texts into rows, in this process or in worker processes; ``write`` stores a batch
of rows in one transaction (:func:`store_counts`), refusing one counted under a lexicon
that changed meanwhile.
"""

from __future__ import annotations

from .run import (
    CHUNK_DOCS,
    COMMIT_DOCS,
    TallyReport,
    pending_documents,
    sync_lexicons,
    tally_documents,
)
from .write import Batch, StaleTallyError, store_counts

__all__ = [
    "CHUNK_DOCS", "COMMIT_DOCS", "Batch", "StaleTallyError", "TallyReport", "pending_documents",
    "store_counts", "sync_lexicons", "tally_documents",
]
