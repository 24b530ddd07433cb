"""Any word, no lexicon: ad-hoc terms counted with the tally's own rules.

``monitor trend --term "security council"`` counts a term no lexicon holds, as Ngram Viewer
and Voyant do. Each term becomes a one-term lexicon named ``adhoc.<hash>`` (its description
is the term), tallied like any other: the same word and phrase rules, wildcards, CJK
substrings. The first query scans the documents once; later ones (and new documents only,
incrementally) reuse the stored counts, so asking again is instant.

>>> series = ensure_terms(db, ["security council", "发展"])   # term -> series name
>>> trend(db, TrendQuery(terms=["security council"]))
"""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..store import Database

if TYPE_CHECKING:
    from ..lexicon import Lexicon

PREFIX = "adhoc."
"""Names of ad-hoc lexicons start with this (reports and listings leave them out)."""
CATEGORY = "term"


def adhoc_name(term: str) -> str:
    """The lexicon name of an ad-hoc term: stable, so its counts are found again."""
    text = " ".join(term.split())
    return PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def adhoc_lexicon(term: str) -> Lexicon:
    """A one-term lexicon for ``term``; ValueError (one line) if the term is not valid."""
    from ..lexicon import LexiconError, lexicon_from_dict  # not needed to read counts

    text = " ".join(term.split())
    if not text:
        raise ValueError("--term needs a word or phrase")
    try:
        lexicon = lexicon_from_dict({"name": adhoc_name(text), "description": text,
                                     "categories": {CATEGORY: [text]}}, adhoc_name(text))
    except LexiconError as exc:
        problem = exc.problems[0].split(": ", 1)[-1] if exc.problems else str(exc)
        raise ValueError(f"--term {term!r}: {problem}") from None
    return lexicon


def is_adhoc(name: str) -> bool:
    return name.startswith(PREFIX)


def ensure_terms(db: Database, terms: Sequence[str],
                 workers: int | None = None) -> dict[str, str]:
    """Tally each ad-hoc term on the documents not yet tallied for it; ``{term: series}``
    where ``series`` (``adhoc.<hash>:<term>``) names it for :func:`~monitor.trends.trend`."""
    from ..tally import tally_documents

    lexicons = {term: adhoc_lexicon(term) for term in dict.fromkeys(terms)}
    if lexicons:
        tally_documents(db, list(lexicons.values()), workers=workers)
    return {term: f"{lex.name}:{lex.terms[0].label}" for term, lex in lexicons.items()}


def tallied_terms(db: Database, terms: Sequence[str],
                  notes: list[str] | None = None) -> dict[str, str]:
    """Like :func:`ensure_terms` but read-only: ``{term: series}`` for terms tallied before.

    ValueError names the command that tallies a term never counted; a term whose counts
    miss documents ingested since adds a note (to ``notes``) saying how many.
    """
    found = {}
    for term in dict.fromkeys(terms):
        lexicon = adhoc_lexicon(term)
        row = db.conn.execute("SELECT id, fingerprint FROM lexicons WHERE name = ?",
                              (lexicon.name,)).fetchone()
        text = " ".join(term.split())
        if row is None or row[1] != lexicon.fingerprint:
            raise ValueError(
                f"--term {text!r} has not been counted yet, and this view is read-only:"
                f" run {_command(db, text)} once (it tallies the term), then reload")
        (missing,) = db.conn.execute(
            "SELECT count(*) FROM documents WHERE id NOT IN"
            " (SELECT document_id FROM tallied WHERE lexicon_id = ?)", (row[0],)).fetchone()
        if missing and notes is not None:
            notes.append(f"--term {text!r} was counted before {missing} of the documents were"
                         f" ingested, which are left out: run {_command(db, text)} to count them")
        found[term] = f"{lexicon.name}:{lexicon.terms[0].label}"
    return found


def _command(db: Database, text: str) -> str:
    where = f" --db {shlex.quote(str(db.path))}" if getattr(db, "path", None) else ""
    return f"monitor{where} trend --term {shlex.quote(text)}"


__all__ = ["PREFIX", "adhoc_lexicon", "adhoc_name", "ensure_terms", "is_adhoc",
           "tallied_terms"]
