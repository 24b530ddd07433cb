"""The ``[[sources]]`` and ``[fetch]`` tables of ``monitor.toml``: what to watch, and how.

Validated on load with errors naming the file, the entry and the fix, e.g.
``monitor.toml: sources[2].kind: 'rss' is not one of feed, page, sitemap, folder``.
The ``[report]`` table is read by :mod:`monitor.report.config`, ``[schedule]`` by
:mod:`monitor.schedule.config`; each reader ignores the others' tables.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .http import FetchSettings

KINDS = ("feed", "page", "sitemap", "folder")
DEFAULT_EVERY = 6 * 3600.0
_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
SOURCE_KEYS = {"name", "kind", "url", "urls", "path", "language", "collection",
               "fetch_article", "every", "enabled", "max_pages"}
FETCH_KEYS = {"contact", "timeout", "max_size", "retries", "backoff", "retry_after_cap",
              "delay", "article_delay", "per_host", "max_redirects", "robots",
              "keep_fetches_days"}


class SourceConfigError(ValueError):
    """A ``[[sources]]``/``[fetch]`` entry that cannot be used; the message says the fix."""


@dataclass
class SourceSpec:
    """One ``[[sources]]`` entry. ``urls`` for feed/page/sitemap, ``path`` for folder."""

    name: str
    kind: str
    urls: list[str] = field(default_factory=list)
    path: Path | None = None
    language: str | None = None
    collection: list[str] = field(default_factory=list)
    fetch_article: bool = False
    every: float = DEFAULT_EVERY
    enabled: bool = True
    max_pages: int = 100

    @property
    def location(self) -> str:
        return str(self.path) if self.path is not None else " ".join(self.urls)


@dataclass
class SourcesConfig:
    path: Path | None = None
    sources: list[SourceSpec] = field(default_factory=list)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    keep_fetches_days: int = 90

    def get(self, name: str) -> SourceSpec:
        for spec in self.sources:
            if spec.name == name:
                return spec
        known = ", ".join(s.name for s in self.sources) or "none configured"
        raise SourceConfigError(f"unknown source {name!r}; configured: {known}")


def config_path(path: str | os.PathLike[str] | None = None) -> Path:
    """``path``, else ``$MONITOR_CONFIG``, else ``./monitor.toml`` (which may not exist)."""
    return Path(path or os.environ.get("MONITOR_CONFIG") or "monitor.toml")


def load_sources(path: str | os.PathLike[str] | None = None) -> SourcesConfig:
    """The sources of the config file; none (and default settings) if there is no file."""
    found = config_path(path)
    if not found.is_file():
        if path is not None or os.environ.get("MONITOR_CONFIG"):
            raise SourceConfigError(f"{found}: config file not found")
        return SourcesConfig()
    try:
        data = tomllib.loads(found.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourceConfigError(f"{found}: not valid TOML: {exc}") from None
    return parse_sources(data, where=str(found), base=found.parent, path=found)


def parse_sources(data: dict[str, Any], where: str = "monitor.toml", base: Path | None = None,
                  path: Path | None = None) -> SourcesConfig:
    """Validate the ``sources`` and ``fetch`` tables of a parsed TOML document."""
    base = base or Path(".")
    config = SourcesConfig(path=path)
    entries = data.get("sources", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise SourceConfigError(f"{where}: sources: write each source as a [[sources]] table")
    seen: set[str] = set()
    for i, entry in enumerate(entries, 1):
        spec = parse_source(entry, f"{where}: sources[{i}]", base)
        if spec.name in seen:
            raise SourceConfigError(f"{where}: sources[{i}].name: {spec.name!r} is used twice")
        seen.add(spec.name)
        config.sources.append(spec)
    fetch = data.get("fetch", {})
    if not isinstance(fetch, dict):
        raise SourceConfigError(f"{where}: fetch: expected a [fetch] table")
    _keys(f"{where}: fetch", fetch, FETCH_KEYS)
    settings = config.fetch
    for key in ("timeout", "backoff", "retry_after_cap", "delay", "article_delay"):
        if key in fetch:
            setattr(settings, key, _number(f"{where}: fetch.{key}", fetch[key]))
    for key in ("retries", "per_host", "max_redirects"):
        if key in fetch:
            setattr(settings, key, _integer(f"{where}: fetch.{key}", fetch[key],
                                            1 if key == "per_host" else 0))
    if "keep_fetches_days" in fetch:
        config.keep_fetches_days = _integer(f"{where}: fetch.keep_fetches_days",
                                            fetch["keep_fetches_days"], 1)
    if "max_size" in fetch:
        settings.max_bytes = _size(f"{where}: fetch.max_size", fetch["max_size"])
    if "contact" in fetch:
        contact = fetch["contact"]
        if not isinstance(contact, str) or not contact.strip() or any(c in contact
                                                                        for c in "()\r\n"):
            raise SourceConfigError(f"{where}: fetch.contact: give a URL or e-mail address"
                                    " where site owners can reach you")
        settings.contact = contact.strip()
    if "robots" in fetch:
        settings.robots = _flag(f"{where}: fetch.robots", fetch["robots"])
    return config


def parse_source(entry: dict[str, Any], where: str, base: Path) -> SourceSpec:
    """One ``[[sources]]`` table; ``where`` prefixes every error."""
    _keys(where, entry, SOURCE_KEYS)
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise SourceConfigError(f"{where}.name: {name!r}: give a name of letters, digits,"
                                " _ . - (e.g. name = \"xinhua_en\")")
    kind = entry.get("kind", "feed")
    if kind not in KINDS:
        raise SourceConfigError(f"{where}.kind: {kind!r} is not one of {', '.join(KINDS)}")
    spec = SourceSpec(name=name, kind=kind)
    urls = entry.get("urls", [])
    if isinstance(urls, str) or not isinstance(urls, list) or \
            not all(isinstance(u, str) for u in urls):
        raise SourceConfigError(f"{where}.urls: write a list of URLs: urls = [\"https://...\"]")
    if "url" in entry:
        if not isinstance(entry["url"], str):
            raise SourceConfigError(f"{where}.url: must be a URL (a string)")
        urls = [entry["url"], *urls]
    for url in urls:
        if not re.match(r"^https?://[^/\s]+", url, re.IGNORECASE):
            raise SourceConfigError(f"{where}.url: {url!r} is not an http or https URL")
    spec.urls = list(dict.fromkeys(urls))
    if kind == "folder":
        value = entry.get("path")
        if not isinstance(value, str) or not value:
            raise SourceConfigError(f"{where}.path: a folder source needs path = \"...\"")
        spec.path = Path(value) if Path(value).is_absolute() else base / value
        if spec.urls:
            raise SourceConfigError(f"{where}.url: a folder source reads path, not URLs")
    else:
        if "path" in entry:
            raise SourceConfigError(f"{where}.path: only folder sources have a path")
        if not spec.urls:
            raise SourceConfigError(f"{where}.url: a {kind} source needs url = \"https://...\""
                                    " (or urls = [...])")
    language = entry.get("language")
    if language is not None and (not isinstance(language, str) or
                                 not re.match(r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$", language)):
        raise SourceConfigError(f"{where}.language: {language!r}: give a language code such"
                                " as \"en\" or \"zh\"")
    spec.language = language.split("-")[0] if language else None
    collection = entry.get("collection", [])
    if isinstance(collection, str):
        collection = [collection]
    if not isinstance(collection, list) or not all(isinstance(c, str) and c
                                                   for c in collection):
        raise SourceConfigError(f"{where}.collection: write a list of tags, e.g."
                                " [\"china-state-media\"]")
    spec.collection = collection
    spec.fetch_article = _flag(f"{where}.fetch_article", entry.get("fetch_article", False))
    if spec.fetch_article and kind != "feed":
        raise SourceConfigError(f"{where}.fetch_article: only feed sources have entries"
                                " whose pages can be fetched")
    spec.enabled = _flag(f"{where}.enabled", entry.get("enabled", True))
    if "every" in entry:
        spec.every = parse_duration(entry["every"], f"{where}.every")
    if "max_pages" in entry:
        spec.max_pages = _integer(f"{where}.max_pages", entry["max_pages"], 1)
    return spec


def parse_duration(value: Any, where: str = "duration") -> float:
    """Seconds in ``"90s"``, ``"30m"``, ``"1h"``, ``"6h"``, ``"1d"`` (a bare number: seconds)."""
    match = _DURATION_RE.match(str(value)) if isinstance(value, (str, int, float)) \
        and not isinstance(value, bool) else None
    seconds = float(match.group(1)) * _UNITS[(match.group(2) or "s").lower()] if match else 0
    if seconds <= 0:
        raise SourceConfigError(f"{where}: {value!r} is not a duration such as \"30m\","
                                " \"1h\" or \"1d\"")
    return seconds


def format_duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _keys(where: str, table: dict[str, Any], allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            raise SourceConfigError(f"{where}.{key}: unknown key; expected one of "
                                    + ", ".join(sorted(allowed)))


def _flag(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SourceConfigError(f"{where}: {value!r} is not true or false")
    return value


def _number(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise SourceConfigError(f"{where}: {value!r} is not a number of seconds >= 0")
    return float(value)


def _integer(where: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SourceConfigError(f"{where}: {value!r} is not a whole number >= {minimum}")
    return value


def _size(where: str, value: Any) -> int:
    match = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|K|MB|M|GB|G)?\s*$", str(value), re.I)
    if not match or isinstance(value, bool):
        raise SourceConfigError(f"{where}: {value!r} is not a size such as \"20MB\"")
    unit = (match.group(2) or "B").upper().rstrip("B") or "B"
    size = int(float(match.group(1)) * {"B": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[unit])
    if size <= 0:
        raise SourceConfigError(f"{where}: {value!r} must be positive")
    return size


def add_source(entry: dict[str, Any], path: str | os.PathLike[str] | None = None) -> Path:
    """Append a ``[[sources]]`` table to the config file (comments and layout kept)."""
    import tomlkit

    found = config_path(path)
    text = found.read_text(encoding="utf-8") if found.is_file() else ""
    document = tomlkit.parse(text)
    existing = load_sources(found).sources if text else []
    if any(spec.name == entry.get("name") for spec in existing):
        raise SourceConfigError(f"{found}: a source named {entry.get('name')!r} already exists")
    parse_source(entry, f"{found}: new source", found.parent)
    if "sources" not in document:
        document["sources"] = tomlkit.aot()
    document["sources"].append(tomlkit.item(entry))
    found.parent.mkdir(parents=True, exist_ok=True)
    found.write_text(tomlkit.dumps(document), encoding="utf-8")
    return found


def remove_source(name: str, path: str | os.PathLike[str] | None = None) -> Path:
    """Delete the ``[[sources]]`` table named ``name`` from the config file."""
    import tomlkit

    found = config_path(path)
    if not found.is_file():
        raise SourceConfigError(f"{found}: config file not found")
    document = tomlkit.parse(found.read_text(encoding="utf-8"))
    tables = document.get("sources", [])
    for i, table in enumerate(tables):
        if table.get("name") == name:
            del tables[i]
            if not len(tables):
                del document["sources"]
            found.write_text(tomlkit.dumps(document), encoding="utf-8")
            return found
    raise SourceConfigError(f"{found}: no source named {name!r}")
