"""Issue 11: answers an analyst can trust (names, dates, empty buckets, ratios, output)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.documents import Document
from monitor.lexicon import load_lexicon
from monitor.store import Database
from monitor.tally import tally_documents
from monitor.trends import CountQuery, TrendQuery, read_counts, trend

EN = """name: en
categories:
  hard:
    security:
      - security
      - term: Xi Jinping Thought on Diplomacy
        variants: [Xiplomacy, 习近平外交思想]
  soft: [culture]
"""
ZH = """name: zh
language: zh
categories:
  security: [安全]
  stability: [稳定]
"""


def build(tmp_path: Path, docs: list[Document]) -> tuple[Database, Path]:
    (tmp_path / "en.yaml").write_text(EN, encoding="utf-8")
    (tmp_path / "zh.yaml").write_text(ZH, encoding="utf-8")
    path = tmp_path / "t.db"
    db = Database(path)
    db.add_documents(docs)
    tally_documents(db, [load_lexicon(tmp_path / "en.yaml"), load_lexicon(tmp_path / "zh.yaml")],
                    workers=1)
    return db, path


def cli(path: Path, *args: str):
    return CliRunner().invoke(main, ["--db", str(path), *args])


DOCS = [
    Document("security and culture. Xiplomacy!", "s", published="2001", precision="year"),
    Document("国家安全 稳定 习近平外交思想", "s", published="2003", precision="year"),
    Document("culture only", "s", published="2003", precision="year"),
]


def test_a_name_in_several_lexicons_is_an_error_listing_candidates(tmp_path) -> None:
    db, path = build(tmp_path, DOCS)
    with pytest.raises(ValueError, match=r"ambiguous.*en:security \(term\), zh:security"):
        trend(db, TrendQuery(["security"]))
    out = cli(path, "counts", "security")
    assert out.exit_code == 2 and "en:security" in out.stderr and "zh:security" in out.stderr
    assert out.stdout == ""
    t = trend(db, TrendQuery(["en:security"]))
    assert [r.count for r in t.rows] == [1, None, 0] and not any("both" in n for n in t.notes)


def test_category_and_term_note_names_its_lexicon(tmp_path) -> None:
    db, _ = build(tmp_path, DOCS)
    t = trend(db, TrendQuery(["security"], lexicon="en"))
    assert t.notes == []  # en has a category hard/security, not a category 'security'
    rows, notes = read_counts(db, CountQuery(names=("zh:security",)))
    assert [(r["term"], r["count"]) for r in rows] == [("安全", 1)]
    assert not any("both" in n for n in notes)


def test_a_variant_names_its_term(tmp_path) -> None:
    db, path = build(tmp_path, DOCS)
    rows, _ = read_counts(db, CountQuery(names=("习近平外交思想",)))
    assert [(r["term"], r["count"], r["docs"]) for r in rows] == [
        ("Xi Jinping Thought on Diplomacy", 2, 2)]
    out = cli(path, "counts", "xiplomacy")
    assert out.exit_code == 0 and "Xi Jinping Thought on Diplomacy" in out.stdout


def test_before_any_tally_says_so(tmp_path) -> None:
    with Database(tmp_path / "e.db") as db:
        db.add_documents([Document("security", "s", published="2001", precision="year")])
        with pytest.raises(ValueError, match="not tallied yet: run monitor tally"):
            trend(db, TrendQuery(["security"]))


def test_placeholder_impossible_and_future_dates_are_stored_undated_with_a_warning(tmp_path):
    lines = [
        {"id": "a", "text": "one", "date": "0001-01-01"},
        {"id": "b", "text": "two", "date": "1900-01-01"},
        {"id": "c", "text": "three", "date": "1970-01-01T00:00:00Z"},
        {"id": "d", "text": "four", "date": "0999-05-01"},
        {"id": "e", "text": "five", "date": "2999-01-01"},
        {"id": "f", "text": "six", "date": "1970-01-01"},  # a real New Year's Day
        {"id": "g", "text": "seven", "date": "2020-05-01"},
    ]
    import json

    (tmp_path / "in.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    (tmp_path / "page.html").write_text(
        "<html><head><title>P</title><meta property='article:published_time'"
        " content='0001-01-01T00:00:00'></head><body><article><p>"
        + "A page about security and nothing else at all. " * 5 + "</p></article></body></html>")
    path = tmp_path / "d.db"
    out = CliRunner().invoke(main, ["--db", str(path), "ingest", str(tmp_path / "in.jsonl"),
                                    str(tmp_path / "page.html")])
    assert out.exit_code == 0, out.output
    assert out.stdout.strip() == "added 8, skipped duplicates 0, failed 0"
    warnings = out.stderr.strip().splitlines()
    assert len(warnings) == 6 and all(w.startswith("warning: ") for w in warnings)
    assert "in.jsonl:1: placeholder date '0001-01-01'" in warnings[0]
    assert "in.jsonl:5: date '2999-01-01' is in the future" in out.stderr
    assert "in.jsonl:4: impossible date '0999-05-01'" in out.stderr
    assert "page.html: placeholder date '0001-01-01T00:00:00' ignored" in out.stderr
    with Database(path) as db:
        dated = dict(db.conn.execute("SELECT external_id, published FROM documents"))
    assert dated == {"a": None, "b": None, "c": None, "d": None, "e": None,
                     "f": "1970-01-01", "g": "2020-05-01", "page.html": None}


def test_one_document_of_year_1_breaks_no_query(tmp_path) -> None:
    """A database written before the date rules (a document dated 0001-01-01) still works."""
    db, path = build(tmp_path, DOCS)
    db.conn.execute("UPDATE documents SET published = '0001-01-01', precision = 'day'"
                    " WHERE id = 3")
    t = trend(db, TrendQuery(["en:security"], bucket="decade"))
    assert t.periods[0] == "0000s" and t.periods[-1] == "2000s"
    assert [r.count for r in t.rows][-1] == 1
    assert trend(db, TrendQuery(["en:security"])).periods[:2] == ["0001", "0002"]


def test_decade_bucket(tmp_path) -> None:
    db, path = build(tmp_path, [
        Document("security", "s", published="1989-12-31", precision="day"),
        Document("security security", "s", published="1990", precision="year"),
        Document("culture", "s", published="1999-07", precision="month"),
        Document("security again", "s", published="2001", precision="year"),
    ])
    t = trend(db, TrendQuery(["en:security"], bucket="decade", measure="count"))
    assert [(r.period, r.count, r.total_docs) for r in t.rows] == [
        ("1980s", 1, 1), ("1990s", 2, 2), ("2000s", 1, 1)]
    out = cli(path, "counts", "en:security", "--by", "decade", "--format", "csv")
    assert out.exit_code == 0 and "1990s,en,hard/security,security,2,1" in out.stdout
    assert trend(db, TrendQuery(["en:security"], since="1990s", until="1990s")).documents == 2


def test_empty_buckets_are_not_zero_in_counts_trend_and_charts(tmp_path) -> None:
    db, path = build(tmp_path, DOCS)  # 2001 and 2003 have documents, 2002 none
    rows, _ = read_counts(db, CountQuery(names=("en:security",), by="year"))
    assert [(r["period"], r["count"], r["docs"], r["total_docs"]) for r in rows] == [
        ("2001", 1, 1, 1), ("2002", None, None, 0), ("2003", 0, 0, 2)]
    out = cli(path, "counts", "en:security", "--by", "year", "--format", "csv")
    assert out.stdout.splitlines()[1:] == [
        "2001,en,hard/security,security,1,1,1", "2002,en,hard/security,security,,,0",
        "2003,en,hard/security,security,0,0,2"]
    t = trend(db, TrendQuery(["en:security"], measure="count"))
    assert [(r.count, r.total_docs) for r in t.rows] == [(1, 1), (None, 0), (0, 2)]
    assert [line.split()[-1] for line in t.to_table().splitlines()[1:]] == ["1", "-", "0"]
    from monitor.report import chart

    svg = chart(t, tmp_path / "c.svg").read_text()
    assert "#eeeeee" in svg  # the grey band of 2002 on a count chart


def test_ratio_smoothing_divides_smoothed_parts(tmp_path) -> None:
    db, _ = build(tmp_path, [
        Document("security culture culture", "s", published="2001", precision="year"),
        Document("security security security security culture", "s", published="2002",
                 precision="year"),
    ])
    t = trend(db, TrendQuery([], ratio=["en:security", "en:soft"], measure="count", smooth=2))
    # counts: security 1, 4; culture 2, 1 -> smoothed 1, 2.5 and 2, 1.5 -> ratio 0.5, 5/3
    # (the mean of the yearly ratios would be 0.5 and (0.5 + 4) / 2 = 2.25)
    assert [r.count for r in t.rows] == pytest.approx([0.5, 2.5 / 1.5])


def test_counts_csv_without_rows_has_its_header(tmp_path) -> None:
    _, path = build(tmp_path, DOCS)
    out = cli(path, "counts", "en:soft", "--since", "2002", "--until", "2002", "--format", "csv")
    assert out.exit_code == 0
    assert out.stdout == "period,lexicon,category,term,count,docs,total_docs\n"
    assert "no tallied documents" in out.stderr
    docs = cli(path, "counts", "--lexicon", "zh", "--by", "document", "--since", "2002",
               "--until", "2002", "--format", "csv")
    assert docs.stdout.startswith("document_id,published,")


def test_a_closed_pipe_ends_quietly(tmp_path) -> None:
    _, path = build(tmp_path, [
        Document("security", "s", published="1901-01-02", precision="day"),
        Document("culture", "s", published="2020-01-01", precision="day")])
    monitor = Path(sys.executable).with_name("monitor")
    run = subprocess.run(  # 43,000 rows: far more than a pipe holds
        f"'{monitor}' --db '{path}' counts en:security --by day | head -1;"
        " exit ${PIPESTATUS[0]}", shell=True, executable="/bin/bash", capture_output=True,
        text=True, env={"PATH": "/usr/bin:/bin", "MONITOR_CACHE": str(tmp_path)})
    assert run.returncode == 0 and run.stderr == ""
    assert run.stdout.split() == ["period", "lexicon", "category", "term", "count", "docs",
                                  "total_docs"]


def test_global_options_anywhere_and_a_missing_database(tmp_path, monkeypatch) -> None:
    _, path = build(tmp_path, DOCS)
    out = CliRunner().invoke(main, ["counts", "en:security", "--db", str(path)])
    assert out.exit_code == 0 and "security" in out.stdout
    out = CliRunner().invoke(main, ["trend", "en:security", f"--db={path}", "--format", "csv"])
    assert out.exit_code == 0 and out.stdout.startswith("period,series")
    missing = tmp_path / "nope.db"
    for command in (["trend", "security"], ["counts"], ["sources"], ["report"]):
        out = CliRunner().invoke(main, ["--db", str(missing), *command])
        assert out.exit_code == 2 and f"no database at {missing}" in out.stderr, command
    assert not missing.exists()
    monkeypatch.setenv("MONITOR_LEXICONS", str(tmp_path / "typo"))
    out = CliRunner().invoke(main, ["--db", str(path), "sources"])
    assert out.exit_code == 0
    assert f"warning: MONITOR_LEXICONS folder {tmp_path / 'typo'} does not exist" in out.stderr


def test_lexicon_by_path_in_trend(tmp_path) -> None:
    _, path = build(tmp_path, DOCS)
    out = cli(path, "trend", "security", "--lexicon", str(tmp_path / "zh.yaml"), "--format",
              "csv", "--measure", "count")
    assert out.exit_code == 0, out.stderr
    assert out.stdout.splitlines()[1:] == ["2003,security,all,1,1,2,15,0.5,0.1208663194,"
                                          "0.8791336806,666.6666667"]  # zh: no English
    (tmp_path / "new.yaml").write_text("name: new\ncategories:\n  a: [culture]\n")
    out = cli(path, "trend", "a", "--lexicon", str(tmp_path / "new.yaml"))
    assert out.exit_code == 2 and "not tallied yet: run monitor tally --lexicon" in out.stderr


def test_languages_detected_overridden_and_lexicons_applied_by_language(tmp_path) -> None:
    english = "The security of the nation and the culture of its people come first. " * 3
    chinese = "国家安全是民族复兴的根基，社会稳定是国家强盛的前提。我们要坚持总体国家安全观。"
    import json

    (tmp_path / "r.jsonl").write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in [
        {"id": 1, "text": english, "date": "2020"},
        {"id": 2, "text": chinese, "date": "2020"},
        {"id": 3, "text": "culture 安全", "date": "2020"},  # too short to tell: unknown
        {"id": 4, "text": english.replace("first", "last"), "date": "2020", "language": "de"},
    ]), encoding="utf-8")
    (tmp_path / "fr.txt").write_text(english.replace("first", "second"), encoding="utf-8")
    path = tmp_path / "l.db"
    assert cli(path, "ingest", str(tmp_path / "r.jsonl")).exit_code == 0
    assert cli(path, "ingest", str(tmp_path / "fr.txt"), "--language", "fr-FR").exit_code == 0
    with Database(path) as db:
        langs = dict(db.conn.execute("SELECT external_id, language FROM documents"))
        assert langs == {"1": "en", "2": "zh", "3": None, "4": "de", "fr.txt": "fr"}
        (tmp_path / "en.yaml").write_text(EN.replace("name: en", "name: en\nlanguage: en"))
        (tmp_path / "zh.yaml").write_text(ZH)
        tally_documents(db, [load_lexicon(tmp_path / "en.yaml"),
                             load_lexicon(tmp_path / "zh.yaml")], workers=1)
        tallied = {(lex, ext) for lex, ext in db.conn.execute(
            "SELECT l.name, d.external_id FROM tallied t JOIN lexicons l ON l.id = t.lexicon_id"
            " JOIN documents d ON d.id = t.document_id")}
        assert tallied == {("en", "1"), ("en", "3"), ("zh", "2"), ("zh", "3")}
        zh = trend(db, TrendQuery(["zh:security"], measure="share"))
        assert (zh.rows[0].docs, zh.rows[0].total_docs) == (2, 2)  # English does not dilute
        assert zh.unit == "characters"
        assert trend(db, TrendQuery(["en:soft"])).unit == "words"
        from monitor.report.charts import axis_label

        per10k = trend(db, TrendQuery(["zh:security"], measure="per10k"))
        assert axis_label(per10k).startswith("Occurrences per 10,000 characters")
    bad = cli(path, "ingest", str(tmp_path / "fr.txt"), "--language", "f!")
    assert bad.exit_code == 2 and "not a language code" in bad.stderr


def test_a_lexicon_language_list(tmp_path) -> None:
    (tmp_path / "x.yaml").write_text("name: x\nlanguage: [EN, zh-Hans]\ncategories: {a: [b]}\n")
    lexicon = load_lexicon(tmp_path / "x.yaml")
    assert lexicon.languages == ("en", "zh") and lexicon.language == "en"
    assert lexicon.applies_to("zh") and lexicon.applies_to(None) and not lexicon.applies_to("fr")
    (tmp_path / "y.yaml").write_text("name: y\nlanguage: [en, '12']\ncategories: {a: [b]}\n")
    with pytest.raises(ValueError, match=r"y.yaml:2: language '12' is not a language code"):
        load_lexicon(tmp_path / "y.yaml")


META_DOCS = [
    Document("security culture", "un", published="2001", precision="year",
             meta={"country": "CHN", "session": 56}),
    Document("security security", "un", published="2001", precision="year",
             meta={"country": "USA", "session": 56}),
    Document("culture again", "un", published="2002", precision="year",
             meta={"country": "CHN", "session": 57}),
    Document("security at last", "un", published="2002", precision="year"),
]


def test_where_filters_and_by_field(tmp_path) -> None:
    from monitor.trends import parse_where

    db, path = build(tmp_path, META_DOCS)
    assert str(parse_where("country in (CHN, 'USA')")) == "country in CHN,USA"
    with pytest.raises(ValueError, match="cannot read filter 'country'"):
        parse_where("country")
    t = trend(db, TrendQuery(["en:security"], measure="count", where=["country=CHN"]))
    assert [(r.period, r.count, r.total_docs) for r in t.rows] == [("2001", 1, 1), ("2002", 0, 1)]
    t = trend(db, TrendQuery(["en:security"], measure="count", where=["country != CHN"]))
    assert [(r.count, r.total_docs) for r in t.rows] == [(2, 1), (1, 1)]  # no country too
    t = trend(db, TrendQuery(["en:security"], measure="count",
                             where=["country in CHN,USA", "session=56"]))
    assert [(r.count, r.total_docs) for r in t.rows] == [(3, 2)]
    t = trend(db, TrendQuery(["en:security"], measure="count", by="country"))
    assert t.groups == ["(none)", "CHN", "USA"] and t.sources == ["un"]
    assert {(r.source, r.period): r.count for r in t.rows} == {
        ("(none)", "2001"): None, ("(none)", "2002"): 1, ("CHN", "2001"): 1, ("CHN", "2002"): 0,
        ("USA", "2001"): 2, ("USA", "2002"): None}
    rows, _ = read_counts(db, CountQuery(names=("en:security",), by="country",
                                         where=("session=56",)))
    assert [(r["country"], r["count"], r["total_docs"]) for r in rows] == [
        ("CHN", 1, 1), ("USA", 2, 1)]
    out = cli(path, "counts", "en:security", "--by", "country", "--format", "csv")
    assert out.stdout.splitlines() == [
        "country,lexicon,category,term,count,docs,total_docs",
        "(none),en,hard/security,security,1,1,1", "CHN,en,hard/security,security,1,1,2",
        "USA,en,hard/security,security,2,1,1"]
    out = cli(path, "trend", "en:security", "--where", "country=USA", "--format", "csv")
    assert out.exit_code == 0 and out.stdout.splitlines()[1].startswith("2001,en:security,all,")
    png = cli(path, "chart", "en:security", "--by", "country", "--out", str(tmp_path / "c.png"))
    assert png.exit_code == 0, png.stderr
    (tmp_path / "monitor.toml").write_text(
        '[report]\nperiod = "year"\n[[report.charts]]\nseries = ["en:security"]\n'
        'where = ["country=CHN"]\nby = "session"\n')
    from monitor.report import build_report

    folder = build_report(db, for_="2002", out=tmp_path / "reports",
                          config=tmp_path / "monitor.toml")
    text = next(folder.glob("chart-01-*.csv")).read_text()
    assert ",56," in text and ",57," in text and "USA" not in text
    (tmp_path / "monitor.toml").write_text(
        '[report]\n[[report.charts]]\nseries = ["en:security"]\nwhere = ["country"]\n')
    with pytest.raises(ValueError, match=r"report.charts\[1\].where\[1\]: cannot read filter"):
        build_report(db, for_="2002", out=tmp_path / "reports", config=tmp_path / "monitor.toml")


def test_ad_hoc_terms_with_the_tally_rules_and_a_second_query_instant(tmp_path) -> None:
    from monitor.trends import adhoc_lexicon

    db, path = build(tmp_path, [
        Document("The Security Council met. Security councils matter.", "s", published="2001",
                 precision="year"),
        Document("Development, developments and 发展 and 发展中国家.", "s", published="2002",
                 precision="year"),
    ])
    t = trend(db, TrendQuery(terms=["security council", "develop*", "发展"], measure="count"))
    assert t.series == ["security council", "develop*", "发展"]
    assert [(r.series, r.period, r.count) for r in t.rows] == [
        ("security council", "2001", 1), ("security council", "2002", 0),
        ("develop*", "2001", 0), ("develop*", "2002", 2),
        ("发展", "2001", 0), ("发展", "2002", 2)]
    again = tally_documents(db, [adhoc_lexicon("security council")], workers=1)
    assert again.scanned == {adhoc_lexicon("security council").name: 0}  # stored: instant
    out = cli(path, "trend", "--term", "security council", "en:soft", "--measure", "count",
              "--format", "csv")
    assert out.exit_code == 0, out.stderr
    assert [line.split(",")[:4] for line in out.stdout.splitlines()[1:]] == [
        ["2001", "en:soft", "all", "0"], ["2002", "en:soft", "all", "0"],
        ["2001", "security council", "all", "1"], ["2002", "security council", "all", "0"]]
    counts = cli(path, "counts", "--term", "发展", "--format", "csv")
    assert counts.stdout.splitlines()[1].endswith(",term,发展,2,1,2")
    bad = cli(path, "trend", "--term", "*")
    assert bad.exit_code == 2 and "--term '*'" in bad.stderr


def test_charts_draw_cjk_with_readable_labels_and_say_what_they_show(tmp_path) -> None:
    import warnings

    from monitor.report.charts import Event, axis_label, chart, default_title

    db, _ = build(tmp_path, DOCS)
    t = trend(db, TrendQuery(["zh:security", "zh:stability"], measure="per10k", smooth=2))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chart(t, tmp_path / "zh.png", title="安全 and 稳定",
              events=[Event(periods_start("2003"), "二十大"), Event(periods_start("2003"), "x")])
    assert not [w for w in caught if "missing from font" in str(w.message)]
    assert default_title(t) == (
        "security vs stability: occurrences per 10,000 characters (2-year trailing mean)")
    assert "of all tallied documents" not in axis_label(t)
    svg = chart(t, tmp_path / "l.svg", labels={"zh:security": "Security (安全)"}).read_text()
    assert "Security (安全)" in svg and "stability" in svg and "zh:stability" not in svg
    log = chart(trend(db, TrendQuery(["en:security"], measure="count")), tmp_path / "log.png",
                log=True)
    assert log.stat().st_size > 1000
    many = trend(db, TrendQuery(["en:security"]))
    many.sources = [f"source{i}" for i in range(200)]
    assert "200 sources" in chart(many, tmp_path / "m.svg").read_text()


def periods_start(key: str):
    from monitor.trends import periods

    return periods.start(key)
