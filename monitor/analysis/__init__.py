"""Analysis: beyond counting.

``keyness`` holds the statistics (log-likelihood G2, Log Ratio, Yates chi2, Monroe
log-odds); ``tokens`` cuts texts into words and phrases and ``vectorize`` counts them fast;
``discover`` finds the terms and
phrases over-represented in a target set of documents against a reference; ``kwic``
lists every counted occurrence of a series in its context; ``suggest`` proposes new
lexicon entries; ``alerts`` flags series far above their baseline and quiet sources;
``tiers`` gives China Media Project style temperature tiers.
"""

from __future__ import annotations

from .alerts import Alert, AlertQuery, Alerts, alerts
from .discover import SORTS, DiscoverQuery, Discovery, KeyTerm, discover
from .kwic import Kwic, KwicLine, KwicQuery, kwic
from .suggest import Candidate, Suggestions, WildcardForms, suggest
from .tiers import THRESHOLDS, TIERS, TierRow, tier_of, tier_rows

__all__ = [
    "SORTS", "THRESHOLDS", "TIERS", "Alert", "AlertQuery", "Alerts", "Candidate",
    "DiscoverQuery", "Discovery", "KeyTerm", "Kwic", "KwicLine", "KwicQuery", "Suggestions",
    "TierRow", "WildcardForms", "alerts", "discover", "kwic", "suggest", "tier_of", "tier_rows",
]
