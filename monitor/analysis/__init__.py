"""Analysis: beyond counting.

``keyness`` holds the statistics (log-likelihood G2, Log Ratio, Yates chi2, Monroe
log-odds); ``tokens`` cuts texts into words and phrases; ``discover`` finds the terms and
phrases over-represented in a target set of documents against a reference; ``kwic``
lists every counted occurrence of a series in its context; ``suggest`` proposes new
lexicon entries.
"""

from __future__ import annotations

from .discover import SORTS, DiscoverQuery, Discovery, KeyTerm, discover
from .kwic import Kwic, KwicLine, KwicQuery, kwic
from .suggest import Candidate, Suggestions, WildcardForms, suggest

__all__ = ["SORTS", "Candidate", "DiscoverQuery", "Discovery", "KeyTerm", "Kwic", "KwicLine",
           "KwicQuery", "Suggestions", "WildcardForms", "discover", "kwic", "suggest"]
