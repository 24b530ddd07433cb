"""Readers that turn inputs into ``Document`` records (or ``IngestError``s).

``files`` walks files and folders and dispatches by extension; ``records`` maps JSON and
CSV records to documents; ``html`` extracts an article's main text; ``decode`` turns bytes
into text (gzip, size limit, encodings). ``decode`` and ``html`` know nothing about files,
so feed and web-page sources can reuse them.
"""

from __future__ import annotations

from .decode import DEFAULT_MAX_BYTES, DecodeError
from .files import FORMATS, FileItem, read_file, walk
from .records import FieldMap, ReadOptions

__all__ = [
    "DEFAULT_MAX_BYTES", "FORMATS", "DecodeError", "FieldMap", "FileItem", "ReadOptions",
    "read_file", "walk",
]
