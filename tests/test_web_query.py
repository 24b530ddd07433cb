"""The trends form's --where, --by, --term and --all-copies over HTTP (in process), their
contexts, and the bounds and read-only rules they must keep."""

from __future__ import annotations

import hashlib
import html
import json
import re
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from web_client import Client, Tables

from monitor.cli import main
from monitor.documents import Document
from monitor.store import Database
from monitor.web import make_datasette

pytest.importorskip("datasette", reason="the web view needs datasette")
STORY = ("The finance ministers of the region met on Tuesday to discuss the security of"
         " energy supplies after a cold winter left several countries short of gas. They"
         " agreed to share storage and to buy jointly next year, officials said, while"
         " critics warned that the plan would take years to build and cost billions.")
OTHER = ("Farmers in the north protested against new water rules on Monday, blocking roads"
         " with tractors and demanding talks with the agriculture minister, who said the"
         " rules protect rivers from pollution and national security would not suffer.")


def cli(db_path: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--db", str(db_path), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def web(web_demo):
    client = Client(make_datasette(web_demo[0], reports=web_demo[1]))
    yield client
    client.close()


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    """A story syndicated by three sources (one cluster), and another story."""
    db_path = tmp_path_factory.mktemp("copies") / "copies.db"
    with Database(db_path) as db:
        db.add_documents([
            Document(text=STORY, source="wire", published="2024-03-05", precision="day",
                     external_id="w1", title="Ministers agree", meta={"country": "GBR"}),
            Document(text="By Ann Lee\n\n" + STORY + "\n\nCopyright 2024 Daily Post.",
                     source="post", published="2024-03-05", precision="day",
                     external_id="p1", title="Gas deal", meta={"country": "USA"}),
            Document(text=STORY + " Share this story.", source="herald",
                     published="2024-03-06", precision="day", external_id="h1",
                     meta={"country": "USA"}),
            Document(text=OTHER, source="wire", published="2024-04-01", precision="day",
                     external_id="w2", title="Farmers block roads", meta={"country": "FRA"}),
        ])
    cli(db_path, "tally", "--lexicon", "power")
    client = Client(make_datasette(db_path, reports=db_path.parent))
    yield client, db_path
    client.close()


def table_rows(page) -> list[dict]:
    tables = Tables(page.text)
    header = tables.tables["trend-table"][0]
    return [{name: json.loads(v) for name, v in zip(header, row, strict=True)}
            for row in tables.values["trend-table"][1:]]


def contexts_links(page) -> list[str]:
    return [html.unescape(a) for a in Tables(page.text).links if a.startswith("/-/contexts?")]


def document_ids(page) -> list[int]:
    return [int(i) for i in re.findall(r'href="/[^/"]+/documents/(\d+)"',
                                       page.text.split('id="documents"')[1])]


def test_where_and_by_field_are_the_cli_trend_and_its_contexts(web, web_demo) -> None:
    db_path = web_demo[0]
    args = [("series", "hard_power"), ("measure", "per10k"), ("since", "1945"),
            ("where", "party in Democratic,Republican"), ("where", "delivery!=written"),
            ("by", "party")]
    page = web.get("/-/trends?" + urlencode(args))
    assert page.status_code == 200, page.text
    expected = json.loads(cli(db_path, "trend", "hard_power", "--measure", "per10k", "--since",
                              "1945", "--where", "party in Democratic,Republican", "--where",
                              "delivery!=written", "--by", "party", "--format", "json"))
    assert table_rows(page) == expected["rows"]
    assert {r["source"] for r in expected["rows"]} == {"Democratic", "Republican"}
    assert '<div class="monitor-chart" id="chart"><svg' in page.text
    csv_link = html.unescape(re.search(r'href="(/-/trends\.csv\?[^"]+)"', page.text).group(1))
    assert web.get(csv_link).text == cli(
        db_path, "trend", "hard_power", "--measure", "per10k", "--since", "1945", "--where",
        "party in Democratic,Republican", "--where", "delivery!=written", "--by", "party",
        "--format", "csv")
    # the form keeps the whole query, so the URL can be bookmarked
    assert 'value="party in Democratic,Republican"' in page.text
    assert 'name="by" list="field-names" value="party"' in page.text
    for field in ("party", "president", "delivery", "source", "language"):
        assert f'<option value="{field}">' in page.text

    # a point of the Republican panel: its documents and lines, filtered the same way
    point = next(r for r in expected["rows"] if r["source"] == "Republican" and r["docs"])
    link = next(a for a in contexts_links(page) if f"period={point['period']}&" in a + "&"
                and "group=Republican" in a)
    assert "where=party+in+Democratic%2CRepublican" in link and "by=party" in link
    context = web.get(link)
    assert context.status_code == 200, context.text
    ids = document_ids(context)
    assert len(ids) == point["docs"]
    conn = Database(db_path).conn
    for doc_id in ids:
        (party,) = conn.execute("select json_extract(meta, '$.party') from documents"
                                " where id = ?", (doc_id,)).fetchone()
        assert party == "Republican"
    lines = Tables(context.text).rows("kwic")
    assert len(lines) == point["count"]
    assert "documents where party in Democratic,Republican" in html.unescape(context.text)


def test_each_point_shows_its_value_on_hover(web) -> None:
    page = web.get("/-/trends?series=hard_power&measure=count&since=1940&until=1949&by=party")
    chart = page.text.split('id="chart"')[1].split("</svg>")[0]
    titles = re.findall(r"<a xlink:href=\"[^\"]+\"[^>]*><title>([^<]*)</title>", chart)
    expected = [f"hard_power in {r['period']} ({r['source']}): {r['count']} occurrences"
                for r in table_rows(page) if r["count"] is not None]
    assert sorted(titles) == sorted(expected) and len(expected) == 10


def test_a_field_no_document_has_is_said_not_shown_as_one_group(web, web_demo) -> None:
    page = web.get("/-/trends?series=hard_power&since=2000&by=countri")
    assert page.status_code == 200
    assert "no document has the field &#39;countri&#39;" in page.text
    result = CliRunner().invoke(main, ["--db", str(web_demo[0]), "trend", "hard_power",
                                       "--since", "2000", "--by", "countri"])
    assert result.exit_code == 0
    assert "note: no document has the field 'countri': every document is in the group" \
        " (none)" in result.stderr


def test_an_ad_hoc_term_is_read_once_the_cli_counted_it(web, web_demo) -> None:
    db_path = web_demo[0]
    before = digest(db_path)
    refused = web.get("/-/trends?term=atomic+energy&since=1940")
    assert refused.status_code == 400
    assert (f"--term 'atomic energy' has not been counted yet, and this view is read-only: run"
            f" monitor --db {db_path} trend --term 'atomic energy' once") in html.unescape(
                refused.text)
    assert web.get("/-/trends.csv?term=atomic+energy").status_code == 400
    assert digest(db_path) == before  # nothing written, no lexicon added

    expected = json.loads(cli(db_path, "trend", "--term", "atomic energy", "--since", "1940",
                              "--measure", "count", "--format", "json"))
    page = web.get("/-/trends?term=atomic+energy&since=1940&measure=count")
    assert page.status_code == 200, page.text
    assert table_rows(page) == expected["rows"]
    assert {r["series"] for r in expected["rows"]} == {"atomic energy"}
    assert '<option value="atomic energy">' in web.get("/-/trends").text  # autocomplete
    assert "adhoc." not in web.get("/-/lexicons").text  # not listed as a lexicon
    assert web.get("/-/trends.csv?term=atomic+energy&since=1940&measure=count").text == cli(
        db_path, "trend", "--term", "atomic energy", "--since", "1940", "--measure", "count",
        "--format", "csv")

    point = next(r for r in expected["rows"] if r["count"])
    link = next(a for a in contexts_links(page) if f"period={point['period']}" in a)
    assert "term=atomic+energy" in link and "series=" not in link
    context = web.get(link)
    assert context.status_code == 200, context.text
    lines = Tables(context.text).rows("kwic")
    assert len(lines) == point["count"]
    assert {line[3].lower() for line in lines} == {"atomic energy"}
    assert len(document_ids(context)) == point["docs"]

    with_series = web.get("/-/trends?series=hard_power&term=atomic+energy&since=1940"
                          "&ratio_a=atomic+energy&ratio_b=hard_power")
    assert with_series.status_code == 200, with_series.text
    assert {r["series"] for r in table_rows(with_series)} == {
        "hard_power", "atomic energy", "atomic energy/hard_power"}


def test_all_copies_counts_every_syndicated_copy(copies) -> None:
    client, db_path = copies
    for extra, flag in (("", ()), ("&all_copies=1", ("--all-copies",))):
        page = client.get(f"/-/trends?series=power:security&measure=count{extra}")
        assert page.status_code == 200, page.text
        expected = json.loads(cli(db_path, "trend", "power:security", "--measure", "count",
                                  *flag, "--format", "json"))
        assert table_rows(page) == expected["rows"]
        (row,) = expected["rows"]
        assert (row["count"], row["total_docs"]) == ((4, 4) if flag else (2, 2))
        link = contexts_links(page)[0]
        assert ("all_copies=1" in link) == bool(flag)
        context = client.get(link)
        assert len(document_ids(context)) == row["docs"]
        assert len(Tables(context.text).rows("kwic")) == row["count"]
    assert "counted once with the first of their cluster" in client.get(
        "/-/trends?series=power:security").text
    assert 'name="all_copies" value="1" checked' in client.get(
        "/-/trends?series=power:security&all_copies=1").text


def test_a_term_counted_before_new_documents_says_so(copies) -> None:
    client, db_path = copies
    cli(db_path, "trend", "--term", "farmers")
    with Database(db_path) as db:
        db.add_documents([Document(text="Farmers again.", source="wire",
                                   published="2024-05-01", precision="day",
                                   external_id="w3")])
    page = client.get("/-/trends?term=farmers&measure=count")
    assert page.status_code == 200
    assert ("--term &#39;farmers&#39; was counted before 1 of the documents were ingested"
            in page.text)
    assert [r["count"] for r in table_rows(page)] == [1]


@pytest.mark.parametrize(("query", "message"), [
    ("series=hard_power&where=party", "cannot read filter 'party': write FIELD=VALUE"),
    ("series=hard_power&where=party+in+", "cannot read filter"),
    ("series=hard_power&by=a%22b", "--by 'a\"b': give a document field"),
    ("series=hard_power&by=party&by_source=1", "group by one field: --by-source or --by"),
    ("series=hard_power&" + "&".join(f"where=party=x{i}" for i in range(9)),
     "at most 8 --where filters"),
    ("&".join(f"term=w{i}" for i in range(13)), "at most 12 series and terms"),
    ("term=a%3Cscript%3E", "--term 'a<script>' has not been counted yet"),
])
def test_bad_query_parts_get_the_clis_message(web, query: str, message: str) -> None:
    for path in ("/-/trends?", "/-/trends.csv?", "/-/contexts?period=2000&"):
        page = web.get(path + query)
        assert page.status_code == 400, (path, query)
        assert message in html.unescape(page.text)
        assert "Traceback" not in page.text
        if page.headers["content-type"].startswith("text/html"):
            assert "a<script>" not in page.text
        else:  # a download's error is plain text, never sniffed as markup
            assert page.headers["content-type"].startswith("text/plain")
            assert page.headers["x-content-type-options"] == "nosniff"


def test_hostile_filters_modify_nothing_and_bounds_hold(web, web_demo) -> None:
    db_path = web_demo[0]
    before = digest(db_path)
    for where in ("party=x' OR '1'='1", "party=x'); DROP TABLE documents; --",
                  "title in a',b\"); DELETE FROM counts; --"):
        page = web.get("/-/trends?" + urlencode({"series": "hard_power", "where": where}))
        assert page.status_code == 200 and "no tallied documents match this query" in page.text
    assert web.get("/-/trends?series=hard_power&by=x')+OR+1=1;+DROP+TABLE+documents;--"
                   ).status_code == 400
    assert digest(db_path) == before
    count = web.get("/demo.json", params={"sql": "select count(*) n from documents",
                                          "_shape": "array"}).json()
    assert count == [{"n": 249}]
    for path in ("/-/trends", "/-/trends.svg"):
        page = web.get(path + "?series=hard_power&bucket=day")
        assert page.status_code == 400
        assert ("this trend has 86,245 rows (86,245 day buckets x 1 series x 1 group), more"
                " than the 10,000 allowed here: choose a coarser bucket"
                in html.unescape(page.text))
    big = web.get("/-/trends.csv?series=hard_power&bucket=day&since=1990")
    assert big.status_code == 200 and len(big.text.splitlines()) > 10_001  # downloads: more
    many = web.get("/-/trends?series=hard_power&by=title&since=1980")
    assert many.status_code == 200 and "no chart:" in many.text and 'id="chart"' not in many.text
    assert web.get("/-/trends.png?series=hard_power&by=title&since=1980").status_code == 400


def test_a_trend_over_the_time_limit_stops_with_a_message(web_demo) -> None:
    client = Client(make_datasette(web_demo[0], reports=web_demo[1], time_limit_ms=1))
    try:
        page = client.get("/-/trends?series=hard_power&series=soft_power&by=president")
        assert page.status_code == 400
        assert "the query took longer than 0.001 s; narrow it" in page.text
    finally:
        client.close()


def test_plain_datasette_gets_the_pages_from_the_entry_point(web_demo, tmp_path) -> None:
    from importlib.metadata import entry_points

    from datasette.app import Datasette

    if "rhetoric_monitor" not in {e.name for e in entry_points(group="datasette")}:
        pytest.skip("the datasette entry point is not installed: pip install -e '.[test]'")
    db_path = web_demo[0]
    client = Client(Datasette(files=[str(db_path)]))  # `datasette demo.db`: no config
    try:
        page = client.get("/-/trends?series=hard_power&since=2000&measure=count")
        assert page.status_code == 200, page.text
        assert table_rows(page) == json.loads(cli(
            db_path, "trend", "hard_power", "--since", "2000", "--measure", "count",
            "--format", "json"))["rows"]
        assert client.get("/-/lexicons?name=power").status_code == 200
    finally:
        client.close()
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    client = Client(Datasette(files=[str(other)]))
    try:
        page = client.get("/-/trends")
        assert page.status_code == 404
        assert page.text == ("error: no rhetoric-monitor database is served here: run monitor"
                             " --db PATH serve (or datasette PATH)\n")
        assert client.get("/other/t.json").status_code == 200  # Datasette itself works
    finally:
        client.close()
