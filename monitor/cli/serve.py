"""``monitor serve``: the web view (Datasette with the plugin) over the database."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import Context, fail, main, pass_context


@main.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True,
              help="Port to listen on; 0 picks a free one (the URL printed says which).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 makes it reachable from other machines.")
@click.option("--open", "open_browser", is_flag=True,
              help="Open the trends page in a browser once it listens ($BROWSER chooses).")
@click.option("--reports", type=click.Path(file_okay=False, path_type=Path), default="reports",
              show_default=True, help="The report bundles the Reports page serves.")
@click.option("--events", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Events YAML file the trends form offers (repeat).")
@pass_context
def serve(obj: Context, port: int, host: str, open_browser: bool, reports: Path,
          events: tuple[Path, ...]) -> None:
    """Browse the database in a web browser: trends, contexts, reports, lexicons, SQL.

    Read-only. Example: monitor serve --port 8001 --open
    """
    from ..web import ServeError, check_database
    from ..web import serve as run

    try:
        check_database(obj.db_path)

        def ready(url: str) -> None:
            click.echo(f"serving {obj.db_path} at {url} (Ctrl-C stops)", err=True)

        run(obj.db_path, host=host, port=port, reports=reports, events=list(events),
            open_browser=open_browser, on_ready=ready)
    except (ServeError, ValueError) as exc:
        fail(str(exc))
        sys.exit(2)
    except OSError as exc:
        fail(exc.strerror and f"cannot listen on {host}:{port}: {exc.strerror}" or str(exc))
        sys.exit(1)
