"""Live-source commands: ``fetch`` and ``sources list|add|remove|check``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import Context, fail, main, pass_context
from .store_commands import sources

CONFIG_OPTION = click.option(
    "--config", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Config file [env MONITOR_CONFIG; default ./monitor.toml].")


def load(config: Path | None):
    from ..sources.config import SourceConfigError, load_sources

    try:
        return load_sources(config)
    except SourceConfigError as exc:
        fail(str(exc))
        sys.exit(2)


@main.command()
@click.option("--source", "names", multiple=True, help="Only this source (repeatable).")
@click.option("--due", is_flag=True, help="Only sources whose next attempt has come.")
@click.option("--wait", type=float, default=60.0, show_default=True,
              help="Seconds to wait for another run's lock.")
@CONFIG_OPTION
@pass_context
def fetch(obj: Context, names: tuple[str, ...], due: bool, wait: float,
          config: Path | None) -> None:
    """Fetch the sources of monitor.toml and store what is new or changed.

    Example: monitor fetch --source xinhua_en
    """
    from ..fetch import fetch_sources
    from ..schedule.lock import LockBusy, pipeline_lock
    from ..sources.config import SourceConfigError

    cfg = load(config)
    if not cfg.sources:
        fail(f"{cfg.path or 'monitor.toml'}: no [[sources]] configured (see monitor sources add)")
        sys.exit(2)
    try:
        with pipeline_lock(obj.db_path, wait=wait):
            report = fetch_sources(obj.db, cfg, names=names or None, due_only=due,
                                   on_error=fail, command="fetch")
    except (SourceConfigError, LockBusy) as exc:
        fail(str(exc))
        sys.exit(2)
    for result in report.results:
        click.echo(result.summary())
    if report.not_due:
        click.echo(f"not due: {', '.join(report.not_due)}")
    sys.exit(0 if report.ok else 1)


@sources.command("list")
@CONFIG_OPTION
@pass_context
def sources_list(obj: Context, config: Path | None) -> None:
    """The configured sources: kind, interval, documents, last success and error, next try.

    Example: monitor sources list
    """
    from ..fetch import FetchStore
    from ..sources.config import format_duration

    cfg = load(config)
    if not cfg.sources:
        click.echo(f"no sources configured in {cfg.path or 'monitor.toml'}")
        return
    store = FetchStore(obj.db)
    click.echo(f"{'source':<20} {'kind':<8} {'every':>5} {'docs':>6}  {'last success':<25} "
               f"{'next attempt':<25} last error")
    for spec in cfg.sources:
        health = store.health(spec.name) or {}
        failing = health.get("failures") or 0
        state = "" if spec.enabled else " (disabled)"
        if failing:
            state += f" (failing x{failing}: {health.get('last_error')})"
        elif health.get("last_error"):
            state += f" (last error {health.get('last_error_at')}: {health['last_error']})"
        click.echo(f"{spec.name:<20} {spec.kind:<8} {format_duration(spec.every):>5} "
                   f"{obj.db.document_count(spec.name):>6}  "
                   f"{health.get('last_success') or 'never':<25} "
                   f"{health.get('next_attempt') or 'now':<25}{state}")


@sources.command("add")
@click.argument("name")
@click.argument("location")
@click.option("--kind", type=click.Choice(["feed", "page", "sitemap", "folder"]),
              default="feed", show_default=True)
@click.option("--every", default=None, help="Interval such as 1h or 30m [default 6h].")
@click.option("--language", default=None, help="Language code of the source, e.g. zh.")
@click.option("--collection", multiple=True, help="A tag such as china-state-media.")
@click.option("--fetch-article", is_flag=True, help="Fetch the page behind each entry.")
@CONFIG_OPTION
def sources_add(name: str, location: str, kind: str, every: str | None,
                language: str | None, collection: tuple[str, ...], fetch_article: bool,
                config: Path | None) -> None:
    """Add a source to monitor.toml (created if missing); LOCATION is a URL or folder.

    Example: monitor sources add xinhua_en http://www.xinhuanet.com/english/rss/chinarss.xml
    """
    from ..sources.config import SourceConfigError, add_source

    entry: dict = {"name": name, "kind": kind}
    entry["path" if kind == "folder" else "url"] = location
    for key, value in (("every", every), ("language", language),
                       ("collection", list(collection)), ("fetch_article", fetch_article)):
        if value:
            entry[key] = value
    try:
        path = add_source(entry, config)
    except SourceConfigError as exc:
        fail(str(exc))
        sys.exit(2)
    click.echo(f"added {name} to {path}")


@sources.command("remove")
@click.argument("name")
@CONFIG_OPTION
def sources_remove(name: str, config: Path | None) -> None:
    """Remove a source from monitor.toml (its stored documents stay).

    Example: monitor sources remove xinhua_en
    """
    from ..sources.config import SourceConfigError, remove_source

    try:
        path = remove_source(name, config)
    except SourceConfigError as exc:
        fail(str(exc))
        sys.exit(2)
    click.echo(f"removed {name} from {path} (its documents stay in the database)")


@sources.command("check")
@click.argument("name")
@click.option("--limit", type=int, default=20, show_default=True, help="Documents to show.")
@CONFIG_OPTION
@pass_context
def sources_check(obj: Context, name: str, limit: int, config: Path | None) -> None:
    """Fetch a source once and print what would be stored; store nothing.

    Example: monitor sources check xinhua_en
    """
    from ..fetch import fetch_sources
    from ..sources.config import SourceConfigError

    cfg = load(config)
    try:
        report = fetch_sources(obj.db, cfg, names=[name], dry_run=True, on_error=fail)
    except SourceConfigError as exc:
        fail(str(exc))
        sys.exit(2)
    result = report.results[0]
    for outcome, doc in result.stored[:limit]:
        words = len(doc.text.split())
        click.echo(f"{outcome:<9} {doc.published or 'undated':<10} {doc.language or '-':<3} "
                   f"{words:>6}w  {doc.title or '(no title)'}  {doc.url or ''}")
    if len(result.stored) > limit:
        click.echo(f"... and {len(result.stored) - limit} more")
    click.echo(f"would store: {result.summary()} (nothing was stored)")
    sys.exit(0 if result.ok else 1)
