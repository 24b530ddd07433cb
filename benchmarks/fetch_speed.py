"""Fetch 1,000 feed entries with full articles from a local server: entries/s, peak memory.

The server (a child process, so its memory is not counted) serves 10 RSS feeds of 100
entries each, every entry linking to one of the 181 real article pages of
../shared/corpora/articles (page ``n % 181``, made unique by a sentence naming the entry,
so nothing is deduped away). No politeness delay; ``--per-host`` requests at once.

    .venv/bin/python benchmarks/fetch_speed.py [--entries 1000] [--per-host 2]
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from live_server import Answer, LiveServer, article_pages, rss  # noqa: E402

from monitor.fetch import fetch_sources  # noqa: E402
from monitor.sources.config import SourcesConfig, SourceSpec  # noqa: E402
from monitor.store import Database  # noqa: E402

FEEDS = 10


def serve(entries: int, ready: multiprocessing.Queue) -> None:
    server = LiveServer()
    pages = article_pages()
    per_feed = entries // FEEDS
    for n in range(entries):
        _, html, _ = pages[n % len(pages)]
        marker = f"Benchmark entry {n} of the rhetoric-monitor fetch test. ".encode()
        head, sep, tail = html.partition(b"<p>")
        server.add(f"/a/{n}.html", Answer(body=head + sep + marker + tail if sep else html,
                                          headers={"Content-Type": "text/html"}))
    server.add("/robots.txt", Answer(body=b"User-agent: *\nAllow: /\n"))
    for f in range(FEEDS):
        items = [{"title": f"Entry {n}", "link": server.url(f"/a/{n}.html"), "guid": f"e{n}",
                  "date": "Tue, 01 Dec 2026 08:00:00 GMT", "description": f"Summary {n}."}
                 for n in range(f * per_feed, (f + 1) * per_feed)]
        server.add(f"/feed{f}.rss", Answer(body=rss(items)))
    ready.put(server.base)
    time.sleep(3600)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--per-host", type=int, default=2)
    args = parser.parse_args()
    ready: multiprocessing.Queue = multiprocessing.Queue()
    child = multiprocessing.Process(target=serve, args=(args.entries, ready), daemon=True)
    child.start()
    base = ready.get(timeout=120)
    config = SourcesConfig()
    config.fetch.delay = config.fetch.article_delay = 0
    config.fetch.per_host = args.per_host
    config.sources = [SourceSpec(name=f"feed{f}", kind="feed", urls=[f"{base}/feed{f}.rss"],
                                 fetch_article=True) for f in range(FEEDS)]
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "bench.db")
        started = time.perf_counter()
        report = fetch_sources(db, config)
        seconds = time.perf_counter() - started
        stored = db.document_count()
        from_pages = db.conn.execute("SELECT count(*) FROM documents WHERE"
                                     " json_extract(meta, '$.text_from') = 'page'").fetchone()[0]
        db.close()
    child.terminate()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"entries {args.entries}, stored {stored} ({from_pages} with the article page's"
          f" text), failed {sum(r.failed for r in report.results)}")
    print(f"{seconds:.1f} s: {args.entries / seconds:.1f} entries/s end to end"
          f" (fetch feeds and pages, extract, store), per_host {args.per_host}")
    print(f"peak memory (max RSS of the fetching process): {peak:.0f} MB")


if __name__ == "__main__":
    main()
