"""Building the Datasette app over one database: settings, metadata, the plugin."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..store.schema import SCHEMA_VERSION
from .metadata import database_metadata

NAME = "rhetoric-monitor"  # the plugin's name, under which its config is kept
TEMPLATES = Path(__file__).with_name("templates")
SETTINGS: dict[str, Any] = {
    "sql_time_limit_ms": 3000,        # any one SQL query on the SQL pages
    "max_returned_rows": 1000,        # rows a query page or JSON call returns
    "facet_time_limit_ms": 500,
    "allow_download": False,          # no download of the whole database file
    "default_cache_ttl": 0,           # the database changes while it is served
    "num_sql_threads": 3,
}
TREND_TIME_LIMIT_MS = 30_000          # one trend, chart or context page


class ServeError(ValueError):
    """The database cannot be served (missing, not ours, older schema)."""


@dataclass
class WebConfig:
    """What the pages need besides the database: the reports folder and events files."""

    database: Path
    reports: Path = Path("reports")
    events: list[Path] = field(default_factory=list)
    time_limit_ms: int = TREND_TIME_LIMIT_MS

    @property
    def name(self) -> str:
        return self.database.stem

    def to_plugin_config(self) -> dict[str, Any]:
        return {"database": self.name, "path": str(self.database),
                "reports": str(self.reports), "events": [str(e) for e in self.events],
                "time_limit_ms": self.time_limit_ms}

    @classmethod
    def from_plugin_config(cls, data: dict[str, Any]) -> WebConfig:
        return cls(Path(data["path"]), Path(data.get("reports") or "reports"),
                   [Path(e) for e in data.get("events") or []],
                   int(data.get("time_limit_ms") or TREND_TIME_LIMIT_MS))


def check_database(path: Path) -> set[str]:
    """The tables and views of ``path``; ServeError if it is no current monitor database."""
    if not path.is_file():
        raise ServeError(f"{path}: no such database (run monitor ingest or monitor demo first)")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            names = {row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise ServeError(f"{path}: not a SQLite database ({exc})") from None
    if "documents" not in names:
        raise ServeError(f"{path}: not a rhetoric-monitor database (no documents table)")
    if version < SCHEMA_VERSION:
        raise ServeError(f"{path}: schema version {version} is older than this tool's "
                         f"({SCHEMA_VERSION}): run 'monitor --db {path} sources' once to "
                         "migrate it, then serve it")
    if version > SCHEMA_VERSION:
        raise ServeError(f"{path}: schema version {version} is newer than this tool "
                         f"({SCHEMA_VERSION}); upgrade rhetoric-monitor")
    return names


def make_datasette(database: str | Path, *, reports: str | Path = "reports",
                   events: list[str | Path] | None = None,
                   settings: dict[str, Any] | None = None,
                   time_limit_ms: int = TREND_TIME_LIMIT_MS) -> Any:
    """A ``datasette.app.Datasette`` serving ``database`` read-only with the plugin.

    ``time_limit_ms`` bounds the SQL of one trend, chart or contexts page (``settings``
    such as ``sql_time_limit_ms`` bound Datasette's own pages).

    Raises ServeError when the file is missing, not a monitor database or of another
    schema version, and ValueError for an events file that does not load.
    """
    from datasette.app import Datasette
    from datasette.plugins import pm

    from ..report import load_events
    from . import plugin

    path = Path(database)
    tables = check_database(path)
    config = WebConfig(path, Path(reports), [Path(e) for e in events or []], time_limit_ms)
    for file in config.events:
        load_events(file)  # fail now, with the file's name, rather than on every page
    if not pm.is_registered(plugin):
        pm.register(plugin, name=NAME)
    metadata = {
        "title": "rhetoric-monitor",
        "databases": {config.name: database_metadata(tables)},
        "plugins": {NAME: config.to_plugin_config()},
    }
    return Datasette(
        files=[str(path)], metadata=metadata, template_dir=str(TEMPLATES),
        settings={**SETTINGS, **(settings or {})}, cors=False,
    )
