"""``monitor.toml``: what goes in a report. Validated on load, with errors that say the fix.

Found at ``--config PATH``, else ``$MONITOR_CONFIG``, else ``./monitor.toml``; with none,
:func:`load_config` returns the defaults (and the report draws two charts per lexicon:
share and per10k).
Only the ``[report]`` table is read here; other tables are left to other commands.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from ..trends import BUCKETS, MEASURES
from ..trends.filters import parse_where

KINDS = ("line", "bars", "stacked")
COMPARE = ("per10k", "share")


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file, the key and the fix."""


@dataclass
class ChartSpec:
    """One ``[[report.charts]]`` table. ``bucket`` None = the report period's kind."""

    series: list[str]
    title: str | None = None
    measure: str = "share"
    bucket: str | None = None
    span: int | None = None
    kind: str = "line"
    by_source: bool = False
    sources: list[str] = field(default_factory=list)
    lexicon: str | None = None
    smooth: int = 1
    center: bool = False
    ratio: list[str] | None = None
    events: Path | None = None
    where: list[str] = field(default_factory=list)  # document filters, e.g. ["country=CHN"]
    by: str | None = None  # a document field: one panel per value
    label: dict[str, str] = field(default_factory=dict)  # series name -> legend label


@dataclass
class Config:
    """The ``[report]`` table; ``charts`` empty = two default charts per lexicon (share, per10k)."""

    path: Path | None = None
    period: str = "week"
    baseline: int = 8
    top: int = 15
    compare: str = "per10k"
    min_count: int = 3
    sources: list[str] = field(default_factory=list)
    events: Path | None = None
    charts: list[ChartSpec] = field(default_factory=list)
    kwic: int = 3  # series shown in context (alerts, then risers, then top terms)
    kwic_lines: int = 5  # lines of each, from as many documents drawn at random


def find_config(path: str | os.PathLike[str] | None = None) -> Path | None:
    """The config file to use, or None for defaults. A named file must exist."""
    for candidate, why in ((path, "--config"), (os.environ.get("MONITOR_CONFIG"),
                                                  "$MONITOR_CONFIG")):
        if candidate:
            candidate = Path(candidate)
            if not candidate.is_file():
                raise ConfigError(f"{candidate}: config file not found (from {why})")
            return candidate
    local = Path("monitor.toml")
    return local if local.is_file() else None


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Load and validate the report config; defaults when there is no file."""
    found = find_config(path)
    if found is None:
        return Config()
    try:
        data = tomllib.loads(found.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{found}: not valid TOML: {exc}") from None
    return parse_config(data, where=str(found), base=found.parent, path=found)


def parse_config(data: dict[str, Any], where: str = "monitor.toml", base: Path | None = None,
                 path: Path | None = None) -> Config:
    """Validate a parsed TOML document (only its ``report`` table)."""
    report = data.get("report", {})
    check = _Checker(where, base or Path("."))
    if not isinstance(report, dict):
        raise ConfigError(f"{where}: report: expected a [report] table")
    check.keys("report", report, {f.name for f in Config.__dataclass_fields__.values()}
               - {"path"})
    config = Config(path=path)
    config.period = check.choice("report.period", report, config.period, BUCKETS)
    config.baseline = check.integer("report.baseline", report, config.baseline, 1)
    config.top = check.integer("report.top", report, config.top, 1)
    config.compare = check.choice("report.compare", report, config.compare, COMPARE)
    config.min_count = check.integer("report.min_count", report, config.min_count, 0)
    config.sources = check.strings("report.sources", report, [])
    config.events = check.file("report.events", report)
    config.kwic = check.integer("report.kwic", report, config.kwic, 0)
    config.kwic_lines = check.integer("report.kwic_lines", report, config.kwic_lines, 1)
    charts = report.get("charts", [])
    if not isinstance(charts, list) or not all(isinstance(c, dict) for c in charts):
        raise ConfigError(f"{where}: report.charts: write each chart as a [[report.charts]] table")
    for i, table in enumerate(charts, 1):
        config.charts.append(_chart(check, f"report.charts[{i}]", table))
    return config


def _chart(check: _Checker, key: str, table: dict[str, Any]) -> ChartSpec:
    check.keys(key, table, set(ChartSpec.__dataclass_fields__))
    spec = ChartSpec(series=check.strings(f"{key}.series", table, []))
    spec.ratio = check.strings(f"{key}.ratio", table, []) or None
    if spec.ratio is not None and len(spec.ratio) != 2:
        raise check.error(f"{key}.ratio", "give two series, e.g. ratio = [\"a\", \"b\"]")
    if not spec.series and not spec.ratio:
        raise check.error(f"{key}.series", "missing: list the series to chart, e.g."
                          " series = [\"hard_power\", \"soft_power\"]")
    title = table.get("title")
    if title is not None and not isinstance(title, str):
        raise check.error(f"{key}.title", "must be a string")
    spec.title = title
    spec.measure = check.choice(f"{key}.measure", table, spec.measure, MEASURES)
    spec.bucket = check.choice(f"{key}.bucket", table, None, BUCKETS)
    spec.span = check.integer(f"{key}.span", table, None, 1)
    spec.kind = check.choice(f"{key}.kind", table, spec.kind, KINDS)
    spec.smooth = check.integer(f"{key}.smooth", table, 1, 1)
    for flag in ("by_source", "center"):
        value = table.get(flag, False)
        if not isinstance(value, bool):
            raise check.error(f"{key}.{flag}", f"{value!r} is not true or false")
        setattr(spec, flag, value)
    spec.sources = check.strings(f"{key}.sources", table, [])
    lexicon = table.get("lexicon")
    if lexicon is not None and not isinstance(lexicon, str):
        raise check.error(f"{key}.lexicon", "must be a lexicon name (a string)")
    spec.lexicon = lexicon
    spec.events = check.file(f"{key}.events", table)
    spec.where = check.strings(f"{key}.where", table, [])
    for i, item in enumerate(spec.where, 1):
        try:
            parse_where(item)
        except ValueError as exc:
            raise check.error(f"{key}.where[{i}]", str(exc)) from None
    by = table.get("by")
    if by is not None and not isinstance(by, str):
        raise check.error(f"{key}.by", "must be a document field name (a string)")
    spec.by = by
    labels = table.get("label", {})
    if not isinstance(labels, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
        raise check.error(f"{key}.label", "must be a table of series = \"legend label\"")
    spec.label = dict(labels)
    return spec


class _Checker:
    def __init__(self, where: str, base: Path) -> None:
        self.where, self.base = where, base

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.where}: {key}: {message}")

    def keys(self, key: str, table: dict[str, Any], allowed: set[str]) -> None:
        for name in table:
            if name not in allowed:
                raise self.error(f"{key}.{name}", "unknown key; expected one of "
                                 + ", ".join(sorted(allowed)))

    def choice(self, key: str, table: dict, default: Any, options: tuple[str, ...]) -> Any:
        value = table.get(key.rsplit(".", 1)[-1], default)
        if value is not default and value not in options:
            raise self.error(key, f"{value!r} is not one of {', '.join(options)}")
        return value

    def integer(self, key: str, table: dict, default: Any, minimum: int) -> Any:
        value = table.get(key.rsplit(".", 1)[-1], default)
        if value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(key, f"{value!r} is not a whole number >= {minimum}")
        return value

    def strings(self, key: str, table: dict, default: list[str]) -> list[str]:
        value = table.get(key.rsplit(".", 1)[-1], default)
        if isinstance(value, str):
            raise self.error(key, f"write a list: [{value!r}]")
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(key, f"{value!r} is not a list of names")
        return list(value)

    def file(self, key: str, table: dict) -> Path | None:
        value = table.get(key.rsplit(".", 1)[-1])
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.error(key, "must be a file path (a string)")
        path = Path(value) if Path(value).is_absolute() else self.base / value
        if not path.is_file():
            raise self.error(key, f"file {str(path)!r} not found (relative paths start at"
                             " the config file's folder)")
        return path
