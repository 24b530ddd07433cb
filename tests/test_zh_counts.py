"""Chinese counts on real reports equal plain substring counts (str.count)."""

from __future__ import annotations

import csv
import json

import pytest
from shared_corpora import CORPORA

from monitor.lexicon import lexicon_from_dict, resolve_lexicon
from monitor.lexicon.matcher import ENGINES, Matcher, hyperscan

ZH = CORPORA / "zh"
pytestmark = [pytest.mark.corpus,
              pytest.mark.skipif(not ZH.is_dir(), reason=f"Chinese corpus not found at {ZH}")]
AVAILABLE = [e for e in ENGINES if e != "hyperscan" or hyperscan is not None]


@pytest.fixture(scope="module")
def reports() -> list[dict]:
    with (ZH / "government_work_reports.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.mark.parametrize("engine", AVAILABLE)
def test_anquan_equals_str_count(reports, engine):
    matcher = Matcher([resolve_lexicon("security_zh")], engine=engine)
    index = {t.label: i for i, (_, t) in enumerate(matcher.terms)}
    for report in reports:
        content = report["content"]
        found = matcher.count(content)
        for label in ("安全", "国家安全", "风险", "斗争", "稳定"):
            assert found.get(index[label], 0) == content.count(label), (report["title"], label)


@pytest.mark.parametrize("engine", AVAILABLE)
def test_india_except_indonesia(reports, engine):
    lexicon = lexicon_from_dict(
        {"categories": {"countries": [{"term": "印度", "except": ["印度尼西亚"]}]}}, "zh")
    matcher = Matcher([lexicon], engine=engine)
    text = "\n".join(r["content"] for r in reports)
    expected = text.count("印度") - text.count("印度尼西亚")
    assert text.count("印度尼西亚") > 0
    assert matcher.count(text).get(0, 0) == expected


def test_anquan_rises_in_recent_reports(reports):
    """The kind of claim the product checks: 安全 per report, 2025 vs 2013."""
    matcher = Matcher([resolve_lexicon("security_zh")])
    index = [t.label for _, t in matcher.terms].index("安全")
    by_year = {str(r["year"]): matcher.count(r["content"]).get(index, 0) for r in reports
               if str(r["year"]) in ("2013", "2025")}
    assert by_year["2025"] > by_year["2013"] > 0


def test_xi_speeches_counts():
    with (ZH / "xi_speeches_2020.csv").open(encoding="utf-8", newline="") as f:
        texts = [row["Text"] for row in csv.DictReader(f)]
    matcher = Matcher([resolve_lexicon("xi_thought")], engine=AVAILABLE[-1])
    labels = [t.label for _, t in matcher.terms]
    general = labels.index("Xi Jinping Thought on Socialism with Chinese Characteristics "
                           "for a New Era")
    new_era = labels.index("new era")
    text = "\n".join(texts)
    counts = matcher.count(text)
    banner = "习近平新时代中国特色社会主义思想"
    assert counts.get(general, 0) == text.count(banner)
    # overlap: longest - 新时代 inside the banner counts for the banner only
    assert counts.get(new_era, 0) == text.count("新时代") - text.count(banner)
