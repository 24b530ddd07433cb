"""A real threaded HTTP server on 127.0.0.1 for fetch tests: real feeds and article pages
of ../shared/corpora, plus whatever hostile answers a test programs into it."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

from shared_corpora import CORPORA


@dataclass
class Answer:
    """One programmed response. ``body`` may be bytes or a callable writing to the socket."""

    status: int = 200
    body: bytes | object = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    etag: str | None = None  # answer 304 when the client sends it back


class LiveServer:
    def __init__(self) -> None:
        self.routes: dict[str, list[Answer]] = {}
        self.hits: dict[str, int] = defaultdict(int)
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.active: dict[str, int] = defaultdict(int)
        self.peak: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                server.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, *answers: Answer) -> str:
        self.routes[path] = list(answers)
        return self.url(path)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self._lock:
            self.hits[path] += 1
            self.requests.append((path, headers))
            answers = self.routes.get(path)
            answer = None
            if answers:
                answer = answers.pop(0) if len(answers) > 1 else answers[0]
            self.active[path] += 1
            self.peak[path] = max(self.peak[path], self.active[path])
        try:
            self._respond(handler, answer, headers)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with self._lock:
                self.active[path] -= 1

    def _respond(self, handler: BaseHTTPRequestHandler, answer: Answer | None,
                 headers: dict[str, str]) -> None:
        if answer is None:
            answer = Answer(404, b"not found")
        if answer.delay:
            time.sleep(answer.delay)
        if answer.etag and headers.get("if-none-match") == answer.etag:
            handler.send_response(304)
            handler.send_header("ETag", answer.etag)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        handler.send_response(answer.status)
        for key, value in answer.headers.items():
            handler.send_header(key, value)
        if answer.etag:
            handler.send_header("ETag", answer.etag)
        if callable(answer.body):
            handler.send_header("Connection", "close")
            handler.end_headers()
            answer.body(handler.wfile)
            handler.close_connection = True
            return
        handler.send_header("Content-Length", str(len(answer.body)))
        handler.end_headers()
        handler.wfile.write(answer.body)


def feed_bytes(name: str) -> bytes:
    return (CORPORA / "feeds" / name).read_bytes()


def article_pages() -> list[tuple[str, bytes, str]]:
    """(page id, HTML bytes, ground-truth body) of the shared article pages."""
    truth = json.loads((CORPORA / "articles" / "ground-truth.json").read_text("utf-8"))
    pages = []
    for page_id in sorted(truth):
        path = CORPORA / "articles" / "html" / f"{page_id}.html.gz"
        pages.append((page_id, gzip.decompress(path.read_bytes()), truth[page_id]["articleBody"]))
    return pages


def rss(items: list[dict[str, str]], title: str = "Test feed", language: str = "en") -> bytes:
    """An RSS 2.0 feed of ``items`` (keys: title, link, guid, date, description, content)."""
    parts = [f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"'
             f' xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
             f"<title>{escape(title)}</title><link>http://example.org/</link>"
             f"<language>{language}</language>"]
    for item in items:
        parts.append("<item>")
        for key, tag in (("title", "title"), ("link", "link"), ("guid", "guid"),
                         ("description", "description"), ("content", "content:encoded")):
            if key in item:
                parts.append(f"<{tag}>{escape(item[key])}</{tag}>")
        if "date" in item:
            parts.append(f"<pubDate>{item['date']}</pubDate>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


def http_date(ts: float) -> str:
    return formatdate(ts, usegmt=True)


def write_config(path: Path, sources: str, fetch: str = "") -> Path:
    """A monitor.toml with tiny politeness delays, so tests stay fast."""
    path.write_text(
        "[fetch]\ncontact = \"https://example.org/contact\"\ndelay = 0\narticle_delay = 0\n"
        "timeout = 2\nbackoff = 0.01\nretry_after_cap = 0.5\n" + fetch + "\n" + sources,
        encoding="utf-8")
    return path
