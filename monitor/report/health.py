"""Per-source health for the periodic report, so a dead feed never reads as a fall in
mentions.

For every source: the documents dated in the period, the mean per period over the
``baseline`` previous periods (periods without documents count as 0 here: a source that
brought nothing brought nothing), and a warning when it usually brings at least
``MIN_USUAL`` documents and brought under a quarter of that. Live sources add their fetch
health (consecutive failures, last error) from ``source_health``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..store import Database
from ..trends import periods

MIN_USUAL = 4.0
FAR_FEWER = 0.25


@dataclass
class SourceHealth:
    source: str
    documents: int
    usual: float | None  # mean per period over the baseline; None without a baseline
    failures: int = 0
    last_error: str | None = None

    @property
    def warning(self) -> str | None:
        notes = []
        if self.usual is not None and self.usual >= MIN_USUAL and \
                self.documents < FAR_FEWER * self.usual:
            notes.append(f"brought {self.documents} documents, far fewer than its usual"
                         f" {self.usual:.1f}: check the source before reading a fall in"
                         " mentions")
        if self.failures:
            notes.append(f"its last {self.failures} fetch(es) failed ({self.last_error})")
        return "; ".join(notes) or None


def source_health(db: Database, key: str, baseline: int, sources: list[str] | None = None
                  ) -> list[SourceHealth]:
    """Health of each source (or of ``sources``) in period ``key``; see the module doc."""
    kind = periods.kind(key)
    base = [periods.shift(key, -i, kind) for i in range(baseline, 0, -1)]
    wanted = set([key, *base])
    first = periods.date_bounds(base[0] if base else key)[0]
    last = periods.date_bounds(key)[1]
    counts: dict[str, dict[str, int]] = {}
    for (name,) in db.conn.execute("SELECT name FROM sources"):
        counts[name] = {}
    for name, published, precision in db.conn.execute(
        "SELECT s.name, d.published, d.precision FROM documents d JOIN sources s"
        " ON s.id = d.source_id WHERE d.published >= ? AND d.published <= ?",
        (first.isoformat()[:4], last.isoformat()),
    ):
        bucket = periods.bucket_key(published, precision, kind)
        if bucket in wanted:
            counts[name][bucket] = counts[name].get(bucket, 0) + 1
    live = {}
    if db.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'source_health'").fetchone():
        live = {row[0]: row[1:] for row in db.conn.execute(
            "SELECT source, failures, last_error FROM source_health")}
    result = []
    for name in sorted(counts):
        if sources and name not in sources:
            continue
        by_period = counts[name]
        failures, error = live.get(name, (0, None))
        ever = any(by_period.get(b) for b in base) or by_period.get(key) or failures
        if not ever:
            continue
        usual = sum(by_period.get(b, 0) for b in base) / len(base) if base else None
        result.append(SourceHealth(name, by_period.get(key, 0), usual, failures or 0, error))
    return result
