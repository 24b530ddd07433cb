"""Alerts (EARS C2 on shares, source health) and temperature tiers, on planted series."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import yaml
from click.testing import CliRunner

from monitor import Database, Document
from monitor.analysis import AlertQuery, alerts, tier_of
from monitor.cli import main
from monitor.lexicon import load_lexicon
from monitor.tally import tally_documents

TODAY = date(2024, 5, 22)          # in 2024-W21: the last complete week is 2024-W20
WEEKS = 12                         # 2024-W09 .. 2024-W20


def monday(week: int) -> date:
    return date.fromisocalendar(2024, week, 1)


def build(tmp_path, spike_now=12, outage=False):
    path = tmp_path / "w.yaml"
    path.write_text(yaml.safe_dump({"name": "w", "categories": {
        "spike": ["surge"], "flat": ["steady"], "rare": ["seldom"]}}), encoding="utf-8")
    lexicon = load_lexicon(path)
    db = Database(tmp_path / "a.db")
    docs = []
    for week in range(9, 21):
        for i in range(20):
            words = [f"doc {week} {i}"]
            if i < 5 + (week % 2):                        # 25-30% of documents, every week
                words.append("steady")
            if (week == 20 and i < spike_now) or (week < 20 and i == 0):
                words.append("surge")
            if week == 20 and i == 19:
                words.append("seldom")                    # 1 document: under min_count
            day = monday(week) + timedelta(days=i % 7)
            docs.append(Document(text=" ".join(words), source="a", published=day.isoformat(),
                                 precision="day", external_id=f"a{week}-{i}"))
        if not (outage and week == 20):
            for i in range(10):
                docs.append(Document(text=f"other {week} {i}", source="b",
                                     published=monday(week).isoformat(), precision="day",
                                     external_id=f"b{week}-{i}"))
    db.add_documents(docs)
    tally_documents(db, [lexicon])
    return db


def test_a_planted_spike_is_alerted_and_flat_series_are_not(tmp_path):
    db = build(tmp_path)
    result = alerts(db, AlertQuery(period="week", today=TODAY))
    assert result.period == "2024-W20"
    assert result.baseline == [f"2024-W{w:02d}" for w in range(11, 18)]
    assert [(a.kind, a.name, a.status) for a in result.alerts] == [
        ("series", "w:spike", "alert")]
    (spike,) = result.active
    assert spike.docs == 12 and spike.total_docs == 30 and spike.score > 3
    assert spike.value == pytest.approx(12 / 30)
    assert spike.baseline_mean == pytest.approx(1 / 30)
    assert result.tested == 3                             # spike, flat, rare


def test_an_outage_raises_a_health_alert_and_suppresses_series(tmp_path):
    db = build(tmp_path, outage=True)
    result = alerts(db, AlertQuery(period="week", today=TODAY))
    kinds = [(a.kind, a.name, a.status) for a in result.alerts]
    assert kinds == [("source", "b", "alert"), ("series", "w:spike", "suppressed")]
    assert result.active[0].message.startswith("source b: 0 documents in 2024-W20")


def test_where_filters_the_series_and_the_source_volumes(tmp_path):
    db = build(tmp_path, outage=True)
    result = alerts(db, AlertQuery(period="week", today=TODAY, where=["source=a"]))
    assert [(a.kind, a.name, a.status) for a in result.alerts] == [
        ("series", "w:spike", "alert")]           # source b's outage is outside the filter
    other = alerts(db, AlertQuery(period="week", today=TODAY, where=["source=b"]))
    assert [(a.kind, a.name) for a in other.alerts] == [("source", "b")]
    res = CliRunner().invoke(main, ["--db", str(db.path), "alerts", "--for", "2024-W20",
                                    "--where", "source"])
    assert res.exit_code == 2 and res.output.startswith("error: cannot read filter")


def test_the_current_period_is_never_tested(tmp_path):
    db = build(tmp_path)
    with pytest.raises(ValueError, match="not complete yet"):
        alerts(db, AlertQuery(period="week", for_="2024-W21", today=TODAY))
    older = alerts(db, AlertQuery(period="week", for_="2024-W19", today=TODAY))
    assert older.active == [] and older.period == "2024-W19"


def test_alerts_cli(tmp_path):
    db = build(tmp_path)
    runner = CliRunner()
    res = runner.invoke(main, ["--db", str(db.path), "alerts", "--period", "week", "--for",
                               "2024-W20", "--format", "csv"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith("kind,status,period,name") and len(lines) == 2
    assert lines[1].startswith("series,alert,2024-W20,w:spike")
    quiet = runner.invoke(main, ["--db", str(db.path), "alerts", "--period", "week",
                                 "--for", "2024-W19"])
    assert quiet.output.startswith("no alerts for 2024-W19 (3 series tested)")


def test_tiers():
    assert [tier_of(s) for s in (0.25, 0.2, 0.1, 0.06, 0.02, 0.005, 0.001, 0.0, None)] == [
        "boiling", "boiling", "hot", "warm", "tepid", "cool", "cold", "cold", None]
    assert tier_of(0.3, (50, 40, 30, 20, 10)) == "warm"


def test_trend_tiers_cli(tmp_path):
    db = build(tmp_path)
    runner = CliRunner()
    base = ["--db", str(db.path), "trend", "w:flat", "w:spike", "--bucket", "week",
            "--since", "2024-W19", "--tiers"]
    res = runner.invoke(main, [*base, "--format", "csv"])
    assert res.exit_code == 0, res.output
    rows = [line.split(",") for line in res.output.splitlines()]
    assert rows[0] == ["period", "series", "source", "docs", "total_docs", "share", "tier"]
    tiers = {(r[0], r[1]): r[-1] for r in rows[1:]}
    assert tiers["2024-W20", "w:spike"] == "boiling"      # 40% of documents
    assert tiers["2024-W19", "w:spike"] == "tepid"        # 1 of 30: 3.3%
    assert tiers["2024-W20", "w:flat"] == "hot"           # 5 of 30: 16.7%
    bad = runner.invoke(main, [*base, "--tier-thresholds", "1,2,3,4,5"])
    assert bad.exit_code == 2 and "must fall strictly" in bad.output


def test_reports_have_an_alerts_section_and_yearly_temperature(tmp_path):
    from monitor.report import build_report

    db = build(tmp_path)
    week = build_report(db, period="week", for_="2024-W20", out=tmp_path / "reports")
    summary = (week / "summary.md").read_text(encoding="utf-8")
    assert "## Alerts" in summary and "w:spike" in summary and "Temperature" not in summary
    assert "series,alert,2024-W20,w:spike" in (week / "alerts.csv").read_text(encoding="utf-8")
    assert "alerts.csv" in summary
    year = build_report(db, period="year", for_="2024", out=tmp_path / "reports")
    summary = (year / "summary.md").read_text(encoding="utf-8")
    assert "## Alerts" in summary and "## Temperature" in summary
    temperature = summary.split("## Temperature")[1].split("## ")[0]
    assert "| steady | w | flat |" in temperature and "hot" in temperature


def test_reports_show_alerted_series_in_context(tmp_path):
    from monitor.report import ConfigError, build_report, load_config

    db = build(tmp_path)
    week = build_report(db, period="week", for_="2024-W20", out=tmp_path / "reports")
    summary = (week / "summary.md").read_text(encoding="utf-8")
    context = summary.split("## In context")[1].split("\n## ")[0]
    rows = [line for line in context.splitlines() if line.startswith("| w:")]
    assert rows[0].startswith("| w:spike | 2024-05-1") and "| surge |" in rows[0]
    assert len([r for r in rows if r.startswith("| w:spike |")]) == 5   # kwic_lines
    assert len({r.split(" | ")[0] for r in rows}) <= 3                  # kwic series
    page = (week / "kwic.html").read_text(encoding="utf-8")
    assert "<h2>w:spike</h2>" in page and '<table class="kwic">' in page
    assert "<mark" in page and "kwic.html" in summary
    assert "<h2>In context</h2>" in (week / "index.html").read_text(encoding="utf-8")
    (tmp_path / "monitor.toml").write_text("[report]\nkwic = 0\n", encoding="utf-8")
    week = build_report(db, period="week", for_="2024-W20", out=tmp_path / "reports",
                        config=tmp_path / "monitor.toml")
    assert "In context" not in (week / "summary.md").read_text(encoding="utf-8")
    (tmp_path / "monitor.toml").write_text("[report]\nkwic_lines = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="report.kwic_lines: 0 is not a whole number >= 1"):
        load_config(tmp_path / "monitor.toml")
