"""Ingest on the real corpora in ../shared/corpora (skipped where that folder is absent)."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from shared_corpora import corpus_path

from monitor.cli import main
from monitor.sources.decode import decode_bytes, detect_encoding, open_binary, read_limited

pytestmark = pytest.mark.corpus


def ingest(db_path: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--db", str(db_path), "ingest", *map(str, args)])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return result.stdout.strip()


def test_un_general_debate_all_speeches_year_precision_and_idempotent(db, tmp_path):
    path = corpus_path("ungdc/ungdc_1946_2024.jsonl.gz")
    args = (path, "--id-field", "id", "--date-field", "year")
    assert ingest(tmp_path / "monitor.db", *args) == "added 10952, skipped duplicates 0, failed 0"
    by_precision = dict(db.conn.execute(
        "SELECT precision, count(*) FROM documents GROUP BY precision"))
    assert by_precision == {"year": 10952}
    assert db.conn.execute("SELECT min(published), max(published) FROM documents"
                           ).fetchone() == ("1946", "2024")
    chn = db.conn.execute("SELECT s.name, d.published, d.meta FROM documents d JOIN sources s"
                          " ON s.id = d.source_id WHERE d.external_id = 'CHN_77_2022'").fetchone()
    assert chn[:2] == ("ungdc_1946_2024", "2022")
    assert json.loads(chn[2]) == {"country": "CHN", "session": 77}
    assert ingest(tmp_path / "monitor.db", *args) == "added 0, skipped duplicates 10952, failed 0"
    assert db.document_count() == 10952


def test_chinese_government_work_reports_null_years_are_undated(db, tmp_path):
    path = corpus_path("zh/government_work_reports.jsonl")
    assert ingest(tmp_path / "monitor.db", path) == "added 72, skipped duplicates 0, failed 0"
    (source,) = db.sources()
    assert (source["name"], source["documents"], source["undated"]) == (
        "government_work_reports", 72, 20)
    assert (source["first"], source["last"]) == ("1954", "2025")
    precisions = {row[0] for row in db.conn.execute("SELECT precision FROM documents")}
    assert precisions == {"year", None}
    text = db.conn.execute("SELECT text FROM documents WHERE published = '2025'").fetchone()[0]
    assert text.startswith("各位代表：")


def test_xi_speeches_csv_day_precision(db, tmp_path):
    path = corpus_path("zh/xi_speeches_2020.csv")
    assert ingest(tmp_path / "monitor.db", path) == "added 58, skipped duplicates 0, failed 0"
    assert db.conn.execute("SELECT count(*) FROM documents WHERE precision = 'day'"
                           " AND published LIKE '2020-%'").fetchone() == (58,)


def read_feed(path: Path, *, markup: bool) -> tuple[str, str]:
    with open_binary(path) as stream:
        data = read_limited(stream, 10 * 1024 * 1024)
    if not markup:  # take away the declaration: detection alone must get it right
        data = re.sub(rb"<\?xml[^>]*\?>", b"", data)
    return detect_encoding(data, markup=markup), decode_bytes(data, markup=markup)


MOJIBAKE = re.compile("[\u00c3\u00c2][\u0080-\u00bf]|\ufffd")


@pytest.mark.parametrize("markup", [True, False])
def test_latin1_feed_decodes_portuguese(markup):
    encoding, text = read_feed(corpus_path("feeds/uol-noticias-latin1.rss"), markup=markup)
    assert encoding == "cp1252"  # Latin-1 read as its superset, as browsers do
    for word in ("Últimas Notícias", "simulações", "Presidência", "BRASÍLIA", "intenção",
                 "Chávez"):
        assert word in text
    assert not MOJIBAKE.search(text)


@pytest.mark.parametrize("markup", [True, False])
def test_gb2312_feed_decodes_chinese(markup):
    encoding, text = read_feed(corpus_path("feeds/qq-news-gb2312.rss"), markup=markup)
    assert encoding == "gb18030"  # GB2312 read as its superset
    for word in ("新闻国内", "习近平", "崇尚英雄", "中华民族"):
        assert word in text
    assert not MOJIBAKE.search(text)
    assert not re.search("[\u00c0-\u00ff]", text)  # no Latin-1 letters from a wrong guess


def test_article_pages_extracted_text_contains_the_ground_truth(db, tmp_path):
    folder = corpus_path("articles/html")
    truth = json.loads(corpus_path("articles/ground-truth.json").read_text(encoding="utf-8"))
    out = ingest(tmp_path / "monitor.db", folder, "--source", "articles")
    added = int(out.split()[1].rstrip(","))
    assert added >= 175  # a few pages may share text with another and dedupe
    words = re.compile(r"\w+")
    recalls, titled = [], 0
    for external_id, title, text in db.conn.execute(
            "SELECT external_id, title, text FROM documents"):
        body = truth[external_id.removesuffix(".html.gz")]["articleBody"]
        expected = words.findall(body.lower())
        found = set(words.findall(text.lower()))
        recalls.append(sum(w in found for w in expected) / max(1, len(expected)))
        titled += bool(title)
    recalls.sort()
    assert recalls[len(recalls) // 2] >= 0.95  # median page: nearly all of the body
    assert sum(r >= 0.8 for r in recalls) >= 0.9 * len(recalls)
    assert titled >= 0.95 * len(recalls)


def test_article_page_date_from_metadata(tmp_path):
    from monitor.sources.html import extract_page

    path = corpus_path("articles/html")
    page = next(iter(sorted(path.glob("*.html.gz"))))
    extracted = extract_page(gzip.decompress(page.read_bytes()))
    assert extracted.date is not None and extracted.date[1] == "day"
    assert extracted.title
