"""Charts are real files: PNGs with the right header and visible content, SVGs that parse."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from fixtures_corpus import corpus_db  # noqa: F401 - the db fixture
from matplotlib import image
from output_checks import assert_not_blank, png_size

from monitor.cli import main
from monitor.report.charts import axis_label, bar_chart, chart, line_chart, load_events
from monitor.trends import TrendQuery, trend


@pytest.fixture
def events(tmp_path: Path) -> Path:
    path = tmp_path / "events.yaml"
    path.write_text("- date: 2021-01-20\n  label: Inauguration\n"
                    "- date: 2022-10\n  label: 20th Party Congress\n"
                    "- date: 1999-01-01\n  label: out of range\n", encoding="utf-8")
    return path


def test_line_chart_png(db, tmp_path: Path, events: Path) -> None:
    result = trend(db, TrendQuery(["hard_power", "soft_power"], bucket="quarter"))
    path = line_chart(result, tmp_path / "out" / "line.png", events=load_events(events))
    width, height = png_size(path)
    assert (width, height) == (1500, 810)
    assert_not_blank(path)


def test_a_chinese_title_draws_without_a_font_warning(db, tmp_path: Path, caplog) -> None:
    from monitor.report.charts import cjk_font

    if cjk_font() is None:
        pytest.skip("mplfonts (the CJK font) is not installed")
    result = trend(db, TrendQuery(["hard_power"], bucket="year"))
    with caplog.at_level("WARNING", logger="matplotlib.font_manager"):
        path = line_chart(result, tmp_path / "zh.png", title="安全 与 发展")
    assert_not_blank(path)
    assert not [r for r in caplog.records if "font" in r.getMessage()]


def test_small_multiples_by_source_and_bars(db, tmp_path: Path) -> None:
    split = trend(db, TrendQuery(["hard_power", "soft_power"], bucket="year", by_source=True,
                                 measure="per10k"))
    path = line_chart(split, tmp_path / "multiples.png", title="By source")
    width, _ = png_size(path)
    assert width > 1200
    assert_not_blank(path)
    for stacked in (False, True):
        bars = bar_chart(split, tmp_path / f"bars-{stacked}.png", stacked=stacked)
        assert_not_blank(bars)


def test_ratio_on_a_second_axis(db, tmp_path: Path) -> None:
    result = trend(db, TrendQuery(["hard_power"], bucket="year", measure="count",
                                  ratio=("hard_power", "soft_power")))
    assert_not_blank(chart(result, tmp_path / "ratio.png"))


def test_svg_parses_as_xml_and_says_what_it_shows(db, tmp_path: Path) -> None:
    result = trend(db, TrendQuery(["hard_power"], bucket="year"))
    path = line_chart(result, tmp_path / "chart.svg", title="Hard power")
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    text = path.read_text(encoding="utf-8")
    assert "Hard power" in text  # matplotlib keeps text as comments/ids in SVG
    assert axis_label(result) == (
        "Share of documents mentioning (%) — of all tallied documents per year")
    ratio = trend(db, TrendQuery([], bucket="year", measure="per10k",
                                 ratio=("hard_power", "soft_power")))
    assert axis_label(ratio) == (
        "Ratio of occurrences per 10,000 words: hard_power ÷ soft_power")


def test_empty_data_gives_a_chart_that_says_so(db, tmp_path: Path) -> None:
    result = trend(db, TrendQuery(["hard_power"], since="2030", sources=["press"]))
    path = line_chart(result, tmp_path / "empty.svg")
    assert "No documents match" in path.read_text(encoding="utf-8")
    png = line_chart(result, tmp_path / "empty.png")
    assert png_size(png)[0] > 0
    assert float(np.var(image.imread(png)[..., :3])) > 0  # the message is drawn


def test_events_file(tmp_path: Path, events: Path) -> None:
    loaded = load_events(events)
    assert [e.date for e in loaded] == [date(2021, 1, 20), date(2022, 10, 1),
                                        date(1999, 1, 1)]
    assert loaded[1].label == "20th Party Congress"
    bad = tmp_path / "bad.yaml"
    bad.write_text("- date: next week\n  label: x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="item 1: date"):
        load_events(bad)
    bad.write_text("- label: no date\n", encoding="utf-8")
    with pytest.raises(ValueError, match="needs 'date' and 'label'"):
        load_events(bad)
    bad.write_text("- date: 2021\n  label: [unclosed\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.yaml:3: not valid YAML"):
        load_events(bad)


def test_bad_suffix(db, tmp_path: Path) -> None:
    result = trend(db, TrendQuery(["hard_power"]))
    with pytest.raises(ValueError, match="end in .png"):
        line_chart(result, tmp_path / "chart.jpg")


def test_cli_chart(db, tmp_path: Path, events: Path) -> None:
    out = tmp_path / "cli.png"
    result = CliRunner().invoke(main, [
        "--db", str(db.path), "chart", "hard_power", "soft_power", "--bucket", "month",
        "--measure", "per10k", "--smooth", "3", "--events", str(events), "--out", str(out),
        "--title", "Hard and soft power"])
    assert result.exit_code == 0, result.output
    assert "dated only to the year" in result.stderr
    assert_not_blank(out)
