"""The report bundle: files, links, CSVs that agree with the trend API, atomic re-runs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures_corpus import corpus_db  # noqa: F401 - the db fixture
from output_checks import html_links, read_csv

from monitor.cli import main
from monitor.report import ChartSpec, ConfigError, load_config
from monitor.report.bundle import build_report, chart_query, resolve_period
from monitor.trends import TrendQuery, trend

CONFIG = """
[report]
period = "year"
baseline = 8
top = 10
min_count = 1

[[report.charts]]
title = "Hard vs soft power"
series = ["hard_power", "soft_power"]
measure = "per10k"
bucket = "year"
span = 3

[[report.charts]]
title = "Hard power by source"
series = ["hard_power"]
by_source = true
kind = "bars"
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "monitor.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def test_bundle_files_and_links(db, tmp_path: Path, config: Path) -> None:
    folder = build_report(db, for_="2021", out=tmp_path / "reports", config=config)
    assert folder == tmp_path / "reports" / "2021"
    names = sorted(p.name for p in folder.iterdir())
    assert {"index.html", "summary.md", "terms.csv", "sources.csv",
            "chart-01-hard-vs-soft-power.png", "chart-01-hard-vs-soft-power.csv",
            "chart-02-hard-power-by-source.png"} <= set(names)
    links = html_links(folder / "index.html")
    assert set(links) >= set(names)  # every file is linked ...
    for link in links:  # ... and every link resolves inside the bundle
        assert (folder / link).is_file(), link
    summary = (folder / "summary.md").read_text(encoding="utf-8")
    for name in names:
        assert f"]({name})" in summary
    assert not [p for p in (tmp_path / "reports").iterdir() if p.name.startswith(".")]


def test_a_period_without_documents_has_no_rates(db, tmp_path: Path, config: Path) -> None:
    folder = build_report(db, for_="2022", out=tmp_path / "reports", config=config)
    terms = read_csv(folder / "terms.csv")
    assert terms and all(r["total_docs"] == "0" for r in terms)
    assert all(r["share"] == "" and r["per10k"] == "" and r["change_per10k"] == ""
               for r in terms)


def test_terms_risers_fallers_and_new(db, tmp_path: Path, config: Path) -> None:
    folder = build_report(db, for_="2021", out=tmp_path / "reports", config=config)
    terms = {(r["lexicon"], r["term"]): r for r in read_csv(folder / "terms.csv")}
    # 2021 vs the one baseline year with documents (2020): per 10k words.
    military = terms["power", "military"]
    assert (military["count"], military["total_docs"], military["words"]) == ("1", "5", "900")
    assert float(military["per10k"]) == pytest.approx(10_000 / 900)
    assert float(military["baseline_mean_per10k"]) == pytest.approx(200.0)
    assert float(military["change_per10k"]) == pytest.approx(10_000 / 900 - 200)
    assert float(terms["power", "powerhouse"]["change_per10k"]) == pytest.approx(-700)
    # The CSV agrees with the trend API.
    for (lexicon, term), row in terms.items():
        api = trend(db, TrendQuery([f"{lexicon}:{term}"], bucket="year", since="2021",
                                   until="2021")).rows
        assert api[0].period == "2021"
        assert int(row["count"]) == api[0].count and int(row["docs"]) == api[0].docs
        assert float(row["share"]) == pytest.approx(api[0].share)
        assert float(row["per10k"]) == pytest.approx(api[0].per10k)
    html = (folder / "index.html").read_text(encoding="utf-8")
    risers = html.split("Biggest risers")[1].split("Biggest fallers")[0]
    assert risers.index("culture") < risers.index("militar*") < risers.index("exchange")
    fallers = html.split("Biggest fallers")[1].split("New terms")[0]
    assert fallers.index("powerhouse") < fallers.index("military") < fallers.index("growth")
    new = html.split("New terms")[1].split("Charts")[0]
    assert "culture" in new and "exchange" in new and "powerhouse" not in new
    sources = read_csv(folder / "sources.csv")
    assert sources == [{"source": "gov", "documents": "4", "tallied": "3"},
                       {"source": "press", "documents": "2", "tallied": "2"}]


def test_chart_csvs_agree_with_the_trend_api(db, tmp_path: Path, config: Path) -> None:
    folder = build_report(db, for_="2021", out=tmp_path / "reports", config=config)
    cfg = load_config(config)
    for i, spec in enumerate(cfg.charts, 1):
        written = next(folder.glob(f"chart-{i:02d}-*.csv")).read_text(encoding="utf-8")
        assert written == trend(db, chart_query(spec, "2021")).to_csv()
    rows = read_csv(next(folder.glob("chart-01-*.csv")))
    hard = {r["period"]: r for r in rows if r["series"] == "hard_power"}
    assert list(hard) == ["2020", "2021"]  # span 3 = 2019..2021, filled from the first data
    assert float(hard["2021"]["per10k"]) == pytest.approx(7 * 10_000 / 900)


def test_rerun_rewrites_the_bundle(db, tmp_path: Path, config: Path) -> None:
    out = tmp_path / "reports"
    build_report(db, for_="2021", out=out, config=config)
    config.write_text(CONFIG.split("[[report.charts]]")[0]
                      + '[[report.charts]]\ntitle = "Culture"\nseries = ["soft_power/culture"]\n',
                      encoding="utf-8")
    folder = build_report(db, for_="2021", out=out, config=config)
    names = {p.name for p in folder.iterdir()}
    assert "chart-01-culture.png" in names
    assert not any(name.startswith("chart-02") for name in names)  # old files are gone
    assert "hard-vs-soft" not in (folder / "index.html").read_text(encoding="utf-8")
    # A run that fails half-way (here: a broken events file) leaves the old bundle whole.
    events = tmp_path / "events.yaml"
    events.write_text("- date: not a date\n  label: x\n", encoding="utf-8")
    config.write_text(config.read_text(encoding="utf-8") + 'events = "events.yaml"\n',
                      encoding="utf-8")
    with pytest.raises(ValueError, match="events.yaml"):
        build_report(db, for_="2021", out=out, config=config)
    assert {p.name for p in folder.iterdir()} == names
    assert [p.name for p in out.iterdir()] == ["2021"]


def test_config_errors_say_how_to_fix_them(db, tmp_path: Path) -> None:
    path = tmp_path / "monitor.toml"
    path.write_text('[[report.charts]]\nseries = ["a"]\n[[report.charts]]\nseries = ["b"]\n'
                    'measure = "foo"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value) == (
        f"{path}: report.charts[2].measure: 'foo' is not one of count, docs, share, per10k")
    path.write_text('[report]\nperiod = "fortnight"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="report.period: 'fortnight' is not one of day"):
        load_config(path)
    path.write_text('[report]\nbaseline = "8"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="report.baseline: '8' is not a whole number"):
        load_config(path)
    path.write_text('[report]\ncolour = 1\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="report.colour: unknown key; expected one of"):
        load_config(path)
    path.write_text('[[report.charts]]\nseries = "hard_power"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"charts\[1\].series: write a list"):
        load_config(path)
    path.write_text("[report\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)
    path.write_text('[[report.charts]]\nseries = ["no_such_thing"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"charts\[1\].series: unknown series"):
        build_report(db, for_="2021", period="year", out=tmp_path / "r", config=path)
    (tmp_path / "bad.yaml").write_text("- date: [2021\n", encoding="utf-8")
    for toml, message in [
        ('[report]\nsources = ["nope"]\n', r"report\.sources: unknown source 'nope'"),
        ('[[report.charts]]\nseries = ["military"]\nsources = ["gov", "nope"]\n',
         r"charts\[1\]\.sources: unknown source 'nope'; known: gov, press"),
        ('[[report.charts]]\nseries = ["military"]\nlexicon = "nope"\n',
         r"charts\[1\]\.lexicon: unknown lexicon 'nope'"),
        ('[[report.charts]]\nseries = ["military"]\nevents = "bad.yaml"\n',
         r"charts\[1\]\.events: .*bad\.yaml:2: not valid YAML"),
    ]:
        path.write_text(toml, encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            build_report(db, for_="2021", period="year", out=tmp_path / "r", config=path)
    assert not (tmp_path / "r").exists()  # checked before anything is written
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")


def test_config_discovery(tmp_path: Path, config: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path / "..")
    monkeypatch.delenv("MONITOR_CONFIG", raising=False)
    assert load_config().charts == []  # defaults: no file here
    monkeypatch.setenv("MONITOR_CONFIG", str(config))
    assert load_config().period == "year"
    monkeypatch.delenv("MONITOR_CONFIG")
    monkeypatch.chdir(tmp_path)
    assert load_config().path == Path("monitor.toml")
    assert load_config().charts[0] == ChartSpec(
        series=["hard_power", "soft_power"], title="Hard vs soft power", measure="per10k",
        bucket="year", span=3)


def test_periods_to_report(db, tmp_path: Path) -> None:
    assert resolve_period(db, "week", None, today=date(2026, 11, 25)) == "2026-W47"
    assert resolve_period(db, "month", "latest") == "2023-03"
    assert resolve_period(db, "week", "latest") == "2023-W09"
    with pytest.raises(ValueError, match="pass --period month"):
        resolve_period(db, "week", "2023-03")
    # Defaults (no config): one share and one per10k chart per lexicon; an empty period
    # still gives a report that says how to pick one with documents.
    folder = build_report(db, period="week", out=tmp_path / "r", config=None,
                          today=date(2026, 11, 25))
    assert folder.name == "2026-W47"
    assert len(list(folder.glob("chart-*.png"))) == 4
    assert "--for latest" in (folder / "summary.md").read_text(encoding="utf-8")


def test_cli_report(db, tmp_path: Path, config: Path) -> None:
    result = CliRunner().invoke(main, [
        "--db", str(db.path), "report", "--for", "2021-Q1", "--out", str(tmp_path / "rep"),
        "--config", str(config)])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "rep" / "2021-Q1"
    assert (folder / "index.html").is_file()
    assert "week" not in (folder / "summary.md").read_text(encoding="utf-8").split("\n")[0]
    bad = CliRunner().invoke(main, ["--db", str(db.path), "report", "--for", "2021-13"])
    assert bad.exit_code == 2 and "'2021-13' is not a valid month" in bad.stderr


def test_empty_database_still_gives_a_readable_report(tmp_path: Path) -> None:
    from monitor import Database

    with Database(tmp_path / "empty.db") as empty:
        folder = build_report(empty, period="month", out=tmp_path / "r",
                              today=date(2026, 11, 25))
        with pytest.raises(ValueError, match="no tallied documents"):
            build_report(empty, period="month", for_="latest", out=tmp_path / "r")
    assert folder.name == "2026-10"
    assert all((folder / link).is_file() for link in html_links(folder / "index.html"))
    assert "No charts" in (folder / "summary.md").read_text(encoding="utf-8")


def test_a_period_on_few_documents_says_so_next_to_its_figures(tmp_path: Path) -> None:
    from monitor.documents import Document
    from monitor.lexicon import resolve_lexicon
    from monitor.store import Database
    from monitor.tally import tally_documents

    english = [Document(text=f"Speech {i} on national security and culture.", source="gov",
                        language="en", published="2024", precision="year") for i in range(6)]
    chinese = [Document(text=f"第{i}篇：维护国家安全。", source="gov", language="zh",
                        published="2024", precision="year") for i in range(2)]
    late = [Document(text="One speech on security.", source="gov", language="en",
                     published="2025", precision="year")]
    with Database(tmp_path / "few.db") as db:
        db.add_documents(english + chinese + late)
        tally_documents(db, [resolve_lexicon("power"), resolve_lexicon("security_zh")],
                        workers=1)
        lone = build_report(db, "year", "2025", out=tmp_path / "reports")
        full = build_report(db, "year", "2024", out=tmp_path / "reports")
    warning = "1 document in 2025: shares and rates are not meaningful (fewer than 5)"
    summary = (lone / "summary.md").read_text(encoding="utf-8")
    page = (lone / "index.html").read_text(encoding="utf-8")
    assert f"- {warning}." in summary.split("## Notes")[1]
    assert f"<li>{warning}.</li>" in page.split("<h2>")[0]
    for text in (summary, page):
        top = text.split("Top 15 terms")[1].split("Biggest risers")[0]
        assert warning in top and "100.0% (of 1: not meaningful)" in top
    summary = (full / "summary.md").read_text(encoding="utf-8")
    assert "not meaningful (fewer than" not in summary  # 6 English documents are enough ...
    rows = [line for line in summary.split("Top 15 terms")[1].split("Biggest risers")[0]
            .splitlines() if line.startswith("| ")]
    anquan = next(r for r in rows if r.startswith("| 安全 "))
    assert "100.0% (of 2: not meaningful)" in anquan  # ... the 2 Chinese ones are not
    security = next(r for r in rows if r.startswith("| security | power "))
    assert "not meaningful" not in security


def test_charts_drawn_in_workers_are_the_charts_drawn_in_place(db, tmp_path: Path,
                                                               config: Path) -> None:
    from monitor.report.drawing import ChartDrawer

    query = chart_query(load_config(config).charts[0], "2021")
    result = trend(db, query)
    for processes, name in ((1, "here"), (2, "workers")):
        with ChartDrawer(3, processes=processes) as drawer:
            for i in range(3):
                drawer.draw(result, tmp_path / name / f"{i}.png", "line", f"chart {i}", None, {})
    for i in range(3):
        drawn = (tmp_path / "workers" / f"{i}.png").read_bytes()
        assert drawn[:8] == b"\x89PNG\r\n\x1a\n"
        assert drawn == (tmp_path / "here" / f"{i}.png").read_bytes()
    with pytest.raises(ValueError, match=r"bad\.gif: chart files end in"):  # not lost
        with ChartDrawer(2, processes=2) as drawer:
            drawer.draw(result, tmp_path / "ok.png", "line", "fine", None, {})
            drawer.draw(result, tmp_path / "bad.gif", "line", "wrong suffix", None, {})


def test_a_report_and_a_count_query_leave_the_slow_imports_out(db, tmp_path: Path,
                                                               config: Path) -> None:
    """scikit-learn (3 s on these machines), scipy.stats and nltk are for discover and
    suggest; a weekly report and ``monitor counts`` start without them (and counts
    without numpy and the matcher too)."""
    import subprocess
    import sys

    probe = ("import sys\nfrom monitor.entry import run\ntry:\n    run()\n"
             "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
             "print('loaded:', *(m for m in ('sklearn', 'scipy.stats', 'nltk', 'numpy',"
             " 'hyperscan') if m in sys.modules), file=sys.stderr)")
    out = tmp_path / "rep"
    commands = {"report": ["report", "--for", "2021", "--out", str(out), "--config",
                           str(config)],
                "counts": ["counts", "hard_power", "--by", "year"]}
    loaded = {}
    for name, args in commands.items():
        done = subprocess.run([sys.executable, "-c", probe, "--db", str(db.path), *args],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        loaded[name] = done.stderr.strip().splitlines()[-1].split()[1:]
    assert (out / "2021" / "index.html").is_file()
    assert not {"sklearn", "scipy.stats", "nltk"} & set(loaded["report"]), loaded
    assert loaded["counts"] == [], loaded


def test_chart_workers_outlive_a_sigterm_to_the_process_group(db, tmp_path: Path,
                                                               config: Path) -> None:
    """systemd stops the scheduler with a SIGTERM to its whole group; the scheduler then
    finishes the report it is writing, so its chart workers must not die of it."""
    import multiprocessing
    import os
    import signal
    import time

    from monitor.report.drawing import ChartDrawer

    result = trend(db, chart_query(load_config(config).charts[0], "2021"))
    before = set(multiprocessing.active_children())
    with ChartDrawer(4, processes=2) as drawer:
        for i in range(4):
            drawer.draw(result, tmp_path / f"{i}.png", "line", f"chart {i}", None, {})
        workers = [p for p in multiprocessing.active_children() if p not in before]
        assert len(workers) == 2
        time.sleep(0.3)  # the workers have set up (the signal comes mid-report)
        for process in workers:
            os.kill(process.pid, signal.SIGTERM)
    for i in range(4):
        assert (tmp_path / f"{i}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in multiprocessing.active_children() if p not in before]
