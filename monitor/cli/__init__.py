"""The ``monitor`` command: a thin layer that parses options, calls the Python API, prints.

Each stage's commands live in their own module here; heavy libraries are imported inside
the commands so that ``monitor --help`` and no-op runs start fast.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import sys
import threading
from pathlib import Path

import click

from ..store import Database, StoreError, default_db_path, describe
from ..workers import WorkerLost


class Context:
    """What every command needs: where the database is, opened on first use."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._db: Database | None = None

    @property
    def db(self) -> Database:
        """The database, created if missing (for commands that write: ingest, tally, demo)."""
        if self._db is None:
            self._db = Database(self.db_path, notify=note)
        return self._db

    @property
    def read_db(self) -> Database:
        """The database of a command that only reads: a missing file is an error (exit 2),
        not a new empty database that answers every question with nothing."""
        if self._db is None and str(self.db_path) != ":memory:" and not self.db_path.exists():
            fail(f"no database at {self.db_path}: run monitor ingest (or monitor demo) first,"
                 " or pass --db FILE")
            sys.exit(2)
        return self.db


pass_context = click.make_pass_decorator(Context)


def fail(message: str) -> None:
    """Print a one-line error to stderr (the run goes on; the caller sets the exit code)."""
    message = message.encode("utf-8", "backslashreplace").decode("utf-8")  # lone surrogates
    click.echo(f"error: {message}", err=True)


def note(message: str) -> None:
    click.echo(f"note: {message}", err=True)


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: runs end as ``aborted``, the exit code is 143."""


_command_over = False  # set as a command ends: a signal then only cuts the closing short


def _terminate(signum: int, frame: object) -> None:
    if not _command_over:
        raise Terminated()


def _interrupt(signum: int, frame: object) -> None:
    if not _command_over:
        raise KeyboardInterrupt()


def _close_db(ctx: click.Context) -> None:
    if isinstance(ctx.obj, Context) and ctx.obj._db is not None:
        ctx.obj._db.close()


class MonitorGroup(click.Group):
    """The top-level group: ``--db`` may come after the command name too
    (``monitor trend x --db FILE``), and a closed output pipe (``| head -1``) ends the
    command quietly with exit 0. Store failures the user can act on (a locked,
    read-only, full, damaged or foreign database) end any command with one line and
    exit 2, never a traceback; Ctrl-C and SIGTERM with one line and exit 130 and 143."""

    GLOBAL = ("--db",)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        front, rest, i = [], [], 0
        while i < len(args):
            arg = args[i]
            if arg == "--":
                rest += args[i:]
                break
            name = arg.split("=", 1)[0]
            if name in self.GLOBAL and rest:  # after the command name
                if "=" in arg:
                    front.append(arg)
                elif i + 1 < len(args):
                    front += [arg, args[i + 1]]
                    i += 1
                else:
                    rest.append(arg)
            else:
                rest.append(arg)
            i += 1
        return super().parse_args(ctx, front + rest)

    def invoke(self, ctx: click.Context) -> object:
        global _command_over
        if threading.current_thread() is not threading.main_thread():  # no signals here
            try:
                return self._invoke_command(ctx)
            finally:
                _close_db(ctx)
        _command_over = False
        handlers = (signal.signal(signal.SIGTERM, _terminate),
                    signal.signal(signal.SIGINT, _interrupt))
        try:
            return self._invoke_command(ctx)
        finally:
            # the command is over, its work stored or rolled back: a signal now would only
            # cut the closing short (a WAL checkpoint) and reach click as "Aborted!"
            _command_over = True
            try:
                _close_db(ctx)
            finally:
                if not _AS_PROGRAM:  # called in-process (tests, scripts)
                    signal.signal(signal.SIGTERM, handlers[0])
                    signal.signal(signal.SIGINT, handlers[1])
                    _command_over = False

    def _invoke_command(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM: one line, 130 or 143
            terminated = isinstance(exc, Terminated)
            fail("terminated (SIGTERM)" if terminated else "interrupted (Ctrl-C)")
            code = 143 if terminated else 130
            obj = ctx.obj if isinstance(ctx.obj, Context) else None
            if obj is not None and obj._db is not None and not obj._db.readonly:
                obj._db.abort_own_runs("aborted: interrupted")  # one not ended by its command
            if multiprocessing.active_children():  # a pool's teardown at exit could hang
                for process in multiprocessing.active_children():
                    process.kill()
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
            ctx.exit(code)
        except WorkerLost as exc:  # the run that lost it is already marked failed
            fail(str(exc))
            ctx.exit(1)
        except BrokenPipeError:
            # the reader stopped reading (head, less): not an error; keep Python quiet too
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(0)
        except (StoreError, sqlite3.Error, OSError) as exc:
            obj = ctx.obj if isinstance(ctx.obj, Context) else None
            message = describe(exc, obj.db_path if obj else default_db_path())
            if message is None:
                raise
            fail(message)
            ctx.exit(2)


@click.group(cls=MonitorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    envvar="MONITOR_DB",
    help="Database file [env MONITOR_DB; default db/monitor.db].",
)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=lambda ctx, _param, value: _print_version(ctx, value),
              help="Show the version, and whether the C extension is built, and exit.")
@click.pass_context
def main(ctx: click.Context, db_path: Path | None) -> None:
    """rhetoric-monitor: count the words governments and media choose, and chart them."""
    if os.environ.get("MONITOR_LEXICONS"):
        from ..lexicon import missing_lexicon_folders

        for folder in missing_lexicon_folders():
            click.echo(f"warning: MONITOR_LEXICONS folder {folder} does not exist (ignored)",
                       err=True)
    ctx.obj = Context(db_path or default_db_path())


def _print_version(ctx: click.Context, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import version

    from ..text import NATIVE_STATE

    click.echo(f"rhetoric-monitor {version('rhetoric-monitor')} (C extension: {NATIVE_STATE})")
    ctx.exit()


_AS_PROGRAM = False  # run() sets it: signals stay harmless once the command is over


def run() -> None:
    global _AS_PROGRAM
    _AS_PROGRAM = True
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
    finally:
        # the command is over (and said so): a SIGTERM or Ctrl-C while the interpreter exits,
        # which resets Python's handlers, would kill it without a word; ignored, the exit code
        # stays the command's
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGINT, signal.SIG_IGN)


from . import analysis, demo, ingest, lexicon, live, pipeline, serve, store_commands, tally, trends  # noqa: E402,F401,I001  (register commands)
from . import backfill  # noqa: E402,F401,I001  (register the command)
