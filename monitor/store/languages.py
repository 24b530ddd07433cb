"""Languages of documents stored before the tool detected them, and the tallies that follow.

Files made before documents had a detected ``language`` hold NULL there, so every lexicon
applied to every document: ``security_zh`` was tallied on English speeches, diluting its
rates. :func:`detect_stored_languages` (run once by the migration that brought it) detects
the language of those documents as ingest does, then removes the tallies, counts and
category totals of lexicons whose ``language`` list no longer covers a document. Nothing
needs re-tallying: those documents were never the lexicon's.
"""

from __future__ import annotations

import sqlite3

from ..text import detect_language


def detect_stored_languages(conn: sqlite3.Connection) -> tuple[int, int]:
    """(documents whose language was found, tallies removed as not the lexicon's)."""
    found = []
    for doc_id, sample in conn.execute(
            "SELECT id, substr(text, 1, 1000) FROM documents WHERE language IS NULL"):
        language = detect_language(sample)
        if language is not None:
            found.append((language, doc_id))
    conn.executemany("UPDATE documents SET language = ? WHERE id = ?", found)
    removed = 0
    for lexicon_id, languages in conn.execute(
            "SELECT id, language FROM lexicons WHERE language IS NOT NULL").fetchall():
        codes = [c.strip() for c in languages.split(",") if c.strip()]
        if not codes:
            continue
        marks = ",".join("?" * len(codes))
        others = (f"SELECT id FROM documents WHERE language IS NOT NULL"
                  f" AND language NOT IN ({marks})")
        conn.execute("DELETE FROM counts WHERE term_id IN (SELECT id FROM terms WHERE"
                     f" lexicon_id = ?) AND document_id IN ({others})", [lexicon_id, *codes])
        conn.execute("DELETE FROM category_counts WHERE category_id IN (SELECT id FROM"
                     " categories WHERE lexicon_id = ?) AND document_id IN"
                     f" ({others})", [lexicon_id, *codes])
        removed += conn.execute(f"DELETE FROM tallied WHERE lexicon_id = ? AND document_id IN"
                                f" ({others})", [lexicon_id, *codes]).rowcount
    return len(found), removed
