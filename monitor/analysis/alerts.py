"""Alerts: a series far above its trailing baseline, and sources that went quiet.

The test is **EARS C2** (the CDC's Early Aberration Reporting System, as the ECDC's
epitweetr uses it) on the **share of documents** mentioning the series: the baseline is the
7 periods that end 2 periods before the tested one (the gap keeps a slow rise from hiding in
its own baseline), and

    C2 = (share now - mean of the baseline shares) / sd

where ``sd`` is the baseline's sample standard deviation, but at least the binomial sampling
error of the share now, ``sqrt(p (1 - p) / n)`` with ``p`` the baseline mean (``0.5 / n``
when it is 0) and ``n`` the tallied documents now, so that a flat baseline does not turn a
tiny wobble into an alert. A series is flagged when C2 >= ``threshold`` (default 3) and at
least ``min_count`` documents mention it now (default 5). Baseline periods without tallied
documents are skipped; fewer than 4 left and the series is not tested (noted).

Only a complete period is tested: by default the last one before today; a period that has
not ended yet is refused. A **source-health** alert is raised for a source whose documents
in the period fell below ``health_ratio`` (default 0.5) of its baseline mean (when that
mean is at least 3 documents); then the series alerts of the period are suppressed
(reported with ``status = suppressed``), since a dead feed is not a fall in mentions.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field
from datetime import date

from ..store import Database
from ..trends import TrendQuery, parse_wheres, periods, trend, where_sql
from .output import render

BASELINE = 7
GAP = 2


@dataclass
class AlertQuery:
    period: str = "week"
    for_: str | None = None  # the period id to test; default the last complete one
    series: list[str] = field(default_factory=list)  # default: every category
    sources: list[str] = field(default_factory=list)
    where: list[str] = field(default_factory=list)  # document filters: 'country=CHN'
    lexicon: str | None = None
    threshold: float = 3.0
    min_count: int = 5
    health_ratio: float = 0.5
    today: date | None = None  # for tests: what "now" is

    def __post_init__(self) -> None:
        periods.check_bucket(self.period)
        self.where = [str(w) for w in parse_wheres(self.where)]
        if self.min_count < 1:
            raise ValueError("--min-count must be at least 1")


@dataclass
class Alert:
    kind: str  # 'series' or 'source'
    status: str  # 'alert' or 'suppressed'
    period: str
    name: str  # series name, or source name
    value: float  # share now (series) or documents now (source)
    baseline_mean: float
    baseline_sd: float | None
    score: float | None  # C2 (series); ratio now / baseline mean (source)
    docs: int  # documents mentioning now (series) or documents now (source)
    total_docs: int
    message: str


@dataclass
class Alerts:
    query: AlertQuery
    period: str
    baseline: list[str]
    alerts: list[Alert]
    tested: int
    notes: list[str] = field(default_factory=list)

    @property
    def active(self) -> list[Alert]:
        return [a for a in self.alerts if a.status == "alert"]

    def render(self, fmt: str) -> str:
        if fmt == "table" and not self.alerts:
            return f"no alerts for {self.period} ({self.tested} series tested)"
        payload = {"query": asdict(self.query), "period": self.period,
                   "baseline": self.baseline, "tested": self.tested, "notes": self.notes}
        columns = ["kind", "status", "period", "name", "docs", "total_docs", "score",
                   "message"]
        return render(fmt, self.alerts, Alert, columns, ["docs", "total_docs", "score"],
                      payload)


def alerts(db: Database, query: AlertQuery) -> Alerts:
    """Test the query's period (see the module doc). ValueError on a period not yet over."""
    bucket = query.period
    current = periods.key_of(query.today or date.today(), bucket)
    period = query.for_ or periods.shift(current, -1, bucket)
    if periods.kind(period) != bucket:
        raise ValueError(f"--for {period} is not a {bucket}")
    if periods.start(period) >= periods.start(current, bucket):
        raise ValueError(f"{period} is not complete yet: only periods before {current} are"
                         " tested")
    baseline = [periods.shift(period, -i, bucket) for i in range(BASELINE + GAP, GAP, -1)]
    notes: list[str] = []
    names = query.series or _every_category(db, query.lexicon)
    found: list[Alert] = []
    tested = 0
    if names:
        result = trend(db, TrendQuery(series=names, bucket=bucket, sources=query.sources,
                                      lexicon=query.lexicon, since=baseline[0],
                                      until=period, where=tuple(query.where)))
        notes += result.notes
        for name in result.series:
            rows = {r.period: r for r in result.select(name)}
            alert = _test(name, period, rows, baseline, query, notes)
            tested += alert is not None
            if alert is not None and alert.status == "alert":
                found.append(alert)
    health = _source_health(db, period, baseline, query)
    if health:
        for alert in found:
            alert.status = "suppressed"
            alert.message += " (suppressed: a source's volume fell)"
    return Alerts(query, period, baseline, health + found, tested, notes)


def _every_category(db: Database, lexicon: str | None) -> list[str]:
    sql = ("SELECT DISTINCT l.name, t.category FROM terms t JOIN lexicons l ON l.id ="
           " t.lexicon_id WHERE EXISTS (SELECT 1 FROM tallied WHERE lexicon_id = l.id)")
    names = set()
    for name, category in db.conn.execute(sql):
        if lexicon and name != lexicon:
            continue
        parts = category.split("/")
        names.update(f"{name}:{'/'.join(parts[:i])}" for i in range(1, len(parts) + 1))
    return sorted(names)


def _test(name, period, rows, baseline, query: AlertQuery, notes) -> Alert | None:
    now = rows.get(period)
    if now is None or now.share is None:
        return None
    shares = [rows[p].share for p in baseline if p in rows and rows[p].share is not None]
    if len(shares) < 4:
        notes.append(f"{name}: not tested, only {len(shares)} of the {BASELINE} baseline"
                     " periods have documents")
        return None
    mean = statistics.fmean(shares)
    sd = statistics.stdev(shares)
    n = now.total_docs
    p = min(mean, 1 - 0.5 / n) if mean > 0 else 0.5 / n  # a 0 or 100% baseline still has an error
    floor = math.sqrt(p * (1 - p) / n)
    score = (now.share - mean) / max(sd, floor)
    docs = int(now.docs or 0)
    if score < query.threshold or docs < query.min_count:
        return Alert("series", "quiet", period, name, now.share, mean, sd, score, docs, n, "")
    message = (f"{name}: {docs} of {n} documents ({now.share:.1%}) against a baseline mean"
               f" of {mean:.1%} (C2 = {score:.1f})")
    return Alert("series", "alert", period, name, now.share, mean, sd, score, docs, n, message)


def _source_health(db: Database, period: str, baseline: list[str],
                   query: AlertQuery) -> list[Alert]:
    bucket = query.period
    counts: dict[str, dict[str, int]] = {}
    sql = ("SELECT s.name, d.published, d.precision FROM documents d JOIN sources s"
           " ON s.id = d.source_id WHERE d.published IS NOT NULL")
    first_year = str(periods.start(baseline[0], bucket).year)
    condition, args = where_sql(parse_wheres(query.where))
    for source, published, precision in db.conn.execute(
            sql + " AND d.published >= ?" + condition, (first_year, *args)):
        if query.sources and source not in query.sources:
            continue
        key = periods.bucket_key(published, precision, bucket)
        if key is not None:
            counts.setdefault(source, {}).setdefault(key, 0)
            counts[source][key] += 1
    found = []
    for source, by in sorted(counts.items()):
        mean = statistics.fmean(by.get(p, 0) for p in baseline)
        now = by.get(period, 0)
        if mean >= 3 and now < query.health_ratio * mean:
            found.append(Alert(
                "source", "alert", period, source, now, mean, None, now / mean, now, now,
                f"source {source}: {now} documents in {period} against a mean of {mean:.1f}"
                f" in the baseline: is the feed down? Series alerts are suppressed"))
    return found
