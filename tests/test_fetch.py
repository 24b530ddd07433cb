"""Fetching live sources from a real HTTP server on 127.0.0.1: the shared feeds and article
pages, conditional GET, encodings, dedupe, updates with versions, the fetch log."""

from __future__ import annotations

import json

import pytest
from live_server import Answer, LiveServer, article_pages, feed_bytes, rss, write_config
from shared_corpora import corpus_path

from monitor.fetch import fetch_sources
from monitor.lexicon import resolve_lexicon
from monitor.sources.config import load_sources
from monitor.store.clusters import band_hashes, signature
from monitor.tally import tally_documents

pytestmark = pytest.mark.corpus


@pytest.fixture
def server():
    corpus_path("feeds")
    live = LiveServer()
    yield live
    live.close()


def config(tmp_path, server, body: str, fetch: str = ""):
    return load_sources(write_config(tmp_path / "monitor.toml", body, fetch))


def feed_source(name: str, url: str, extra: str = "") -> str:
    return f'[[sources]]\nname = "{name}"\nkind = "feed"\nurl = "{url}"\n{extra}\n'


def test_shared_feeds_decode_and_a_second_run_adds_nothing(tmp_path, server, db):
    names = {"guardian": "guardian-us-2018.rss", "qq": "qq-news-gb2312.rss",
             "uol": "uol-noticias-latin1.rss", "heise": "heise.atom", "npr": "npr-2021.json"}
    body = ""
    for name, file in names.items():
        url = server.add(f"/{file}", Answer(body=feed_bytes(file), etag=f'"{name}-1"',
                                            headers={"Content-Type": "application/xml"}))
        body += feed_source(name, url)
    cfg = config(tmp_path, server, body)
    report = fetch_sources(db, cfg)
    assert report.ok, [r.summary() for r in report.results]
    got = {r.name: r.new for r in report.results}
    assert got["qq"] == 20 and got["npr"] == 25 and got["heise"] == 15 and got["uol"] == 15
    assert got["guardian"] >= 50
    rows = dict(db.conn.execute(
        "SELECT s.name, group_concat(d.title, '|') FROM documents d JOIN sources s"
        " ON s.id = d.source_id GROUP BY s.name").fetchall())
    assert "习近平为何如此强调崇尚英雄？" in rows["qq"]
    assert "simulações de 2º turno" in rows["uol"]
    langs = dict(db.conn.execute("SELECT s.name, min(d.language) FROM documents d JOIN"
                                 " sources s ON s.id = d.source_id GROUP BY s.name"))
    assert langs["qq"] == "zh" and langs["guardian"] == "en"
    # the ETag comes back verbatim; 304 stores nothing and is a success
    second = fetch_sources(db, cfg)
    assert second.ok and second.new == 0 and second.updated == 0
    sent = [h.get("if-none-match") for p, h in server.requests if p == "/qq-news-gb2312.rss"]
    assert sent == [None, '"qq-1"']
    statuses = db.conn.execute("SELECT status, count(*) FROM fetches WHERE run_id = ?"
                               " GROUP BY status", (second.run_id,)).fetchall()
    assert statuses == [(304, 5)]
    totals = json.loads(db.conn.execute("SELECT sources FROM runs WHERE id = ?",
                                        (report.run_id,)).fetchone()[0])
    assert totals["qq"]["new"] == 20


def test_gb2312_feed_with_a_wrong_declared_charset(tmp_path, server, db):
    url = server.add("/qq.rss", Answer(body=feed_bytes("qq-news-gb2312.rss"), headers={
        "Content-Type": "text/xml; charset=ISO-8859-1"}))
    # and the same bytes claiming to be UTF-8 in their own declaration
    lying = feed_bytes("qq-news-gb2312.rss").replace(b'encoding="gb2312"', b'encoding="utf-8"')
    url2 = server.add("/qq2.rss", Answer(body=lying, headers={"Content-Type": "text/xml"}))
    cfg = config(tmp_path, server, feed_source("qq", url) + feed_source("qq2", url2))
    report = fetch_sources(db, cfg)
    assert [r.new for r in report.results] == [20, 0]  # qq2: the same texts, duplicates
    assert report.results[1].duplicate == 20
    titles = [t for (t,) in db.conn.execute("SELECT title FROM documents")]
    assert "习近平为何如此强调崇尚英雄？" in titles


def test_stale_validators_caught_by_the_body_hash(tmp_path, server, db):
    url = server.add("/g.rss", Answer(body=feed_bytes("guardian-us-2018.rss"),
                                      headers={"Last-Modified": "Wed, 31 Jan 2018 10:00:00 GMT"}))
    cfg = config(tmp_path, server, feed_source("g", url))
    fetch_sources(db, cfg)
    second = fetch_sources(db, cfg)
    assert second.new == 0
    sent = [h.get("if-modified-since") for p, h in server.requests if p == "/g.rss"]
    assert sent == [None, "Wed, 31 Jan 2018 10:00:00 GMT"]
    row = db.conn.execute("SELECT status, new, unchanged FROM fetches WHERE run_id = ?",
                          (second.run_id,)).fetchone()
    assert row == (304, 0, 1)


def test_changed_entries_are_updates_with_old_versions_kept(tmp_path, server, db):
    first = rss([{"title": "Security talks", "link": "http://news.example/a?utm_source=rss",
                  "guid": "a-1", "date": "Tue, 01 Dec 2026 08:00:00 GMT",
                  "content": "<p>The security council met on security.</p>"},
                 {"title": "Culture", "link": "http://news.example/b",
                  "description": "Culture and values attract."}])
    second = rss([{"title": "Security talks (updated)", "link": "http://NEWS.example/a#top",
                   "guid": "a-1", "date": "Tue, 01 Dec 2026 08:00:00 GMT",
                   "content": "<p>The council met on security and military aid.</p>"},
                  {"title": "Culture", "link": "http://news.example/b?fbclid=xyz",
                   "description": "Culture and values attract."},
                  {"title": "Again", "link": "http://news.example/c",
                   "description": "Culture and values attract."}])
    url = server.add("/f.rss", Answer(body=first), Answer(body=second))
    cfg = config(tmp_path, server, feed_source("news", url))
    assert fetch_sources(db, cfg).new == 2
    tally_documents(db, [resolve_lexicon("power")])
    doc_id = db.conn.execute("SELECT id FROM documents WHERE external_id = 'a-1'").fetchone()[0]
    assert db.conn.execute("SELECT count(*) FROM tallied WHERE document_id = ?",
                           (doc_id,)).fetchone()[0] == 1
    report = fetch_sources(db, cfg)
    result = report.results[0]
    assert (result.new, result.updated, result.unchanged, result.duplicate) == (0, 1, 1, 1)
    text, title, url_ = db.conn.execute("SELECT text, title, url FROM documents WHERE id = ?",
                                        (doc_id,)).fetchone()
    assert "military aid" in text and title == "Security talks (updated)"
    assert url_ == "http://news.example/a"
    bands = db.conn.execute("SELECT band, hash FROM minhash_bands WHERE document_id = ?",
                            (doc_id,)).fetchall()
    assert sorted(bands) == list(enumerate(band_hashes(signature(text))))  # no stale rows
    old = db.conn.execute("SELECT text, title FROM document_versions WHERE document_id = ?",
                          (doc_id,)).fetchall()
    assert old == [("The security council met on security.", "Security talks")]
    for table in ("tallied", "counts", "category_counts"):
        assert db.conn.execute(f"SELECT count(*) FROM {table} WHERE document_id = ?",
                               (doc_id,)).fetchone()[0] == 0, table
    tally_documents(db, [resolve_lexicon("power")])
    counts = dict(db.conn.execute(
        "SELECT term, count FROM term_counts WHERE document_id = ? AND lexicon = 'power'",
        (doc_id,)).fetchall())
    assert counts["security"] == 1 and counts["aid"] == 1
    totals = dict(db.conn.execute(
        "SELECT category, count FROM category_totals WHERE document_id = ?", (doc_id,)))
    assert totals["hard_power"] == 3  # security, military, aid: counted once each
    assert db.document_count("news") == 2
    # a third run: nothing new, nothing updated
    third = fetch_sources(db, cfg)
    assert third.new == 0 and third.updated == 0


def test_a_malformed_feed_keeps_what_was_read(tmp_path, server, db):
    data = feed_bytes("guardian-us-2018.rss")
    cut = data[: data.index(b"<item>", len(data) // 2) + 40]
    url = server.add("/broken.rss", Answer(body=cut))
    report = fetch_sources(db, config(tmp_path, server, feed_source("broken", url)))
    result = report.results[0]
    assert result.new >= 20 and result.error is None
    assert not report.ok and any("malformed feed" in e for e in result.errors)
    error = db.conn.execute("SELECT error FROM fetches").fetchone()[0]
    assert "malformed feed" in error and "kept the" in error


def test_full_articles_behind_feed_entries_and_robots(tmp_path, server, db):
    pages = article_pages()[:6]
    items = []
    for page_id, html, _ in pages:
        server.add(f"/articles/{page_id}.html", Answer(body=html, headers={
            "Content-Type": "text/html"}))
        items.append({"title": page_id[:8], "link": server.url(f"/articles/{page_id}.html"),
                      "guid": page_id, "description": f"Summary of {page_id[:8]}."})
    blocked = pages[0][0]
    server.add("/robots.txt", Answer(body=f"User-agent: *\nDisallow: /articles/{blocked}"
                                          ".html\n".encode()))
    url = server.add("/a.rss", Answer(body=rss(items)))
    cfg = config(tmp_path, server, feed_source("full", url, "fetch_article = true"))
    report = fetch_sources(db, cfg)
    assert report.results[0].new == 6
    for page_id, _, truth in pages[1:]:
        text = db.conn.execute("SELECT text FROM documents WHERE external_id = ?",
                               (page_id,)).fetchone()[0]
        assert truth[:60].strip() in text
    text, meta = db.conn.execute("SELECT text, meta FROM documents WHERE external_id = ?",
                                 (blocked,)).fetchone()
    assert text == f"Summary of {blocked[:8]}." and json.loads(meta)["text_from"] == "summary"
    assert server.hits[f"/articles/{blocked}.html"] == 0
    agents = {h["user-agent"] for _, h in server.requests}
    assert agents and all("rhetoric-monitor/" in a and "https://example.org/contact" in a
                          for a in agents)
    errors = [e for (e,) in db.conn.execute("SELECT error FROM fetches WHERE error IS NOT NULL")]
    assert any("robots.txt" in e for e in errors)


def test_relative_entry_links_resolve_against_the_feed_url(tmp_path, server, db):
    body = rss([{"title": "Rel", "link": "/news/1.html?utm_source=x",
                 "description": "Security and culture."}])
    url = server.add("/feeds/rel.rss", Answer(body=body))
    assert fetch_sources(db, config(tmp_path, server, feed_source("rel", url))).new == 1
    stored = db.conn.execute("SELECT url, external_id FROM documents").fetchone()
    assert stored == (server.url("/news/1.html"),) * 2
