"""``monitor demo``: the whole pipeline on the State of the Union addresses."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import Context, fail, main, pass_context
from .tally import load_lexicons, print_tally, progress_bar


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True, help="Folder for the demo report.")
@click.option("--workers", type=click.IntRange(1), default=None)
@pass_context
def demo(obj: Context, out: Path, workers: int | None) -> None:
    """Run the whole pipeline on the 249 State of the Union addresses (1790-2026).

    Example: monitor demo --db db/demo.db --out reports/
    """
    from ..demo import DemoCorpusMissing, run_demo
    from ..report import ConfigError

    lexicons, failed = load_lexicons(())
    run_id = obj.db.start_run("demo")
    with progress_bar(None, "tally") as bar:
        try:
            result = run_demo(obj.db, out, workers, lexicons, progress=bar.update)
        except (DemoCorpusMissing, ConfigError, ValueError) as exc:
            obj.db.finish_run(run_id, failed=1, message=str(exc))
            fail(str(exc))
            sys.exit(1)
    obj.db.finish_run(run_id, added=result.added, skipped=result.skipped)
    click.echo(f"ingested State of the Union addresses: added {result.added}, "
               f"skipped duplicates {result.skipped}, failed 0")
    print_tally(result.tally, prefix="tally ")
    click.echo(f"report: {result.report / 'index.html'}")
    if failed:
        sys.exit(1)
