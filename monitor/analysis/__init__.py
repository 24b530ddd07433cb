"""Analysis: beyond counting.

``keyness`` holds the statistics (log-likelihood G2, Log Ratio, Yates chi2, Monroe
log-odds); ``tokens`` cuts texts into words and phrases; ``discover`` finds the terms and
phrases over-represented in a target set of documents against a reference; ``kwic``
lists every counted occurrence of a series in its context.
"""

from __future__ import annotations

from .discover import SORTS, DiscoverQuery, Discovery, KeyTerm, discover
from .kwic import Kwic, KwicLine, KwicQuery, kwic

__all__ = ["SORTS", "DiscoverQuery", "Discovery", "KeyTerm", "Kwic", "KwicLine", "KwicQuery",
           "discover", "kwic"]
