"""Unattended commands: ``run`` (for cron), ``cron`` (its crontab line), ``schedule``."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

import click

from . import Context, fail, main, pass_context
from .live import CONFIG_OPTION


def monitor_command() -> list[str]:
    """How to start this very ``monitor`` from cron or systemd (absolute paths)."""
    beside = Path(sys.executable).with_name("monitor")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("monitor")
    return [str(Path(found).resolve())] if found else [sys.executable, "-m", "monitor"]


def config_for(config: Path | None) -> Path:
    from ..sources.config import config_path

    return config_path(config).resolve()


@main.command()
@click.option("--wait", type=float, default=None,
              help="Seconds to wait for another run's lock [default: schedule.lock_wait, 60].")
@click.option("--all-sources", is_flag=True, help="Fetch every source, due or not.")
@click.option("--verbose", "-v", is_flag=True, help="Say what was done even when all is well.")
@CONFIG_OPTION
@pass_context
def run(obj: Context, wait: float | None, all_sources: bool, verbose: bool,
        config: Path | None) -> None:
    """Fetch due sources, tally, write due reports. Quiet unless something failed.

    Exit 0 all ok, 1 some source or report failed (one line each on stderr), 2 could not
    run (bad config, or another run held the lock too long).

    Example: monitor run
    """
    from ..report.config import ConfigError
    from ..schedule.lock import LockBusy
    from ..schedule.pipeline import EXIT_CANNOT_RUN, run_pipeline
    from ..sources.config import SourceConfigError

    try:
        result = run_pipeline(obj.db_path, config=config, due_only=not all_sources,
                              wait=wait, on_error=fail)
    except (LockBusy, SourceConfigError, ConfigError) as exc:
        fail(str(exc))
        sys.exit(EXIT_CANNOT_RUN)
    if verbose:
        for source in result.fetch.results if result.fetch else []:
            click.echo(source.summary())
        for name, scanned in result.tallied.items():
            click.echo(f"tally {name}: scanned {scanned} documents")
        for path in result.reports:
            click.echo(f"report: {path}")
    sys.exit(result.exit_code)


@main.command()
@click.option("--every", default="0 * * * *", show_default=True,
              help="The crontab schedule.")
@click.option("--log", "log", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Append stderr to this file [default: cron mails it].")
@CONFIG_OPTION
@pass_context
def cron(obj: Context, every: str, log: Path | None, config: Path | None) -> None:
    """Print a crontab line that runs ``monitor run`` with the current paths.

    Example: monitor cron >> mycrontab && crontab mycrontab
    """
    parts = [*monitor_command(), "--db", str(obj.db_path.resolve()), "run", "--config",
             str(config_for(config))]
    line = f"{every} cd {shlex.quote(str(Path.cwd()))} && {shlex.join(parts)}"
    if log is not None:
        line += f" 2>> {shlex.quote(str(log.resolve()))}"
    click.echo(line)


@main.command()
@click.option("--print-systemd", is_flag=True, help="Print a systemd unit file and exit.")
@click.option("--user", default=None, help="With --print-systemd: the User= to run as.")
@CONFIG_OPTION
@pass_context
def schedule(obj: Context, print_systemd: bool, user: str | None, config: Path | None) -> None:
    """Run the scheduler daemon: the [schedule] jobs of monitor.toml, until SIGTERM/SIGINT.

    Example: monitor schedule --print-systemd > ~/.config/systemd/user/monitor.service
    """
    from ..report.config import ConfigError
    from ..schedule.daemon import run_scheduler, systemd_unit
    from ..sources.config import SourceConfigError

    if print_systemd:
        command = [*monitor_command(), "--db", str(obj.db_path.resolve()), "schedule",
                   "--config", str(config_for(config))]
        click.echo(systemd_unit(command, Path.cwd(), user), nl=False)
        return
    try:
        code = run_scheduler(obj.db_path, config)
    except (SourceConfigError, ConfigError) as exc:
        fail(str(exc))
        sys.exit(2)
    sys.exit(code)
