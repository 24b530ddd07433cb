"""The record every source produces and the store keeps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PRECISIONS = ("day", "month", "year")


@dataclass
class Document:
    """One speech or article, ready to store.

    ``published`` is a partial ISO date whose length matches ``precision``:
    ``2022`` (year), ``2022-10`` (month) or ``2022-10-16`` (day); both are None
    when the date is unknown. ``language`` is an ISO 639 code; the store detects it when
    None (a placeholder, impossible or future date is stored as
    unknown, with a warning). ``origin`` says where it came from (file, line) for
    error messages; ``external_id`` is the source's own id or URL, used to dedupe.
    """

    text: str
    source: str
    title: str | None = None
    url: str | None = None
    external_id: str | None = None
    published: str | None = None
    precision: str | None = None
    language: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    origin: str = ""
    date_warning: str | None = None  # why a date the source gave was dropped (a placeholder)


@dataclass
class IngestError:
    """A one-line, user-facing reason why an item could not be ingested."""

    origin: str
    reason: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.reason}"
