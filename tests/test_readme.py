"""The README's examples of file formats load as written (the manual stays true)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from monitor.lexicon import Matcher, load_lexicon
from monitor.report import load_config, load_events

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, re.S)


def test_the_lexicon_example_loads_and_counts(tmp_path: Path) -> None:
    (example,) = [b for b in blocks("yaml") if "categories:" in b]
    path = tmp_path / "power.yaml"
    path.write_text(example, encoding="utf-8")
    lexicon = load_lexicon(path)
    assert lexicon.name == "power" and lexicon.overlap == "all"
    matcher = Matcher([lexicon])
    found = {matcher.terms[i][1].label: n for i, n in matcher.count(
        "National security, 国家安全 and the National Security Council; militarism, "
        "organisation and organization; soft power and culture.").items()}
    assert found == {"security": 2, "national security": 1, "militar*": 1,
                     "organi*ation": 2, "soft power": 1, "culture": 1}


def test_the_events_example_loads(tmp_path: Path) -> None:
    (example,) = [b for b in blocks("yaml") if "label:" in b]
    path = tmp_path / "events.yaml"
    path.write_text(example, encoding="utf-8")
    events = load_events(path)
    assert len(events) == len(yaml.safe_load(example)) >= 2


def test_the_monitor_toml_example_is_valid(tmp_path: Path) -> None:
    (example,) = [b for b in blocks("toml") if "[report]" in b]
    (tmp_path / "events.yaml").write_text("- date: 2022-10-16\n  label: x\n", encoding="utf-8")
    (tmp_path / "monitor.toml").write_text(example, encoding="utf-8")
    config = load_config(tmp_path / "monitor.toml")
    assert config.period == "week" and config.charts[0].ratio == ["hard_power", "soft_power"]


def test_the_sources_example_is_valid(tmp_path: Path) -> None:
    from monitor.sources.config import load_sources

    (example,) = [b for b in blocks("toml") if "[[sources]]" in b]
    (tmp_path / "monitor.toml").write_text(example, encoding="utf-8")
    config = load_sources(tmp_path / "monitor.toml")
    assert [s.kind for s in config.sources] == ["feed", "page", "sitemap", "folder"]
    assert config.sources[0].every == 3600 and config.fetch.max_bytes == 20 * 1024 * 1024
    assert config.sources[3].path == tmp_path / "incoming"


def test_the_schedule_example_is_valid(tmp_path: Path) -> None:
    from monitor.schedule.config import load_schedule

    (example,) = [b for b in blocks("toml") if "[schedule]" in b]
    (tmp_path / "monitor.toml").write_text(example, encoding="utf-8")
    config = load_schedule(tmp_path / "monitor.toml")
    assert config.timezone == "Europe/Berlin" and config.misfire_grace == 900
    assert config.log_file == tmp_path / "logs/monitor.log"


def test_the_shipped_example_config_loads() -> None:
    from monitor.schedule.config import load_schedule
    from monitor.sources.config import load_sources

    path = Path(__file__).resolve().parents[1] / "examples" / "monitor.toml"
    sources = load_sources(path)
    names = {s.name for s in sources.sources}
    assert {"xinhua_en", "peoples_daily_zh", "astana_times", "us_state_dept"} <= names
    assert all("unverified" in line for line in path.read_text(encoding="utf-8").splitlines()
               if line.startswith("name = ") and "inbox" not in line)
    assert load_schedule(path).report == "0 6 * * 1" and load_config(path).period == "week"
