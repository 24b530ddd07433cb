"""Per-source health in the report: a source far below its usual number is flagged."""

from __future__ import annotations

from datetime import timedelta

from output_checks import read_csv

from monitor.documents import Document
from monitor.fetch import FetchStore
from monitor.lexicon import resolve_lexicon
from monitor.report import build_report
from monitor.tally import tally_documents
from monitor.trends import periods


def test_a_dead_feed_is_flagged_not_read_as_a_fall_in_mentions(db, tmp_path):
    key = "2026-W40"
    docs = []
    for back in range(0, 9):
        week = periods.shift(key, -back, "week")
        monday = periods.start(week, "week")
        for i in range(8):
            day = (monday + timedelta(days=i % 5)).isoformat()
            word = "security" if (i + back) % 3 else "culture"  # shares that vary
            docs.append(Document(text=f"steady {word} {week} {i}", source="steady",
                                 published=day, precision="day"))
            if back:  # the dying source brings nothing in the report week
                docs.append(Document(text=f"dying security {week} {i}", source="dying",
                                     published=day, precision="day"))
    db.add_documents(docs)
    with db.transaction():
        FetchStore(db).record("dying", 3600, "http://x.example/feed: HTTP 500")
    tally_documents(db, [resolve_lexicon("power")])
    config = tmp_path / "monitor.toml"
    config.write_text('[report]\n[[report.charts]]\nseries = ["power:security"]\n',
                      encoding="utf-8")
    folder = build_report(db, period="week", for_=key, out=tmp_path / "reports", config=config)
    health = {row["source"]: row for row in read_csv(folder / "health.csv")}
    assert health["steady"]["documents"] == "8" and health["steady"]["warning"] == ""
    assert health["dying"]["documents"] == "0" and float(health["dying"]["usual_per_week"]) == 8
    warning = health["dying"]["warning"]
    assert "far fewer than its usual 8.0" in warning and "HTTP 500" in warning
    summary = (folder / "summary.md").read_text(encoding="utf-8")
    assert "Source dying: brought 0 documents" in summary and "Source health" in summary
    assert "Source steady:" not in summary
