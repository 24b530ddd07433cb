"""What every page shares: the config, read-only database work off the event loop, errors."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from datasette.utils import sqlite_timelimit
from datasette.utils.asgi import Response

from ..store import Database
from .app import NAME, ServeError, WebConfig, check_database

T = TypeVar("T")


def web_config(datasette) -> WebConfig:
    """The config ``make_datasette`` wrote; under plain ``datasette db.db`` (the plugin's
    entry point), the first database served that is a current monitor database."""
    data = datasette.plugin_config(NAME)
    if data:
        return WebConfig.from_plugin_config(data)
    found = getattr(datasette, "_monitor_config", None)
    if found is None:
        for database in datasette.databases.values():
            if database.path and not database.is_memory:
                try:
                    check_database(Path(database.path))
                except ServeError:
                    continue
                found = WebConfig(Path(database.path))
                break
        else:
            raise ServeError("no rhetoric-monitor database is served here: run"
                             " monitor --db PATH serve (or datasette PATH)")
        datasette._monitor_config = found
    return found


class TooSlow(RuntimeError):
    """A page's queries ran over the time limit."""


async def read(datasette, fn: Callable[[Database], T]) -> T:
    """Run ``fn(db)`` in Datasette's SQL thread over its read-only connection, time-limited.

    ``db`` is a :class:`Database` over that connection: it was checked when the server
    started and is never migrated or written here (the connection is ``mode=ro``).
    """
    config = web_config(datasette)
    database = datasette.get_database(config.name)

    def work(conn: sqlite3.Connection) -> T:
        db = Database.__new__(Database)
        db.path, db.conn = config.database, conn
        try:
            with sqlite_timelimit(conn, config.time_limit_ms):
                return fn(db)
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                raise TooSlow(f"the query took longer than {config.time_limit_ms / 1000:g} s;"
                              " narrow it (fewer series, a shorter date range)") from None
            raise
        finally:
            if conn.in_transaction:
                conn.rollback()

    return await database.execute_fn(work)


async def page(datasette, request, template: str, context: dict[str, Any],
               status: int = 200) -> Response:
    html = await datasette.render_template(template, context, request=request)
    return Response.html(html, status=status, headers=SECURITY_HEADERS)


SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
