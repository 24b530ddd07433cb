"""Keyword in context: lines come from the tally's own matcher, so they equal the stored
counts; context, sampling, categories, output formats and errors."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from shared_corpora import corpus_path

from monitor import Database, Document
from monitor.analysis import KwicQuery, kwic
from monitor.cli import main
from monitor.lexicon import load_lexicon, named_lexicons
from monitor.tally import tally_documents

LEXICON = {
    "name": "mini",
    "categories": {
        "hard": {"security": ["security", "national security"],
                 "military": ["military", "militar*"]},
        "zh": ["安全"],
    },
}
TEXTS = [
    ("2020-01-05", "Our national security and the security of others. Military might."),
    ("2021-03-01", "Militarism is not security; the military-industrial complex & <us>."),
    ("2022-07-09", "国家安全和安全感是人民的安全需要。"),
    ("2022-08-01", "Nothing here about the topic at all."),
]


@pytest.fixture
def mini(tmp_path: Path):
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(LEXICON, allow_unicode=True), encoding="utf-8")
    lexicon = load_lexicon(path)
    db = Database(tmp_path / "k.db")
    db.add_documents(Document(text=text, source="news" if i % 2 else "gov", published=day,
                              precision="day", external_id=f"d{i}",
                              url=f"https://example.org/{i}" if i == 1 else None)
                     for i, (day, text) in enumerate(TEXTS))
    tally_documents(db, [lexicon])
    yield db, lexicon
    db.close()


def stored(db, label):
    return dict(db.conn.execute(
        "SELECT document_id, sum(count) FROM term_counts WHERE term = ? GROUP BY 1", (label,)))


def test_term_lines_equal_stored_counts_with_context(mini):
    db, lexicon = mini
    for label in ("security", "national security", "military", "militar*", "安全"):
        result = kwic(db, KwicQuery([label], limit=None), [lexicon])
        assert Counter(line.document_id for line in result.lines) == stored(db, label), label
        assert result.occurrences == len(result.lines)
    first = kwic(db, KwicQuery(["security"], width=2), [lexicon]).lines[0]
    assert (first.left, first.keyword, first.right) == ("Our national", "security", "and the")
    assert (first.published, first.source, first.link, first.term) == (
        "2020-01-05", "gov", "d0", "security")
    assert first.start == TEXTS[0][1].index("security")
    zh = kwic(db, KwicQuery(["安全"], width=3), [lexicon]).lines
    assert [(z.left, z.right) for z in zh] == [("国家", "和安全"), ("安全和", "感是人"),
                                               ("人民的", "需要。")]


def test_category_lines_count_each_span_once_longest_where_nested(mini):
    db, lexicon = mini
    lines = kwic(db, KwicQuery(["hard"], limit=None), [lexicon]).lines
    first = [(line.keyword, line.term) for line in lines if line.document_id == 1]
    assert first == [("national security", "national security"), ("security", "security"),
                     ("Military", "military | militar*")]
    second = [line.keyword for line in lines if line.document_id == 2]
    assert second == ["Militarism", "security", "military-industrial"]


def test_filters_limit_sample_and_seed(mini):
    db, lexicon = mini
    assert [li.document_id for li in kwic(
        db, KwicQuery(["hard"], since="2021"), [lexicon]).lines] == [2, 2, 2]
    assert {li.source for li in kwic(
        db, KwicQuery(["hard"], sources=["news"]), [lexicon]).lines} == {"news"}
    limited = kwic(db, KwicQuery(["hard"], limit=2), [lexicon])
    assert len(limited.lines) == 2 and limited.occurrences is None and limited.documents == 2
    picks = {tuple(li.document_id for li in kwic(
        db, KwicQuery(["hard"], sample=1, seed=s), [lexicon]).lines) for s in range(12)}
    assert picks == {(1, 1, 1), (2, 2, 2)}
    again = kwic(db, KwicQuery(["hard"], sample=1, seed=3), [lexicon]).lines
    assert again == kwic(db, KwicQuery(["hard"], sample=1, seed=3), [lexicon]).lines


def test_errors_and_empty_results(mini, tmp_path):
    db, lexicon = mini
    with pytest.raises(ValueError, match="unknown series 'nope'"):
        kwic(db, KwicQuery(["nope"]), [lexicon])
    with pytest.raises(ValueError, match="unknown source"):
        kwic(db, KwicQuery(["hard"], sources=["x"]), [lexicon])
    empty = kwic(db, KwicQuery(["hard"], since="2023"), [lexicon])
    assert empty.lines == [] and empty.notes
    edited = dict(LEXICON, categories={"hard": ["security"]})
    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump(edited), encoding="utf-8")
    with pytest.raises(ValueError, match="changed since it was tallied: run monitor tally"):
        kwic(db, KwicQuery(["security"], lexicon="mini"), [load_lexicon(path)])


def test_cli_formats(mini, tmp_path, monkeypatch):
    db, lexicon = mini
    monkeypatch.setenv("MONITOR_LEXICONS", str(lexicon.path.parent))
    runner = CliRunner()
    base = ["--db", str(db.path), "kwic", "hard"]
    res = runner.invoke(main, [*base, "--width", "3"])
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[0].split() == [
        "Our", "national", "security", "and", "the", "security", "[2020-01-05", "gov", "d0]"]
    data = json.loads(runner.invoke(main, [*base, "--format", "json", "--limit", "0"]).stdout)
    assert data["occurrences"] == len(data["rows"]) == 6
    html = runner.invoke(main, [*base, "--format", "html", "--since", "2021"]).stdout
    assert '<table class="kwic">' in html and "&amp; &lt;us&gt;" in html
    assert '<a href="https://example.org/1">' in html
    csv_text = runner.invoke(main, [*base, "--format", "csv"]).stdout
    assert csv_text.splitlines()[0].startswith("series,document_id,source,published")
    news = runner.invoke(main, [*base, "--where", "source=news", "--format", "json"]).stdout
    assert {row["source"] for row in json.loads(news)["rows"]} == {"news"}
    bad = runner.invoke(main, [*base, "--where", "source"])
    assert bad.exit_code == 2 and bad.output.startswith("error: cannot read filter")
    bad = runner.invoke(main, ["--db", str(db.path), "kwic", "nope"])
    assert bad.exit_code == 2 and bad.output.startswith("error: unknown series 'nope'")


@pytest.mark.corpus
def test_every_shipped_term_on_un_and_chinese_samples(tmp_path):
    """Lines per document == stored count, for every term of every shipped lexicon."""
    un = corpus_path("ungdc/ungdc_1946_2024.jsonl.gz")
    zh = corpus_path("zh/government_work_reports.jsonl")
    db = Database(tmp_path / "corpus.db")
    docs = []
    with gzip.open(un, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i % 150 == 0:
                r = json.loads(line)
                docs.append(Document(text=r["text"], source="un", published=str(r["year"]),
                                     precision="year", external_id=r["id"]))
    for i, line in enumerate(zh.read_text(encoding="utf-8").splitlines()):
        if i % 12 == 0:
            r = json.loads(line)
            docs.append(Document(text=r["content"], source="zh", external_id=f"zh{i}"))
    db.add_documents(docs)
    lexicons = [file.load() for file in named_lexicons().values()]
    tally_documents(db, lexicons)
    checked = 0
    for lexicon in lexicons:
        labels = sorted({t.label for t in lexicon.terms} - set(lexicon.categories()))
        names = [f"{lexicon.name}:{label}" for label in labels]
        lines = kwic(db, KwicQuery(names, limit=None), lexicons).lines
        got = Counter((li.series, li.document_id) for li in lines)
        want = Counter()
        for label in labels:
            for doc_id, n in db.conn.execute(
                    "SELECT document_id, sum(count) FROM term_counts WHERE lexicon = ?"
                    " AND term = ? GROUP BY 1", (lexicon.name, label)):
                want[f"{lexicon.name}:{label}", doc_id] = n
        assert got == want, lexicon.name
        checked += len(labels)
        # each category (every level): lines == its stored total (distinct spans)
        paths = sorted({"/".join(t.category.split("/")[:i]) for t in lexicon.terms
                        for i in range(1, t.category.count("/") + 2)})
        names = [f"{lexicon.name}:{path}" for path in paths]
        lines = kwic(db, KwicQuery(names, limit=None), lexicons).lines
        got = Counter((li.series, li.document_id) for li in lines)
        want = Counter({(f"{lexicon.name}:{path}", doc_id): n for path, doc_id, n in
                        db.conn.execute("SELECT category, document_id, count FROM"
                                        " category_totals WHERE lexicon = ?", (lexicon.name,))})
        assert got == want, lexicon.name
        checked += len(paths)
    assert checked >= 180 and len(lines) > 0
