"""Fetch configured sources into the store: the Python API behind ``monitor fetch``.

For each source the network work comes first (no database lock held), then one
transaction stores its documents, its conditional-GET state, its fetch log rows and its
health together, so an interrupted run leaves each source either fetched or not.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..documents import Document
from ..sources.config import SourcesConfig, SourceSpec
from ..sources.decode import DecodeError
from ..sources.feeds import FeedEntry, parse_feed
from ..sources.html import extract_page
from ..sources.http import FetchError, HttpClient, Response
from ..sources.sitemaps import parse_sitemap
from ..sources.urls import normalise_url
from ..store import Database
from .store import FetchStore, body_hash

MAX_CHILD_SITEMAPS = 50
OUTCOMES = ("new", "updated", "unchanged", "duplicate")


@dataclass
class SourceResult:
    """What fetching one source did. ``error`` set = the source failed as a whole."""

    name: str
    kind: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicate: int = 0
    failed: int = 0
    error: str | None = None
    errors: list[str] = field(default_factory=list)
    stored: list[tuple[str, Document]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and self.failed == 0

    def totals(self) -> dict[str, Any]:
        return {"new": self.new, "updated": self.updated, "unchanged": self.unchanged,
                "duplicate": self.duplicate, "failed": self.failed, "error": self.error}

    def summary(self) -> str:
        if self.error:
            return f"{self.name}: failed ({self.error})"
        line = (f"{self.name}: new {self.new}, updated {self.updated},"
                f" unchanged {self.unchanged}, duplicates {self.duplicate}")
        return line + (f", failed {self.failed}" if self.failed else "")


@dataclass
class FetchReport:
    results: list[SourceResult] = field(default_factory=list)
    not_due: list[str] = field(default_factory=list)
    run_id: int | None = None

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def new(self) -> int:
        return sum(r.new for r in self.results)

    @property
    def updated(self) -> int:
        return sum(r.updated for r in self.results)


@dataclass
class _Request:
    url: str
    status: int | None = None
    size: int | None = None
    ms: int | None = None
    error: str | None = None
    state: tuple[int, dict[str, str], str | None] | None = None
    docs: list[Document] = field(default_factory=list)


class _Rollback(Exception):
    pass


def fetch_sources(
    db: Database, config: SourcesConfig, *, names: Iterable[str] | None = None,
    due_only: bool = False, dry_run: bool = False, client: HttpClient | None = None,
    on_error: Callable[[str], None] | None = None, command: str = "fetch",
    stop: threading.Event | None = None,
) -> FetchReport:
    """Fetch the enabled sources (or those named) and store what is new or changed.

    ``due_only`` skips sources whose next attempt (interval, or backoff after failures)
    has not come. ``stop``, once set, ends the run after the source being stored (the
    scheduler's graceful shutdown). ``dry_run`` fetches and works out what would be stored, without
    conditional requests, and stores nothing (``monitor sources check``).
    """
    specs = [config.get(n) for n in names] if names else \
        [s for s in config.sources if s.enabled]
    fetch_store = FetchStore(db)
    report = FetchReport()
    own_client = client is None
    client = client or HttpClient(config.fetch)
    if not dry_run:
        report.run_id = db.start_run(command)
    interrupted = False
    try:
        for spec in specs:
            if stop is not None and stop.is_set():
                break
            if due_only and not fetch_store.is_due(spec.name):
                report.not_due.append(spec.name)
                continue
            result = _fetch_one(db, fetch_store, client, config, spec, report.run_id, dry_run)
            report.results.append(result)
            if on_error is not None:
                for line in ([result.error] if result.error else []) + result.errors:
                    on_error(f"{spec.name}: {line}")
        if not dry_run:
            with db.transaction():
                fetch_store.prune_log(config.keep_fetches_days)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the sources stored so far stay
        interrupted = True
        raise
    finally:
        if own_client:
            client.close()
        if report.run_id is not None:
            _finish(db, report, interrupted)
    return report


def _finish(db: Database, report: FetchReport, interrupted: bool = False) -> None:
    failed = sum(1 for r in report.results if not r.ok)
    message = "; ".join(r.summary() for r in report.results) or "no source due"
    db.finish_run(report.run_id, added=report.new,
                  skipped=sum(r.unchanged + r.duplicate for r in report.results),
                  failed=failed + interrupted,
                  message=f"aborted: interrupted; {message}" if interrupted else message,
                  status="aborted" if interrupted else None)
    with db.transaction():
        db.conn.execute("UPDATE runs SET sources = ? WHERE id = ?",
                        (json.dumps({r.name: r.totals() for r in report.results}),
                         report.run_id))


def _fetch_one(db: Database, fetch_store: FetchStore, client: HttpClient,
               config: SourcesConfig, spec: SourceSpec, run_id: int | None, dry_run: bool
               ) -> SourceResult:
    result = SourceResult(spec.name, spec.kind)
    if spec.kind == "folder":
        return _folder(db, fetch_store, spec, result, dry_run)
    worker = _Worker(fetch_store, client, config, spec, dry_run)
    worker.run()
    requests = worker.top + worker.extra
    failed_top = [r.error for r in worker.top if r.error]
    if worker.top and len(failed_top) == len(worker.top) and not any(r.docs for r in requests):
        result.error = failed_top[0]
    else:  # e.g. a malformed feed whose readable entries are stored
        result.errors += failed_top
    result.errors += worker.item_errors
    result.failed = len(result.errors)
    try:
        with db.transaction():
            for request in requests:
                counts = dict.fromkeys(OUTCOMES, 0)
                for doc in request.docs:
                    try:
                        outcome = fetch_store.store(doc, spec.kind, spec.location)
                    except ValueError as exc:
                        result.failed += 1
                        result.errors.append(str(exc))
                        continue
                    counts[outcome] += 1
                    setattr(result, outcome, getattr(result, outcome) + 1)
                    result.stored.append((outcome, doc))
                if request.status == 304:
                    counts["unchanged"] += 1
                if request.state is not None:
                    fetch_store.save_state(request.url, spec.name, *request.state)
                fetch_store.log(run_id, spec.name, request.url, status=request.status,
                                size=request.size, ms=request.ms, new=counts["new"],
                                updated=counts["updated"],
                                unchanged=counts["unchanged"] + counts["duplicate"],
                                error=request.error)
            fetch_store.record(spec.name, spec.every, result.error)
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return result


def _folder(db: Database, fetch_store: FetchStore, spec: SourceSpec, result: SourceResult,
            dry_run: bool) -> SourceResult:
    from ..ingest import ingest_paths

    if spec.path is None or not spec.path.is_dir():
        result.error = f"{spec.path}: folder not found"
    try:
        with db.transaction():
            if result.error is None:
                report = ingest_paths(db, spec.path, source=spec.name,
                                      command=f"fetch {spec.name}")
                result.new, result.duplicate = report.added, report.skipped
                result.failed = report.failed
                result.errors += [str(e) for e in report.errors]
            fetch_store.record(spec.name, spec.every, result.error)
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return result


class _Worker:
    """The network half of fetching one source: requests and the documents they yield."""

    def __init__(self, fetch_store: FetchStore, client: HttpClient, config: SourcesConfig,
                 spec: SourceSpec, dry_run: bool) -> None:
        self.store, self.client, self.spec = fetch_store, client, spec
        self.settings, self.dry_run = config.fetch, dry_run
        self.item_errors: list[str] = []
        self.top: list[_Request] = []    # the feeds, pages or sitemaps configured
        self.extra: list[_Request] = []  # article pages and the pages sitemaps list

    def run(self) -> None:
        if self.spec.kind == "feed":
            self.top = [self.feed(url) for url in self.spec.urls]
        elif self.spec.kind == "page":
            self.top = [self.page(url, conditional=True) for url in self.spec.urls]
        else:
            self.sitemap()

    # -- requests ---------------------------------------------------------------
    def get(self, url: str, *, conditional: bool, article: bool = False
            ) -> tuple[_Request, Response | None]:
        request = _Request(url)
        headers = self.store.validators(url) if conditional and not self.dry_run else {}
        try:
            response = self.client.get(
                url, headers=headers, robots=article,
                delay=self.settings.article_delay if article else None)
        except FetchError as exc:
            request.error, request.status = str(exc), exc.status
            return request, None
        request.status, request.ms = response.status, response.elapsed_ms
        request.size = len(response.content)
        if response.status == 304:
            request.state = (304, response.headers, None)
            return request, None
        digest = body_hash(response.content)
        if conditional and not self.dry_run and self.store.same_body(url, digest):
            request.status = 304  # the same bytes again: a stale validator
            request.state = (200, response.headers, digest)
            return request, None
        request.state = (response.status, response.headers, digest) if conditional else None
        return request, response

    def feed(self, url: str) -> _Request:
        request, response = self.get(url, conditional=True)
        if response is None:
            return request
        try:
            feed = parse_feed(response.content, declared_encoding=response.charset,
                              url=response.url)
        except DecodeError as exc:
            request.error, request.state = f"{url}: {exc}", None
            return request
        if feed.error:
            request.error = f"{url}: {feed.error} (kept the {len(feed.entries)} entries read)"
        todo: list[tuple[FeedEntry, str]] = []
        for entry in feed.entries:
            entry_hash = _entry_hash(entry)
            link = normalise_url(entry.url) if entry.url else None
            known = self.store.known(self.spec.name, entry.guid or link, link)
            if known is not None and known.entry_hash == entry_hash and not self.dry_run:
                continue
            todo.append((entry, entry_hash))
        with ThreadPoolExecutor(max_workers=4) as pool:
            docs = list(pool.map(lambda item: self.entry_document(url, *item), todo))
        request.docs = [d for d in docs if d is not None]
        return request

    def entry_document(self, feed_url: str, entry: FeedEntry, entry_hash: str
                       ) -> Document | None:
        link = normalise_url(entry.url) if entry.url else None
        text, text_from = entry.content, "content"
        page = None
        article = None
        if self.spec.fetch_article and entry.url:
            article, page = self.page_text(entry.url)
            self.extra.append(article)
            if page is not None:
                text, text_from = page.text, "page"
            else:
                entry_hash = None  # try the page again next time
        if not text:
            text, text_from = entry.summary, "summary"
        if not text:  # a headline-only item: its title is all the outlet published
            text, text_from = entry.title, "title"
        where = entry.url or entry.guid or entry.title or feed_url
        if not text:
            why = f" (article: {article.error})" if article is not None and article.error \
                else ""
            self.item_errors.append(f"{where}: entry has no text{why}")
            return None
        meta = {"feed": feed_url, "guid": entry.guid, "author": entry.author,
                "text_from": text_from, "entry_hash": entry_hash}
        if self.spec.collection:
            meta["collection"] = self.spec.collection
        date = entry.published or (page.date if page is not None else None)
        return Document(
            text=text, source=self.spec.name, title=entry.title or (page and page.title),
            url=link, external_id=entry.guid or link, published=date and date[0],
            precision=date and date[1],
            language=self.spec.language or entry.language or (page and page.language),
            meta={k: v for k, v in meta.items() if v is not None}, origin=where,
        )

    def page_text(self, url: str, *, conditional: bool = False) -> tuple[_Request, Any]:
        request, response = self.get(url, conditional=conditional, article=True)
        if response is None:
            return request, None
        try:
            page = extract_page(response.content, url=url,
                                declared_encoding=response.charset)
        except DecodeError as exc:
            request.error, request.state = f"{url}: {exc}", None
            return request, None
        return request, page

    def page(self, url: str, *, conditional: bool, hint: Any = None) -> _Request:
        request, page = self.page_text(url, conditional=conditional)
        if page is None:
            return request
        link = normalise_url(url)
        date = (hint.published if hint is not None else None) or page.date
        language = self.spec.language or (hint.language if hint is not None else None) \
            or page.language
        meta: dict[str, Any] = {"text_from": "page"}
        if hint is not None and hint.lastmod:
            meta["lastmod"] = hint.lastmod
        if self.spec.collection:
            meta["collection"] = self.spec.collection
        request.docs.append(Document(
            text=page.text, source=self.spec.name,
            title=(hint.title if hint is not None else None) or page.title, url=link,
            external_id=link, published=date and date[0], precision=date and date[1],
            language=language, meta=meta, origin=url,
        ))
        return request

    def sitemap(self) -> None:
        pending, seen, pages = list(self.spec.urls), set(), []
        while pending and len(seen) < MAX_CHILD_SITEMAPS:
            url = pending.pop(0)
            if url in seen:
                continue
            seen.add(url)
            request, response = self.get(url, conditional=False)
            self.top.append(request)
            if response is None:
                continue
            try:
                parsed = parse_sitemap(response.content, self.settings.max_bytes)
            except DecodeError as exc:
                request.error = f"{url}: {exc}"
                continue
            if parsed.is_index:
                pending += [u.loc for u in parsed.urls]
            else:
                pages += parsed.urls
        fresh = [p for p in pages
                 if self.store.known(self.spec.name, None, normalise_url(p.loc)) is None]
        with ThreadPoolExecutor(max_workers=4) as pool:
            self.extra += pool.map(lambda p: self.page(p.loc, conditional=False, hint=p),
                                   fresh[: self.spec.max_pages])
        self.item_errors += [r.error for r in self.extra if r.error and not r.docs]


def _entry_hash(entry: FeedEntry) -> str:
    parts = [entry.guid, entry.url, entry.title, entry.raw_date, entry.content, entry.summary]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()
