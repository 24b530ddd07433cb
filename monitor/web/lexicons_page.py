"""The Lexicons page: each lexicon's category tree with its terms' stored counts, and
``monitor lexicon test`` on pasted text.

Only lexicons found in the lexicon folders (by name) are loaded: a web form never names
a file to read.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass, field

from ..lexicon import Lexicon, LexiconError, Matcher, named_lexicons
from ..store import Database
from .pages import page, read

MAX_TEXT = 200_000
_MATCHERS: OrderedDict[tuple[str, str], Matcher] = OrderedDict()


@dataclass
class Node:
    """A category of the tree: its own terms with counts, and its sub-categories."""

    name: str
    path: str
    terms: list[dict] = field(default_factory=list)
    children: dict[str, Node] = field(default_factory=dict)
    count: int = 0


async def lexicons(datasette, request):
    """``/-/lexicons[?name=power]``; POST ``name`` and ``text`` to test a lexicon."""
    files = named_lexicons()
    stored = await read(datasette, _stored)
    names = sorted(set(files) | set(stored))
    context: dict = {"names": names, "error": None, "test": None, "tree": None,
                     "summary": [_summary(n, files.get(n), stored.get(n)) for n in names]}
    name = request.args.get("name") or (names[0] if names else "")
    text = ""
    status = 200
    if request.method == "POST":
        form = await request.post_vars()
        name, text = form.get("name", ""), form.get("text", "")
    context["name"], context["text"] = name, text
    if name and name not in names:
        context["error"] = (f"unknown lexicon {name!r}; known: {', '.join(names) or 'none'}")
        name, status = "", 400
    lexicon = None
    if name in files:
        try:
            lexicon = files[name].load()
        except LexiconError as exc:
            context["error"] = "; ".join(exc.problems[:5])
            status = 400
    if name:
        context["tree"] = _tree(lexicon, stored.get(name))
        context["stored"] = stored.get(name)
        context["lexicon"] = lexicon
    if request.method == "POST" and not context["error"]:
        if lexicon is None:
            context["error"] = f"lexicon {name!r} has no file in the lexicon folders to test"
            status = 400
        elif len(text) > MAX_TEXT:
            context["error"] = f"text: longer than {MAX_TEXT:,} characters"
            status = 400
        else:
            context["test"] = await asyncio.get_running_loop().run_in_executor(
                None, test_text, lexicon, text)
    return await page(datasette, request, "monitor_lexicons.html", context, status=status)


def test_text(lexicon: Lexicon, text: str) -> dict:
    """What ``monitor lexicon test`` prints: every match, then totals by term and category."""
    key = (lexicon.name, lexicon.fingerprint)
    matcher = _MATCHERS.get(key)
    if matcher is None:
        matcher = _MATCHERS[key] = Matcher([lexicon])
        while len(_MATCHERS) > 16:
            _MATCHERS.popitem(last=False)
    found = matcher.matches(text)
    matches, totals, categories = [], {}, {}
    for m in found:
        _, term = matcher.terms[m.term]
        matches.append({"start": m.start, "end": m.end, "term": term.label,
                        "category": term.category, "text": text[m.start:m.end]})
        totals[m.term] = totals.get(m.term, 0) + 1
    terms = []
    for index, count in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])):
        _, term = matcher.terms[index]
        terms.append({"term": term.label, "category": term.category, "count": count})
        categories[term.category] = categories.get(term.category, 0) + count
    return {"matches": matches, "terms": terms, "categories": sorted(categories.items())}


def _stored(db: Database) -> dict[str, dict]:
    """Per stored lexicon: fingerprint, tallied documents, and (category, label) counts."""
    out: dict[str, dict] = {}
    for lexicon_id, name, fingerprint, docs in db.conn.execute(
            "SELECT l.id, l.name, l.fingerprint, (SELECT count(*) FROM tallied t"
            " WHERE t.lexicon_id = l.id) FROM lexicons l WHERE l.name NOT LIKE 'adhoc.%'"
            " ORDER BY l.name"):  # ad-hoc --term lexicons: offered by the trends form
        counts = {(category, label): (count or 0, mentioning or 0)
                  for category, label, count, mentioning in db.conn.execute(
                      "SELECT t.category, t.label, sum(c.count), count(c.document_id)"
                      " FROM terms t LEFT JOIN counts c ON c.term_id = t.id"
                      " WHERE t.lexicon_id = ? GROUP BY t.id ORDER BY t.id", (lexicon_id,))}
        out[name] = {"fingerprint": fingerprint, "tallied": docs, "counts": counts}
    return out


def _summary(name: str, file, stored: dict | None) -> dict:
    return {"name": name, "file": str(file.path) if file else None,
            "tallied": stored["tallied"] if stored else 0,
            "count": sum(c for c, _ in stored["counts"].values()) if stored else 0}


def _tree(lexicon: Lexicon | None, stored: dict | None) -> Node:
    """The categories and terms of the file (else of the database), with stored counts."""
    counts = stored["counts"] if stored else {}
    if lexicon is not None:
        terms = [(t.category, t.label, t.variants) for t in lexicon.terms]
    else:
        terms = [(category, label, ()) for category, label in counts]
    root = Node("", "")
    for category, label, variants in terms:
        node = root
        count, docs = counts.get((category, label), (0, 0))
        node.count += count
        for part in category.split("/"):
            path = f"{node.path}/{part}" if node.path else part
            node = node.children.setdefault(part, Node(part, path))
            node.count += count
        node.terms.append({"label": label, "variants": variants, "count": count,
                           "docs": docs})
    return root
