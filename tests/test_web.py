"""The web view over HTTP (in process): every page, the downloads, and hostile input."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from web_client import Client, Tables

from monitor.cli import main
from monitor.documents import Document
from monitor.lexicon import lexicon_from_dict
from monitor.store import Database
from monitor.tally import tally_documents
from monitor.web import ServeError, make_datasette
from monitor.web.metadata import readme_queries, schema_docs

pytest.importorskip("datasette", reason="the web view needs datasette")
README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
EVENTS = Path(__file__).resolve().parents[1] / "monitor" / "demo_events.yaml"
XSS = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def web(web_demo):
    db_path, reports = web_demo
    client = Client(make_datasette(db_path, reports=reports, events=[EVENTS]))
    yield client
    client.close()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A database whose title, source, URL, category and term are all markup."""
    root = tmp_path_factory.mktemp("hostile")
    db_path = root / "hostile.db"
    with Database(db_path) as db:
        db.add_documents([Document(
            text=f"security and {XSS} and security again", source="<b>src</b>",
            title=XSS, url="javascript:alert(1)", published="2020-05-01", precision="day")])
        lexicon = lexicon_from_dict(
            {"categories": {"x<script>": [XSS, "security"]}}, "evil")
        tally_documents(db, [lexicon], workers=1)
    reports = root / "reports"
    (reports / "2020").mkdir(parents=True)
    (reports / "2020" / "index.html").write_text(f"<h1>{XSS}</h1>", encoding="utf-8")
    (root / "secret.txt").write_text("secret", encoding="utf-8")
    os.symlink(root / "secret.txt", reports / "2020" / "leak.txt")
    os.symlink(root, reports / "up")
    (reports / ".2021.tmp-x").mkdir()
    (reports / ".2021.tmp-x" / "index.html").write_text("half", encoding="utf-8")
    client = Client(make_datasette(db_path, reports=reports))
    yield client
    client.close()


def cli(db_path: Path, *args: str):
    return CliRunner().invoke(main, ["--db", str(db_path), *args])


def test_the_trend_table_is_the_cli_trend(web, web_demo) -> None:
    db_path, _ = web_demo
    page = web.get("/-/trends?series=hard_power&series=soft_power&measure=per10k&smooth=3")
    assert page.status_code == 200
    expected = json.loads(cli(db_path, "trend", "hard_power", "soft_power", "--measure",
                              "per10k", "--smooth", "3", "--format", "json").stdout)["rows"]
    tables = Tables(page.text)
    header = tables.tables["trend-table"][0]
    values = tables.values["trend-table"][1:]
    assert len(values) == len(expected) > 200
    for row, want in zip(values, expected, strict=True):
        assert {name: json.loads(v) for name, v in zip(header, row, strict=True)} == want
    assert '<div class="monitor-chart" id="chart"><svg' in page.text
    assert page.text.count("/-/contexts?") > 200  # the points and the table link to them


def test_the_form_offers_every_series_and_keeps_the_query(web) -> None:
    page = web.get("/-/trends?series=power:security&bucket=month&since=1990&until=1991&source=sotu"
                   "&by_source=1&kind=bars&events=demo_events")
    assert page.status_code == 200, page.text
    for name in ("hard_power", "hard_power/coerce", "power:security", "militar*"):
        assert f'<option value="{name}">' in page.text
    assert 'value="power:security"' in page.text and 'value="1990"' in page.text
    assert "<option selected>month</option>" in page.text
    assert re.search(r'name="by_source" value="1" checked', page.text)
    csv_link = re.search(r'href="(/-/trends\.csv\?[^"]+)"', page.text).group(1)
    assert "bucket=month" in csv_link and "by_source=1" in csv_link


@pytest.mark.parametrize(("query", "message"), [
    ("series=power:security&bucket=century", "bucket 'century' is not one of day, week"),
    ("series=power:security&measure=mean", "measure 'mean' is not one of count, docs, share"),
    ("series=power:security&smooth=x", "smooth must be a whole number of buckets >= 1, not 'x'"),
    ("series=power:security&smooth=0", "smooth must be a whole number of buckets >= 1, not 0"),
    ("series=securty", "unknown series 'securty': no term"),
    ("series=power:security&since=2020&until=2010", "--since 2020 is after --until 2010"),
    ("series=power:security&since=soon", "soon"),
    ("series=power:security&source=nope", "unknown source 'nope'; known: sotu"),
    ("series=power:security&events=nope", "unknown events file 'nope'; known: demo_events"),
    ("series=power:security&kind=pie", "chart kind 'pie' is not one of line, bars, stacked"),
    ("ratio_a=hard_power", "ratio takes two series"),
    ("series=" + "x" * 300, "longer than 200 characters"),
    ("series=security&lexicon=/etc/passwd", "the web view reads no lexicon files"),
    ("series=security&lexicon=power.yaml", "the web view reads no lexicon files"),
])
def test_bad_parameters_get_the_clis_message(web, query: str, message: str) -> None:
    for path in ("/-/trends?", "/-/trends.csv?"):
        page = web.get(path + query)
        assert page.status_code == 400
        assert message in html.unescape(page.text)
        assert "Traceback" not in page.text


def test_an_unknown_series_reads_as_in_the_cli(web, web_demo) -> None:
    result = cli(web_demo[0], "trend", "securty")
    page = web.get("/-/trends?series=securty")
    assert result.exit_code == 2
    cli_message = result.stderr.strip().removeprefix("error: ")
    assert cli_message in html.unescape(page.text)


def test_downloads_are_the_cli_outputs(web, web_demo) -> None:
    db_path, _ = web_demo
    args = "series=power:security&bucket=year&measure=docs&since=1900"
    csv_text = web.get(f"/-/trends.csv?{args}")
    assert csv_text.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_text.headers["content-disposition"]
    assert csv_text.text == cli(db_path, "trend", "power:security", "--measure", "docs",
                                "--since", "1900", "--format", "csv").stdout
    as_json = web.get(f"/-/trends.json?{args}").json()
    assert as_json == json.loads(cli(db_path, "trend", "power:security", "--measure", "docs",
                                     "--since", "1900", "--format", "json").stdout)
    png = web.get(f"/-/trends.png?{args}")
    assert png.headers["content-type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    svg = web.get(f"/-/trends.svg?{args}")
    assert svg.headers["content-type"] == "image/svg+xml" and b"<svg" in svg.content[:400]


def test_a_point_lists_the_documents_behind_it(web, web_demo) -> None:
    page = web.get("/-/trends?series=hard_power&bucket=year&since=1940&until=1949")
    table = Tables(page.text)
    (link,) = [a for a in table.links if a.startswith("/-/contexts?")][:1]
    assert "period=1940" in link and "series=hard_power" in link
    context = web.get(link)
    assert context.status_code == 200
    rows = Tables(context.text).rows("documents")
    docs = int(table.rows("trend-table")[0][4])
    assert len(rows) == docs >= 1
    assert all(int(r[0]) > 0 for r in rows) and "1940" in rows[0][1]
    assert re.search(r'href="/demo/documents/\d+"', context.text)
    assert len(Tables(context.text).rows("kwic")) >= 1


def test_a_terms_point_shows_every_occurrence_in_context(web) -> None:
    page = web.get("/-/trends?series=power:security&measure=count&since=1960&until=1969")
    table = Tables(page.text)
    rows = [r for r in table.rows("trend-table") if int(r[4]) > 0]
    link = next(a for a in table.links if a.startswith("/-/contexts?")
                and f"period={rows[0][0]}" in a)
    context = Tables(web.get(link).text)
    lines = context.rows("kwic")
    assert len(lines) == int(rows[0][3]) >= 1  # one line per counted occurrence
    assert {line[3].lower() for line in lines} == {"security"}
    assert len({line[5] for line in lines}) == int(rows[0][4]) == len(context.rows("documents"))
    bad = web.get("/-/contexts?series=power:security&period=1492")
    assert bad.status_code == 400 and "no tallied documents in that year bucket" in bad.text


def test_lexicons_page_shows_trees_with_counts_and_tests_text(web, web_demo) -> None:
    page = web.get("/-/lexicons?name=power")
    assert page.status_code == 200
    assert "hard_power" in page.text and "militar*" in page.text
    conn = Database(web_demo[0]).conn
    (n,) = conn.execute("select sum(count) from term_counts where lexicon = 'power'"
                        " and term = 'security'").fetchone()
    assert re.search(rf"<li class=\"term\">security <span class=\"count\">{n:,} in", page.text)
    text = "China’s national security and its military"
    tested = web.post("/-/lexicons?name=power", {"name": "power", "text": text})
    assert tested.status_code == 200
    cli_out = CliRunner().invoke(main, ["lexicon", "test", "power", text]).stdout
    spans = re.findall(r"^\s*(\d+)-(\d+)\s", cli_out, re.M)
    rows = Tables(tested.text).rows("test-matches")
    assert [tuple(r[0].split("-")) for r in rows] == spans and len(spans) >= 2
    assert web.get("/-/lexicons?name=../../etc/passwd").status_code == 400


def test_reports_are_browsable(web, web_demo) -> None:
    listing = web.get("/-/reports/")
    assert listing.status_code == 200 and 'href="2026/index.html"' in listing.text
    index = web.get("/-/reports/2026/index.html")
    assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
    assert "script-src" not in index.headers["content-security-policy"]  # default-src 'none'
    chart = re.search(r'src="(chart-[^"]+\.png)"', index.text).group(1)
    assert web.get(f"/-/reports/2026/{chart}").content[:4] == b"\x89PNG"
    assert web.get("/-/reports").status_code == 302


@pytest.mark.parametrize("path", [
    "/-/reports/../hostile.db", "/-/reports/%2e%2e/hostile.db", "/-/reports/2020/..%2f..%2fx",
    "/-/reports/2020/leak.txt", "/-/reports/up/secret.txt", "/-/reports/up/",
    "/-/reports/.2021.tmp-x/index.html", "/-/reports/2020/nope.html",
    "/-/reports/%00", "/-/reports/2020\\..\\..\\secret.txt",
])
def test_nothing_outside_the_reports_folder_is_served(hostile, path: str) -> None:
    page = hostile.get(path)
    assert page.status_code == 404, path
    assert "secret" not in page.text.replace("secret.txt", "")


def test_the_listing_leaves_out_links_and_hidden_folders(hostile) -> None:
    listing = hostile.get("/-/reports/")
    assert "2020" in listing.text
    assert "up" not in Tables(listing.text).links and ".2021" not in listing.text
    inner = hostile.get("/-/reports/2020/")
    assert "index.html" in inner.text and "leak.txt" not in inner.text
    served = hostile.get("/-/reports/2020/index.html")
    assert "default-src 'none'" in served.headers["content-security-policy"]


def test_markup_in_titles_terms_and_sources_is_shown_as_text(hostile) -> None:
    pages = [hostile.get("/-/trends?series=x%3Cscript%3E&bucket=year"),
             hostile.get("/-/trends?series=" + XSS.replace("'", "%27")),
             hostile.get("/-/contexts?series=x%3Cscript%3E&period=2020"),
             hostile.get("/-/lexicons?name=evil"),
             hostile.get("/-/trends?series=%3Cscript%3Enope")]
    assert [p.status_code for p in pages] == [200, 200, 200, 200, 400]
    for page in pages:
        assert "<script>alert" not in page.text
        assert "javascript:alert" not in page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in pages[2].text
    assert "&lt;b&gt;src&lt;/b&gt;" in pages[2].text


def test_sql_is_read_only_and_bounded(web) -> None:
    for sql in ("delete from documents", "update documents set title = 'x'",
                "drop table counts", "select 1; delete from documents",
                "insert into sources (name, added) values ('x', 'y')"):
        page = web.get("/demo.json", params={"sql": sql})
        assert page.status_code == 400, sql
    count = web.get("/demo.json", params={"sql": "select count(*) from documents",
                                          "_shape": "array"}).json()
    assert count == [{"count(*)": 249}]
    many = web.get("/demo.json", params={"sql": "select * from counts", "_shape": "objects"})
    assert len(many.json()["rows"]) == 1000 and many.json()["truncated"]
    slow = web.get("/demo.json", params={"sql": "with recursive r(i) as (select 1 union all"
                                         " select i + 1 from r) select count(*) from r"})
    assert slow.status_code == 400 and "interrupted" in slow.text.lower()
    assert web.get("/demo.db").status_code in (403, 404)


def test_metadata_facets_search_and_hidden_text(web) -> None:
    page = web.get("/demo/documents")
    assert page.status_code == 302 and page.headers["location"].endswith("_nocol=text&_nocol=cjk")
    table = web.get("/demo/documents.json?_nocol=text&_facet_size=3&_size=1").json()
    assert "text" not in table["columns"]
    facets = table["facet_results"]
    assert {"source_id", "language", "published"} <= set(facets)
    assert facets["published"]["results"][0]["value"] == "2026"
    counts = web.get("/demo/term_counts.json?_size=1&lexicon=power").json()
    assert {"lexicon", "source", "language"} <= set(counts["facet_results"])
    assert {"language", "meta"} <= set(counts["columns"])
    found = web.get("/demo/documents_view.json?_search=soviet&_size=0").json()
    assert found["filtered_table_rows_count"] > 10
    year = web.get("/demo/documents_view.json?published__startswith=1950&_size=0").json()
    assert year["filtered_table_rows_count"] == 1


def test_canned_queries_are_the_readmes_examples(web) -> None:
    readme = re.findall(r'sqlite-utils db/monitor\.db "(.+?)"', README, re.S)
    canned = web.get("/-/metadata.json").json()["databases"]["demo"]["queries"]
    assert sorted(q["sql"] for q in canned.values()) == sorted(readme) and len(readme) >= 5
    for name in canned:  # the demo's Python API logs no runs: that one may be empty
        rows = web.get(f"/demo/{name}.json?_shape=array")
        assert rows.status_code == 200, name
        assert rows.json() or "from runs" in canned[name]["sql"], name


def test_table_and_column_descriptions_are_the_readmes(web, web_demo) -> None:
    docs = schema_docs(README)
    assert {"documents", "term_counts", "runs"} <= set(docs)
    meta = web.get("/-/metadata.json").json()["databases"]["demo"]["tables"]
    stored = {r[0] for r in Database(web_demo[0]).conn.execute(
        "select name from sqlite_master where type in ('table', 'view')")}
    for name in set(docs) & stored:
        assert meta[name]["description"].startswith(docs[name][0]), name
        for column, text in docs[name][1].items():
            if text:
                assert meta[name]["columns"][column] == text
    assert meta["documents"]["columns"]["published"].startswith("partial ISO date")
    assert meta["terms"]["columns"]["category"] == "path such as soft_power/culture"
    page = web.get("/demo/terms")
    assert "path such as soft_power/culture" in html.unescape(page.text)
    assert readme_queries(README)


def test_a_missing_or_old_database_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(ServeError, match="no such database"):
        make_datasette(tmp_path / "nope.db")
    (tmp_path / "junk.db").write_text("not sqlite " * 100, encoding="utf-8")
    with pytest.raises(ServeError, match="not a SQLite database"):
        make_datasette(tmp_path / "junk.db")
    result = cli(tmp_path / "nope.db", "serve")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'nope.db'}: no such database (run monitor ingest or monitor demo"
        " first)"]


def test_monitor_serve_listens_on_localhost_and_opens_the_browser(web_demo,
                                                                  tmp_path: Path) -> None:
    """``--port 0 --open``: the URL printed and the one given to the browser (``$BROWSER``,
    a script recording it, as no desktop is here) name the port bound, on 127.0.0.1."""
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {opened}\n', encoding="utf-8")
    browser.chmod(0o755)
    env = {**os.environ, "BROWSER": f"{browser} %s", "DISPLAY": "", "WAYLAND_DISPLAY": ""}
    server = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--db", str(web_demo[0]), "serve", "--port", "0",
         "--open", "--reports", str(web_demo[1])],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        deadline = time.monotonic() + 60
        while not opened.exists() or not opened.read_text(encoding="utf-8"):
            assert server.poll() is None, server.stderr.read()
            assert time.monotonic() < deadline, "monitor serve --open opened no browser"
            time.sleep(0.2)
        url = opened.read_text(encoding="utf-8")
        match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)/-/trends", url)
        assert match and match.group(1) != "0", url
        assert server.stderr.readline() == f"serving {web_demo[0]} at {url} (Ctrl-C stops)\n"
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200 and b"Trends" in response.read()
        port = match.group(1)
        listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True,
                                   text=True, check=False).stdout
        if listening:
            assert [line.split()[3] for line in listening.splitlines()] == [f"127.0.0.1:{port}"]
    finally:
        server.terminate()
        server.wait(timeout=10)
