"""Render a report's sections twice: ``summary.md`` and a self-contained ``index.html``.

A section is a heading, a sentence, a table and optionally chart images; a table cell is
text or ``(text, href)`` for a link. Both renderers walk the same sections, so the two
files always say the same thing.
"""

from __future__ import annotations

import csv
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

Cell = str | tuple[str, str]

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
p.intro{color:#444;margin:.2em 0}p.rule{color:#555;font-size:.9em}
table{border-collapse:collapse;margin:.5em 0}th,td{padding:.25em .7em;text-align:left;
border-bottom:1px solid #eee}th{background:#f6f6f6}td.n{text-align:right}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:.9em;color:#555}.notes li{color:#555}
"""


@dataclass
class Section:
    title: str
    text: str
    header: list[str]
    rows: list[list[Cell]]
    images: list[tuple[str, str, str]] = field(default_factory=list)  # title, png, csv


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """A CSV with floats written to 10 significant digits and None as an empty cell."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else f"{v:.10g}" if isinstance(v, float) else v
                             for v in row])


def _md_cell(cell: Cell) -> str:
    if isinstance(cell, tuple):
        return f"[{_md_escape(cell[0])}]({cell[1]})"
    return _md_escape(cell)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")


def render_markdown(title: str, intro: list[str], sections: list[Section],
                    notes: list[str]) -> str:
    out = [f"# {title}", ""]
    out += [line for line in intro if line] + [""]
    for section in sections:
        out += [f"## {section.title}", ""]
        if section.text:
            out += [section.text, ""]
        for name, png, data in section.images:
            out += [f"![{name}]({png})", "", f"*{_md_escape(name)}* — data: [{data}]({data})",
                    ""]
        if section.header:
            if section.rows:
                out.append("| " + " | ".join(section.header) + " |")
                out.append("|" + "---|" * len(section.header))
                out += ["| " + " | ".join(_md_cell(c) for c in row) + " |"
                        for row in section.rows]
            else:
                out.append("(none)")
            out.append("")
    if notes:
        out += ["## Notes", ""] + [f"- {note}" for note in notes] + [""]
    return "\n".join(out)


def _html_cell(cell: Cell, tag: str = "td") -> str:
    if isinstance(cell, tuple):
        text, href = cell
        return f'<{tag}><a href="{html.escape(href)}">{html.escape(text)}</a></{tag}>'
    numeric = tag == "td" and cell.replace(".", "").replace("%", "").lstrip("+-").isdigit()
    css = ' class="n"' if numeric else ""
    return f"<{tag}{css}>{html.escape(cell)}</{tag}>"


def render_html(title: str, intro: list[str], sections: list[Section],
                notes: list[str]) -> str:
    e = html.escape
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{e(title)}</title><style>{_CSS}</style></head><body>",
           f"<h1>{e(title)}</h1>"]
    out += [f'<p class="intro">{e(line)}</p>' for line in intro if line]
    if notes:
        out.append('<ul class="notes">' + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul>")
    for section in sections:
        out.append(f"<h2>{e(section.title)}</h2>")
        if section.text:
            out.append(f'<p class="rule">{e(section.text)}</p>')
        for name, png, data in section.images:
            out.append(
                f'<figure><a href="{e(png)}"><img src="{e(png)}" alt="{e(name)}"></a>'
                f'<figcaption>{e(name)} — data: <a href="{e(data)}">{e(data)}</a>'
                "</figcaption></figure>"
            )
        if section.header:
            if not section.rows:
                out.append("<p>(none)</p>")
                continue
            out.append("<table><thead><tr>"
                       + "".join(_html_cell(h, "th") for h in section.header)
                       + "</tr></thead><tbody>")
            out += ["<tr>" + "".join(_html_cell(c) for c in row) + "</tr>"
                    for row in section.rows]
            out.append("</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
