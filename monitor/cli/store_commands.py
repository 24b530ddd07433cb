"""Commands about the store itself: ``sources``, ``duplicates``, ``doctor``, ``backup``, ``export``,
``import``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import Context, fail, main, pass_context


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


@main.command()
@click.option("--quick", is_flag=True,
              help="quick_check instead of integrity_check, and no full-text check.")
@click.option("--repair", is_flag=True,
              help="Make the safe repairs: rebuild the full-text index, delete counts that "
                   "belong to nothing, mark dead runs aborted, checkpoint the WAL.")
@pass_context
def doctor(obj: Context, quick: bool, repair: bool) -> None:
    """Check the database and say how to fix each problem; exit 1 if there is one.

    \b
    Checks: integrity and the full-text index, the schema version, counts without a
    tally, counts stale against their lexicon, documents not tallied, runs whose
    process died, the write-ahead log's size and the free disk.

    Example: monitor doctor
    """
    from ..store import StoreError
    from ..store.maintenance import check_file

    if not obj.db_path.exists():
        fail(f"{obj.db_path}: no such database (ingest something first, or give --db)")
        sys.exit(2)
    try:
        db = obj.db
    except StoreError as exc:
        findings = check_file(obj.db_path, str(exc).removeprefix(f"{obj.db_path}: "))
    else:
        findings = _checks(db, quick, repair)
    for finding in findings:
        click.echo(str(finding))
    problems = sum(f.level == "problem" for f in findings)
    click.echo(f"{problems} problem{'s' * (problems != 1)}" if problems else "no problems")
    if problems:
        sys.exit(1)


def _checks(db, quick: bool, repair: bool) -> list:
    from ..lexicon import named_lexicons
    from ..store.maintenance import Finding, check_database, repair_database

    if repair:
        for line in repair_database(db):
            click.echo(f"repaired {line}")
    findings = check_database(db, quick=quick)
    if findings[0].level != "ok":
        return findings
    stored = dict(db.conn.execute("SELECT name, fingerprint FROM lexicons"))
    for name, file in named_lexicons().items():
        if name not in stored:
            continue
        try:
            current = file.load().fingerprint
        except Exception:  # noqa: BLE001 (a broken lexicon is lexicon check's to report)
            continue
        if current != stored[name]:
            findings.append(Finding("problem", f"lexicon {name}: {file.path} changed since "
                                    "its last tally", f"monitor tally --lexicon {name}"))
    return findings


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@pass_context
def backup(obj: Context, path: Path) -> None:
    """Copy the database to PATH (a consistent snapshot, safe while a run writes), verified.

    Example: monitor backup backups/monitor-2026-12-01.db
    """
    from ..store.maintenance import backup_database

    report = backup_database(obj.db, path)
    click.echo(f"backed up {obj.db_path} to {report.path}: {report.rows.get('documents', 0)} "
               f"documents, {report.rows.get('counts', 0)} counts, "
               f"{report.bytes / 2**20:.1f} MB in {report.seconds:.1f} s; verified "
               "(integrity check, row counts)")


@main.command()
@click.argument("path", default="-", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--source", "sources", multiple=True, help="Only this source (repeatable).")
@pass_context
def export(obj: Context, path: str, sources: tuple[str, ...]) -> None:
    """Write the documents as JSON Lines (PATH, .gz to compress; default stdout).

    Example: monitor export documents.jsonl.gz
    """
    from ..store.maintenance import export_documents

    known = {row["name"] for row in obj.db.sources()}
    unknown = [name for name in sources if name not in known]
    if unknown:
        fail(f"unknown source {unknown[0]!r}; known: {', '.join(sorted(known)) or 'none'}")
        sys.exit(2)
    target = sys.stdout if path == "-" else path
    n = export_documents(obj.db, target, sources=list(sources) or None)
    click.echo(f"exported {n} documents" + (f" to {path}" if path != "-" else ""), err=True)


@main.command("import")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
@pass_context
def import_(obj: Context, path: str) -> None:
    """Add the documents of a `monitor export` file (duplicates are skipped).

    Example: monitor import documents.jsonl.gz
    """
    from ..store.maintenance import import_documents

    run_id = obj.db.start_run(f"import {path}")
    try:
        report = import_documents(obj.db, sys.stdin if path == "-" else path, on_error=fail)
    except ValueError as exc:
        obj.db.finish_run(run_id, failed=1, message=str(exc))
        fail(str(exc))
        sys.exit(2)
    except BaseException as exc:
        obj.db.finish_run(run_id, failed=1, message=f"aborted ({type(exc).__name__}: {exc})")
        raise
    summary = f"added {report.added}, skipped duplicates {report.skipped}, failed {report.failed}"
    obj.db.finish_run(run_id, added=report.added, skipped=report.skipped, failed=report.failed,
                      message=summary)
    click.echo(summary)
    if report.failed:
        sys.exit(1)
