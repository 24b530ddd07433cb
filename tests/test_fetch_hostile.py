"""Hostile and failing servers: retries, timeouts, redirects, huge bodies, XML bombs,
dead sources backing off; and the ``monitor fetch`` / ``monitor sources`` commands."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner
from live_server import Answer, LiveServer, feed_bytes, rss, write_config
from shared_corpora import corpus_path

from monitor.cli import main
from monitor.fetch import FetchStore, fetch_sources
from monitor.sources.config import load_sources
from monitor.sources.http import FetchSettings, HttpClient, retry_after

pytestmark = pytest.mark.corpus
FEED = rss([{"title": "One", "link": "http://x.example/1", "description": "Security first."}])


@pytest.fixture
def server():
    corpus_path("feeds")
    live = LiveServer()
    yield live
    live.close()


def client(**kw) -> HttpClient:
    settings = FetchSettings(timeout=1, backoff=0.01, retry_after_cap=0.3, delay=0,
                             article_delay=0, **kw)
    return HttpClient(settings)


def test_500_then_200_is_retried(server):
    url = server.add("/flaky", Answer(500, b"oops"), Answer(503, b"busy"), Answer(body=FEED))
    with client() as http:
        response = http.get(url)
    assert response.status == 200 and response.attempts == 3 and server.hits["/flaky"] == 3


def test_429_honours_retry_after_up_to_the_cap(server):
    url = server.add("/slow-down", Answer(429, b"", {"Retry-After": "3600"}), Answer(body=FEED))
    started = time.monotonic()
    with client() as http:
        assert http.get(url).status == 200
    assert 0.25 < time.monotonic() - started < 2  # waited the 0.3 s cap, not an hour
    assert retry_after("120") == 120 and retry_after("junk") is None


def test_give_up_after_the_retries(server):
    url = server.add("/down", Answer(503, b"down"))
    with client(retries=2) as http, pytest.raises(Exception, match=r"HTTP 503 after 3"):
        http.get(url)


def test_a_slow_response_times_out(server):
    url = server.add("/slow", Answer(body=FEED, delay=1.5))
    with client(retries=0) as http, pytest.raises(Exception, match="timed out after 1 s"):
        http.get(url)


def test_redirect_loop_and_file_scheme_are_refused(server):
    server.add("/loop1", Answer(302, b"", {"Location": "/loop2"}))
    server.add("/loop2", Answer(302, b"", {"Location": "/loop1"}))
    server.add("/file", Answer(302, b"", {"Location": "file:///etc/passwd"}))
    server.add("/ok", Answer(301, b"", {"Location": "/feed"}))
    server.add("/feed", Answer(body=FEED))
    with client() as http:
        with pytest.raises(Exception, match=r"too many redirects \(over 5\)"):
            http.get(server.url("/loop1"))
        with pytest.raises(Exception, match="redirect to 'file:///etc/passwd' refused"):
            http.get(server.url("/file"))
        assert http.get(server.url("/ok")).content == FEED
        with pytest.raises(Exception, match="not an http or https URL"):
            http.get("file:///etc/passwd")
    assert server.hits["/loop1"] + server.hits["/loop2"] == 6  # no retries of a loop


def test_a_50_mb_body_is_aborted_while_streaming(server):
    def fifty_mb(out) -> None:
        chunk = b"x" * 65536
        for _ in range(800):
            out.write(chunk)

    streamed = server.add("/big", Answer(body=fifty_mb))
    declared = server.add("/big-declared", Answer(body=b"x" * (3 * 1024 * 1024)))
    with client(max_bytes=2 * 1024 * 1024) as http:
        with pytest.raises(Exception, match="response too large"):
            http.get(streamed)
        with pytest.raises(Exception, match=r"response too large \(3.0 MB"):
            http.get(declared)


def test_an_xml_bomb_is_refused_and_a_dead_source_backs_off(tmp_path, server, db):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1
                                                       else b"&lol;") * 10)
                       for i in range(1, 10))
            + b']><rss version="2.0"><channel><title>&lol9;</title></channel></rss>')
    server.add("/bomb.rss", Answer(body=bomb))
    server.add("/dead.rss", Answer(500, b"dead"))
    server.add("/good.rss", Answer(body=FEED))
    body = "".join(f'[[sources]]\nname = "{n}"\nurl = "{server.url(f"/{n}.rss")}"\n'
                   f'every = "1h"\n' for n in ("bomb", "dead", "good"))
    path = write_config(tmp_path / "monitor.toml", body, "retries = 1\n")
    cfg = load_sources(path)
    report = fetch_sources(db, cfg)
    by_name = {r.name: r for r in report.results}
    assert "XML entity declarations refused" in by_name["bomb"].error
    assert "HTTP 500" in by_name["dead"].error
    assert by_name["good"].new == 1 and not report.ok
    store = FetchStore(db)
    health = store.health("dead")
    assert health["failures"] == 1 and health["last_success"] is None
    assert not store.is_due("dead") and not store.is_due("good")
    again = fetch_sources(db, cfg)  # not --due: fetched anyway, failures grow
    assert store.health("dead")["failures"] == 2 and again.results[2].unchanged == 0
    runner = CliRunner()
    out = runner.invoke(main, ["--db", str(db.path), "sources", "list", "--config", str(path)])
    assert out.exit_code == 0, out.output
    line = next(x for x in out.output.splitlines() if x.startswith("dead"))
    assert "failing x2" in line and "HTTP 500" in line and "never" in line
    due = runner.invoke(main, ["--db", str(db.path), "fetch", "--due", "--config", str(path)])
    assert due.exit_code == 0 and "not due: bomb, dead, good" in due.output


def test_per_host_concurrency_is_at_most_two(tmp_path, server, db):
    items = []
    for i in range(8):
        server.add(f"/p{i}.html", Answer(body=b"<html><body><article><p>" + b"Words of"
                                          b" security and culture. " * 40 + b"%d</p>"
                                          b"</article></body></html>" % i, delay=0.1))
        items.append({"title": f"p{i}", "link": server.url(f"/p{i}.html"), "guid": f"p{i}"})
    server.add("/robots.txt", Answer(404, b""))
    server.add("/c.rss", Answer(body=rss(items)))
    cfg = load_sources(write_config(tmp_path / "monitor.toml", '[[sources]]\nname = "c"\n'
                                    f'url = "{server.url("/c.rss")}"\nfetch_article = true\n'))
    tracker = []
    original = server.handle

    def tracking(handler):
        tracker.append(sum(server.active.values()))
        original(handler)

    server.handle = tracking
    assert fetch_sources(db, cfg).new == 8
    assert max(tracker) <= 2


def test_cli_sources_add_check_fetch_remove(tmp_path, server, db):
    url = server.add("/f.rss", Answer(body=feed_bytes("qq-news-gb2312.rss")))
    path = tmp_path / "monitor.toml"
    path.write_text('# my sources\n[report]\nperiod = "month"\n', encoding="utf-8")
    runner = CliRunner()
    base = ["--db", str(db.path)]
    out = runner.invoke(main, [*base, "sources", "add", "qq", url, "--every", "1h",
                               "--language", "zh", "--collection", "china-media",
                               "--config", str(path)])
    assert out.exit_code == 0, out.output
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# my sources") and 'name = "qq"' in text
    from monitor.report import load_config

    assert load_config(path).period == "month"  # the report config still loads
    bad = runner.invoke(main, [*base, "sources", "add", "x", "ftp://nope", "--config",
                               str(path)])
    assert bad.exit_code == 2 and "not an http or https URL" in bad.output
    check = runner.invoke(main, [*base, "sources", "check", "qq", "--config", str(path)])
    assert check.exit_code == 0, check.output
    assert "习近平为何如此强调崇尚英雄？" in check.output
    assert "would store: qq: new 20" in check.output
    assert db.document_count() == 0 and db.conn.execute(
        "SELECT count(*) FROM fetches").fetchone()[0] == 0
    fetched = runner.invoke(main, [*base, "fetch", "--config", str(path)])
    assert fetched.exit_code == 0 and "qq: new 20" in fetched.output
    assert db.conn.execute("SELECT count(*) FROM documents WHERE language = 'zh'"
                           ).fetchone()[0] == 20
    listed = runner.invoke(main, [*base, "sources", "list", "--config", str(path)])
    assert "qq" in listed.output and "   20  " in listed.output
    removed = runner.invoke(main, [*base, "sources", "remove", "qq", "--config", str(path)])
    assert removed.exit_code == 0 and "qq" not in path.read_text(encoding="utf-8")
    unknown = runner.invoke(main, [*base, "fetch", "--source", "nope", "--config", str(path)])
    assert unknown.exit_code == 2
