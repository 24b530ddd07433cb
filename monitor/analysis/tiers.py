"""Temperature tiers in the China Media Project's manner: how hot a term or slogan runs,
by the share of documents mentioning it per period (CMP counts People's Daily articles
mentioning a phrase per year).

Six tiers, hottest first, each a lower bound on the share of documents (in percent):
boiling >= 20, hot >= 10, warm >= 5, tepid >= 2, cool >= 0.5, cold below (a share of 0
is cold too). A period without tallied documents has no tier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..trends import Trend
from .output import render

TIERS = ("boiling", "hot", "warm", "tepid", "cool", "cold")
THRESHOLDS = (20.0, 10.0, 5.0, 2.0, 0.5)
"""Lower bounds, in percent of documents, of the first five tiers (cold is the rest)."""


@dataclass
class TierRow:
    period: str
    series: str
    source: str
    docs: int | None
    total_docs: int
    share: float | None
    tier: str | None


def check_thresholds(values: Sequence[float]) -> tuple[float, ...]:
    values = tuple(float(v) for v in values)
    if len(values) != 5:
        raise ValueError(f"tier thresholds: give 5 percentages for {', '.join(TIERS[:5])}"
                         f" (cold is the rest), not {len(values)}")
    if any(a <= b for a, b in zip(values, values[1:], strict=False)) or values[-1] < 0:
        raise ValueError("tier thresholds must fall strictly, hottest first, e.g. 20,10,5,2,0.5")
    return values


def tier_of(share: float | None, thresholds: Sequence[float] = THRESHOLDS) -> str | None:
    """The tier of a share of documents (0..1); None for no share."""
    if share is None:
        return None
    for name, bound in zip(TIERS, thresholds, strict=False):
        if share * 100 >= bound:
            return name
    return "cold"


def tier_rows(result: Trend, thresholds: Sequence[float] = THRESHOLDS) -> list[TierRow]:
    thresholds = check_thresholds(thresholds)
    return [TierRow(r.period, r.series, r.source, None if r.docs is None else int(r.docs),
                    r.total_docs, r.share, tier_of(r.share, thresholds))
            for r in result.rows if r.series != result.query.ratio_label]


def render_tiers(rows: Sequence[TierRow], fmt: str) -> str:
    columns = ["period", "series", "source", "docs", "total_docs", "share", "tier"]
    return render(fmt, rows, TierRow, columns, ["docs", "total_docs", "share"])
