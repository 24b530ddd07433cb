"""Caveats next to a report's figures: a period, or a lexicon's share, on few documents."""

from __future__ import annotations

from typing import Any

#: a period (or a lexicon's documents in it) with fewer documents is flagged: its shares
#: and rates rest on too few texts to mean anything
FEW_DOCUMENTS = 5


def few_documents(n: int, key: str) -> str:
    """The warning next to figures resting on ``n`` documents ('' when there are enough)."""
    if n >= FEW_DOCUMENTS or n == 0:
        return ""
    word = "document" if n == 1 else "documents"
    return (f"{n} {word} in {key}: shares and rates are not meaningful"
            f" (fewer than {FEW_DOCUMENTS})")


def share_cell(row: Any, key: str) -> str:
    """A share of documents, flagged when it rests on few of them."""
    text = f"{100 * row.share:.1f}%"
    if few_documents(row.total_docs, key):
        text += f" (of {row.total_docs}: not meaningful)"
    return text


def warned(rows: list[Any], key: str, text: str) -> str:
    """A section's text, after the warning when every lexicon's figures rest on few documents."""
    counted = [r.total_docs for r in rows if r.count]
    most = max(counted, default=0)
    warning = few_documents(most, key)
    return f"{warning}. {text}" if warning else text
