"""The ``monitor lexicon`` group: ``list``, ``show``, ``check``, ``test``, ``import``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import fail, main


@main.group()
def lexicon() -> None:
    """Lexicons: list them, show one, check files, try one on a text, import others.

    Lexicons are YAML files in the shipped lexicons/ folder and in the folders named by
    MONITOR_LEXICONS (separated by the path separator; they come first and so win when
    two lexicons have the same name).
    """


@lexicon.command("list")
def list_lexicons() -> None:
    """List lexicons: name, terms, categories and file.

    Example: monitor lexicon list
    """
    from ..lexicon import LexiconError, lexicon_folders, scan_lexicons

    files = scan_lexicons()  # each file parsed once: its name, then the lexicon
    if not files:
        folders = ", ".join(map(str, lexicon_folders())) or "none"
        click.echo(f"no lexicons found (folders: {folders})")
        return
    rows, seen = [], {}
    for file in files:
        note = f"  (shadowed by {seen[file.name]})" if file.name in seen else ""
        seen.setdefault(file.name, file.path)
        try:
            lex = file.load()
            rows.append((lex.name, str(len(lex.terms)), str(len(lex.categories())),
                         f"{file.path}{note}"))
        except LexiconError as exc:
            n = len(exc.problems)
            rows.append((file.name, "-", "-", f"{file.path}  ({n} problem{'s' * (n != 1)}: "
                                             "run monitor lexicon check)"))
    header = ("name", "terms", "categories", "path")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    for row in [header, *rows]:
        click.echo(f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}  "
                   f"{row[3]}")


@lexicon.command()
@click.argument("name")
def show(name: str) -> None:
    """Show a lexicon's categories as a tree, with every term.

    NAME is a lexicon name or a YAML file. Example: monitor lexicon show power
    """
    from ..lexicon import LexiconError, resolve_lexicon

    try:
        lex = resolve_lexicon(name)
    except LexiconError as exc:
        _fail_all(exc.problems)
    click.echo(f"{lex.name}: {lex.description}" if lex.description else lex.name)
    click.echo(f"  {len(lex.terms)} terms, {len(lex.categories())} categories, overlap: "
               f"{lex.overlap}, language: {lex.language or '-'}")
    click.echo(f"  file: {lex.path or '-'}\n  fingerprint: {lex.fingerprint[:16]}")
    printed: list[str] = []
    for term in lex.terms:
        path = term.category.split("/")
        common = 0
        while common < min(len(path), len(printed)) and path[common] == printed[common]:
            common += 1
        for depth in range(common, len(path)):
            click.echo("  " * depth + path[depth] + "/")
        printed = path
        click.echo("  " * len(path) + _describe(term))


def _describe(term) -> str:
    extras = []
    if term.variants:
        extras.append("variants: " + ", ".join(term.variants))
    if term.excepts:
        extras.append("except: " + ", ".join(term.excepts))
    if term.case_sensitive:
        extras.append("case-sensitive")
    if term.stem:
        extras.append("stemmed")
    return term.label + (f"  ({'; '.join(extras)})" if extras else "")


@lexicon.command()
@click.argument("files", nargs=-1, required=True)
def check(files: tuple[str, ...]) -> None:
    """Check lexicon files; print every problem as file:line: message.

    Exits with status 1 if any file has a problem. FILES may also be lexicon names.
    Example: monitor lexicon check lexicons/*.yaml
    """
    from ..lexicon import LexiconError, LexiconFile, named_lexicons

    bad = 0
    named = None  # name -> file, first wins: built once, if a name is asked for
    for target in files:
        if Path(target).is_file():
            file = LexiconFile(target)
        else:
            named = named_lexicons() if named is None else named
            if target not in named:
                fail(f"{target}: no such file or lexicon")
                bad += 1
                continue
            file = named[target]
        try:
            lex = file.load()
        except LexiconError as exc:
            for problem in exc.problems:
                click.echo(problem)
            bad += 1
            continue
        click.echo(f"{file.path}: ok ({len(lex.terms)} terms, {len(lex.categories())} "
                   "categories)")
    if bad:
        sys.exit(1)


@lexicon.command("test")
@click.argument("name")
@click.argument("text")
@click.option("--engine", type=click.Choice(["auto", "hyperscan", "aho"]), default="auto",
              show_default=True, help="Matching engine.")
def test_lexicon(name: str, text: str, engine: str) -> None:
    """Show each match of a lexicon in TEXT (term, category, span), then totals.

    TEXT '-' reads standard input. Example: monitor lexicon test power "China's security"
    """
    from ..lexicon import LexiconError, Matcher, category_spans, resolve_lexicon

    if text == "-":
        text = sys.stdin.read()
    try:
        matcher = Matcher([resolve_lexicon(name)], engine=engine)
    except (LexiconError, ValueError) as exc:
        _fail_all(getattr(exc, "problems", [str(exc)]))
    found = matcher.matches(text)
    for m in found:
        _, term = matcher.terms[m.term]
        click.echo(f"{m.start:>6}-{m.end:<6} {term.label:<28} {term.category:<28} "
                   f"{text[m.start:m.end]!r}")
    totals: dict[int, int] = {}
    for m in found:
        totals[m.term] = totals.get(m.term, 0) + 1
    click.echo(f"{len(found)} matches" + (":" if found else ""))
    for index, count in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])):
        _, term = matcher.terms[index]
        click.echo(f"  {count:>5}  {term.label} [{term.category}]")
    spans = category_spans(matcher, found)  # a span once per category, the longest if nested
    for index, count in sorted(((c, len(s)) for c, s in spans.items()),
                               key=lambda kv: matcher.categories[kv[0]]):
        click.echo(f"  {count:>5}  category {matcher.categories[index][1]}")


@lexicon.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the lexicon here (e.g. lexicons/NAME.yaml) instead of printing it.")
@click.option("--name", default=None,
              help="Lexicon name [default: the --out or FILE stem, with characters other than "
                   "letters, digits, _ . - made _].")
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
def import_lexicon_command(file: Path, out: Path | None, name: str | None, force: bool) -> None:
    """Convert a LIWC .dic or a quanteda-style YAML dictionary to a lexicon.

    Example: monitor lexicon import LIWC2015.dic --out lexicons/liwc.yaml
    """
    from ..lexicon import LexiconError, name_problem
    from ..lexicon.formats import default_name, import_lexicon, to_yaml

    if name is not None and name_problem(name):
        _fail_all([f"--name: {name_problem(name)}"])
    try:  # every problem names the file
        data, warnings = import_lexicon(file, name or (default_name(out.stem) if out else None))
    except LexiconError as exc:
        _fail_all(exc.problems)
    for warning in warnings:
        click.echo(f"warning: {file}: {warning}", err=True)
    text = to_yaml(data, file.name)
    if out is None:
        click.echo(text, nl=False)
        return
    if out.exists() and not force:
        _fail_all([f"{out} exists (use --force to overwrite)"])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out} (lexicon {data['name']!r}); check it with: "
               f"monitor lexicon check {out}")


def _fail_all(problems: list[str]) -> None:
    for problem in problems:
        fail(problem)
    sys.exit(1)
