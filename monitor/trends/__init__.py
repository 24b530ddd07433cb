"""Trends: reading stored counts back, per series and period.

``periods`` names buckets (day, week, month, quarter, year) and their bounds; ``data``
resolves series names and selects documents; ``filters`` parses ``--where`` filters;
``adhoc`` counts ``--term`` words that no lexicon holds; ``series`` computes a
:class:`Trend` (count, docs, share, per10k, ratios, smoothing); ``counts`` answers
``monitor counts``.
"""

from __future__ import annotations

from . import periods
from .adhoc import adhoc_lexicon, ensure_terms, is_adhoc, tallied_terms
from .counts import CountQuery, read_counts
from .filters import Where, parse_where, parse_wheres, where_sql
from .periods import BUCKETS
from .series import CSV_COLUMNS, MEASURES, Trend, TrendQuery, TrendRow, trend, wilson

__all__ = [
    "BUCKETS", "CSV_COLUMNS", "MEASURES", "CountQuery", "Trend", "TrendQuery", "TrendRow",
    "Where", "adhoc_lexicon", "ensure_terms", "is_adhoc", "parse_where", "parse_wheres",
    "periods", "read_counts", "tallied_terms", "trend", "where_sql", "wilson",
]
