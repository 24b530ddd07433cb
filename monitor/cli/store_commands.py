"""Commands about the store itself: ``sources``."""

from __future__ import annotations

import json

import click

from . import Context, main, pass_context


@main.group(invoke_without_command=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
def sources(ctx: click.Context, fmt: str) -> None:
    """List stored sources with document counts and date ranges; or manage live sources.

    Example: monitor sources; monitor sources list (the sources of monitor.toml)
    """
    if ctx.invoked_subcommand is not None:
        return
    obj: Context = ctx.obj
    rows = obj.read_db.sources()
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(f"{'source':<24} {'docs':>7} {'undated':>7}  first .. last")
    for row in rows:
        click.echo(
            f"{row['name']:<24} {row['documents']:>7} {row['undated'] or 0:>7}  "
            f"{row['first'] or '-'} .. {row['last'] or '-'}"
        )


@main.command()
@click.option("--min-size", type=click.IntRange(min=2), default=2, show_default=True,
              help="Smallest cluster to list.")
@click.option("--members", is_flag=True, help="List every document of each cluster.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@pass_context
def duplicates(obj: Context, min_size: int, members: bool, fmt: str) -> None:
    """List clusters of syndicated copies (near-duplicates across sources).

    Documents stored before clustering existed are hashed first.

    Example: monitor duplicates --members
    """
    from ..store.clusters import cluster_pending, list_clusters

    db = obj.read_db
    with db.transaction() as conn:
        hashed = cluster_pending(conn)
    if hashed:
        click.echo(f"note: hashed {hashed} documents stored before clustering", err=True)
    clusters = list_clusters(db.conn, min_size)
    if fmt == "json":
        click.echo(json.dumps(clusters, ensure_ascii=False, indent=2))
        return
    if not clusters:
        click.echo("no clusters of syndicated copies")
        return
    click.echo(f"{'cluster':>8} {'size':>5}  {'first':<10}  sources  /  title")
    for c in clusters:
        click.echo(f"{c['cluster_id']:>8} {c['size']:>5}  {c['first'] or '-':<10}  "
                   f"{', '.join(c['sources'])}  /  {c['title'] or '(untitled)'}")
        if members:
            for m in c["members"]:
                click.echo(f"{'':>16}{m['document_id']:>8}  {m['source']}  "
                           f"{m['published'] or 'undated'}  {m['title'] or ''}  {m['link'] or ''}")
