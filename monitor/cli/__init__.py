"""The ``monitor`` command: a thin layer that parses options, calls the Python API, prints.

Each stage's commands live in their own module here; heavy libraries are imported inside
the commands so that ``monitor --help`` and no-op runs start fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..store import Database, default_db_path


class Context:
    """What every command needs: where the database is, opened on first use."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._db: Database | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(self.db_path)
        return self._db


pass_context = click.make_pass_decorator(Context)


def fail(message: str) -> None:
    """Print a one-line error to stderr (the run goes on; the caller sets the exit code)."""
    click.echo(f"error: {message}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    envvar="MONITOR_DB",
    help="Database file [env MONITOR_DB; default db/monitor.db].",
)
@click.version_option(package_name="rhetoric-monitor")
@click.pass_context
def main(ctx: click.Context, db_path: Path | None) -> None:
    """rhetoric-monitor: count the words governments and media choose, and chart them."""
    ctx.obj = Context(db_path or default_db_path())
    ctx.call_on_close(lambda: ctx.obj._db.close() if ctx.obj._db else None)


def run() -> None:
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)


from . import analysis, demo, ingest, lexicon, store_commands, tally, trends  # noqa: E402,F401,I001  (register commands)
