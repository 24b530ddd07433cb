"""A polite, bounded HTTP client for feeds and web pages (httpx underneath).

Every request names the tool and a contact URL in its User-Agent, waits its turn per host
(at most ``per_host`` requests at once and ``delay`` seconds between starts), gives up
after ``timeout`` seconds, streams the body and aborts past ``max_bytes``, follows at most
``max_redirects`` redirects by hand (http and https only; https never falls back to http)
and retries 408, 429, 5xx and network failures with exponential backoff and jitter,
honouring ``Retry-After`` up to ``retry_after_cap`` seconds. ``robots.txt`` is read once
per host and obeyed when a caller asks (article pages).
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from .decode import describe_size

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
SCHEMES = ("http", "https")
ROBOTS_AGENT = "rhetoric-monitor"


@dataclass
class FetchSettings:
    """How the client behaves; ``[fetch]`` in ``monitor.toml`` sets these."""

    contact: str = "https://github.com/rhetoric-monitor/rhetoric-monitor"
    timeout: float = 30.0
    max_bytes: int = 20 * 1024 * 1024
    retries: int = 3
    backoff: float = 2.0
    retry_after_cap: float = 120.0
    delay: float = 1.0
    article_delay: float = 5.0
    per_host: int = 2
    max_redirects: int = 5
    robots: bool = True

    @property
    def user_agent(self) -> str:
        from importlib.metadata import PackageNotFoundError, version

        try:
            ours = version("rhetoric-monitor")
        except PackageNotFoundError:  # pragma: no cover
            ours = "dev"
        return f"rhetoric-monitor/{ours} (+{self.contact})"


class FetchError(Exception):
    """A request that failed for good; ``str()`` is a one-line reason naming the URL."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RobotsRefused(FetchError):
    """robots.txt does not allow this tool to fetch the URL."""


@dataclass
class Response:
    url: str
    status: int
    headers: dict[str, str]
    content: bytes
    elapsed_ms: int
    attempts: int = 1
    redirects: list[str] = field(default_factory=list)

    @property
    def charset(self) -> str | None:
        """The charset the server declared in ``Content-Type``, if any."""
        for part in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                return value.strip("\"' ")
        return None


class _Host:
    def __init__(self, slots: int) -> None:
        self.slots = threading.Semaphore(slots)
        self.lock = threading.Lock()
        self.next_start = 0.0


class HttpClient:
    """One client per run; thread-safe, so article pages can be fetched in parallel."""

    def __init__(self, settings: FetchSettings | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings or FetchSettings()
        self._sleep = sleep
        self._hosts: dict[str, _Host] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self._lock = threading.Lock()
        self._client = httpx.Client(
            headers={"User-Agent": self.settings.user_agent},
            timeout=httpx.Timeout(self.settings.timeout),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public -----------------------------------------------------------------
    def get(self, url: str, *, headers: dict[str, str] | None = None,
            delay: float | None = None, robots: bool = False) -> Response:
        """GET ``url`` politely; raises ``FetchError`` (one line) when it cannot."""
        check_url(url)
        if robots and self.settings.robots and not self.allowed(url):
            raise RobotsRefused(f"{url}: disallowed by robots.txt")
        wait = self.settings.delay if delay is None else delay
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._follow(url, headers or {}, wait)
            except FetchError as exc:
                if exc.status is None and attempt <= self.settings.retries and \
                        not isinstance(exc, _Final):
                    self._sleep(self._backoff(attempt))
                    continue
                raise FetchError(str(exc), exc.status) from None
            if response.status in RETRY_STATUSES and attempt <= self.settings.retries:
                self._sleep(self._retry_wait(response, attempt))
                continue
            response.attempts = attempt
            if response.status >= 400:
                raise FetchError(f"{url}: HTTP {response.status}"
                                 + (f" after {attempt} attempts" if attempt > 1 else ""),
                                 response.status)
            return response

    def allowed(self, url: str) -> bool:
        """Whether robots.txt of ``url``'s host lets this tool fetch it (cached per host)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            known = origin in self._robots
        if not known:
            parser: urllib.robotparser.RobotFileParser | None = \
                urllib.robotparser.RobotFileParser()
            try:
                response = self._follow(origin + "/robots.txt", {}, self.settings.delay)
            except FetchError:
                parser = None  # unreachable: assume nothing is allowed (RFC 9309)
            else:
                if response.status >= 500:
                    parser = None
                elif response.status >= 400:
                    parser.allow_all = True
                else:
                    parser.parse(response.content.decode("utf-8", "replace").splitlines())
            with self._lock:
                self._robots[origin] = parser
        parser = self._robots[origin]
        return parser is not None and parser.can_fetch(ROBOTS_AGENT, url)

    # -- internals --------------------------------------------------------------
    def _follow(self, url: str, headers: dict[str, str], wait: float) -> Response:
        redirects: list[str] = []
        started = time.monotonic()
        while True:
            response = self._once(url, headers, wait, started)
            if response.status not in REDIRECT_STATUSES:
                response.redirects = redirects
                return response
            location = response.headers.get("location")
            if not location:
                raise _Final(f"{url}: HTTP {response.status} redirect without a Location")
            target = urljoin(url, location)
            scheme, old = urlsplit(target).scheme.lower(), urlsplit(url).scheme.lower()
            if scheme not in SCHEMES or (old == "https" and scheme == "http"):
                raise _Final(f"{url}: redirect to {target!r} refused (only http to https"
                             " or within the same scheme)")
            redirects.append(target)
            if len(redirects) > self.settings.max_redirects:
                raise _Final(f"{redirects[0] if redirects else url}: too many redirects"
                             f" (over {self.settings.max_redirects})")
            url = target

    def _once(self, url: str, headers: dict[str, str], wait: float, started: float
              ) -> Response:
        host = self._host(urlsplit(url).netloc.lower())
        limit = self.settings.max_bytes
        with host.slots:
            with host.lock:
                now = time.monotonic()
                if host.next_start > now:
                    self._sleep(host.next_start - now)
                host.next_start = max(now, host.next_start) + wait
            begin = time.monotonic()
            deadline = begin + self.settings.timeout
            try:
                with self._client.stream("GET", url, headers=headers) as stream:
                    length = stream.headers.get("content-length", "")
                    if length.isdigit() and int(length) > limit:
                        raise _Final(f"{url}: response too large ({describe_size(int(length))},"
                                     f" over the {describe_size(limit)} limit)")
                    chunks, size = [], 0
                    for chunk in stream.iter_bytes(64 * 1024):
                        size += len(chunk)
                        if size > limit:
                            raise _Final(f"{url}: response too large (over the"
                                         f" {describe_size(limit)} limit)")
                        if time.monotonic() > deadline:
                            raise FetchError(f"{url}: timed out after"
                                             f" {self.settings.timeout:g} s")
                        chunks.append(chunk)
                    return Response(
                        url=url, status=stream.status_code,
                        headers={k.lower(): v for k, v in stream.headers.items()},
                        content=b"".join(chunks),
                        elapsed_ms=int((time.monotonic() - started) * 1000),
                    )
            except httpx.TimeoutException:
                raise FetchError(f"{url}: timed out after {self.settings.timeout:g} s"
                                 ) from None
            except httpx.DecodingError as exc:
                raise _Final(f"{url}: broken content encoding ({exc})") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"{url}: {type(exc).__name__}: {exc}") from None

    def _host(self, netloc: str) -> _Host:
        with self._lock:
            if netloc not in self._hosts:
                self._hosts[netloc] = _Host(self.settings.per_host)
            return self._hosts[netloc]

    def _backoff(self, attempt: int) -> float:
        base = self.settings.backoff * 2 ** (attempt - 1)
        return min(base * random.uniform(0.5, 1.5), self.settings.retry_after_cap)

    def _retry_wait(self, response: Response, attempt: int) -> float:
        after = retry_after(response.headers.get("retry-after"))
        if after is None:
            return self._backoff(attempt)
        return min(after, self.settings.retry_after_cap)


class _Final(FetchError):
    """A failure that retrying cannot fix (bad redirect, too large)."""


def retry_after(value: str | None) -> float | None:
    """Seconds in a ``Retry-After`` header (a number or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def check_url(url: str) -> None:
    """Refuse anything but an absolute http(s) URL, with a one-line reason."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES or not parts.netloc:
        raise FetchError(f"{url}: not an http or https URL")
