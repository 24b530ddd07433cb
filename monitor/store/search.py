"""Full-text search that also finds Chinese, Japanese and Korean words.

SQLite's ``unicode61`` tokenizer keeps a run of Han characters whole (安全生产 is one token),
and ``trigram`` matches nothing under 3 characters (安全 is 2). So each document with CJK
text has a ``cjk`` column holding its title and text with every run of CJK characters
written as its overlapping character pairs (安全生产 -> ``安全 全生 生产 产``; the last
character of a run stands alone), and ``documents_fts`` indexes ``title``, ``text`` and
``cjk``. A two-character word is then one token: ``documents_fts MATCH '安全'`` (and
``sqlite-utils search``, Datasette's search box) finds exactly the documents containing
安全. :func:`fts_query` turns longer words into the phrase of their pairs
(安全生产 -> ``"安全 全生 生产"``) and a single character into a prefix (``"安" *``).
"""

from __future__ import annotations

import re
import sqlite3

CJK_CHARS = ("\u1100-\u11ff\u3005-\u3007\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff"
             "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f"
             "\U00020000-\U0003134f")
_RUN = re.compile(f"[{CJK_CHARS}]+")
#: UTF-8 lead bytes of every CJK character (and of some others): a fast first test
_LEAD_BYTES = [bytes([b]) for b in (0xE1, *range(0xE3, 0xEE), 0xEF, 0xF0)]
_CJK_SPACE = re.compile(f"(?<=[{CJK_CHARS}])\\s+(?=[{CJK_CHARS}])")
_QUERY_BIT = re.compile(r'"[^"]*"|[^\s"]+')


def _pairs(run: str) -> str:
    return " ".join([run[i:i + 2] for i in range(len(run) - 1)] + [run[-1]])


def _may_hold_cjk(data: bytes) -> bool:
    """False when UTF-8 ``data`` has no CJK character (10 times faster than the regex)."""
    return any(lead in data for lead in _LEAD_BYTES)


def cjk_pairs(title: str | None, text: str) -> str | None:
    """The ``cjk`` column of a document: its title and text with CJK runs as pairs.

    None when neither holds a CJK character (most documents: nothing is stored twice).
    """
    whole = f"{title}\n{text}" if title else text
    if whole.isascii() or not _may_hold_cjk(whole.encode("utf-8", "surrogatepass")):
        return None
    if _RUN.search(whole) is None:
        return None
    return _RUN.sub(lambda m: f" {_pairs(m.group())} ", whole)


def _phrase(words: str) -> str:
    """One quoted query phrase with its CJK runs as pairs (a lone last character: prefix).

    A run inside the phrase keeps its last character, as the document's column does; a
    run that ends the phrase may go on in the document, so it ends with its last pair.
    """
    words = _CJK_SPACE.sub("", " ".join(words.split()))  # 国家 安全 is 国家安全
    runs = list(_RUN.finditer(words))
    if not runs:
        return f'"{words}"'
    out, start, prefix = [], 0, False
    for match in runs:
        out.append(words[start:match.start()])
        run = match.group()
        if match.end() < len(words):
            out.append(f" {_pairs(run)} ")
        elif len(run) == 1:
            out.append(f" {run} ")
            prefix = True
        else:
            out.append(" " + " ".join(run[i:i + 2] for i in range(len(run) - 1)) + " ")
        start = match.end()
    out.append(words[start:])
    return '"' + " ".join("".join(out).split()) + '"' + (" *" if prefix else "")


def fts_query(query: str) -> str:
    """A search box's words as an FTS5 query of ``documents_fts`` (every word, any order).

    Each word (or ``"quoted phrase"``) must occur; FTS5 operators are taken literally, as
    Datasette's search box does. ``fts_query("安全生产 policy")`` is
    ``'"安全 全生 生产" "policy"'``.
    """
    if query.count('"') % 2:
        query += '"'
    bits = [bit.strip('"') for bit in _QUERY_BIT.findall(query)]
    return " ".join(_phrase(bit) for bit in bits if bit.strip()) or '""'  # "": no match


def fill_cjk(conn: sqlite3.Connection) -> int:
    """Set the ``cjk`` column of every document with CJK text; how many have some.

    Used once by the migration that added the column (new documents get it as they are
    stored). The texts are read as UTF-8 bytes and only those that may hold CJK decoded.
    """
    found = []
    for doc_id, title, data in conn.execute(
            "SELECT id, title, CAST(text AS BLOB) FROM documents"):
        if _may_hold_cjk(data) or (title and not title.isascii()):
            pairs = cjk_pairs(title, data.decode("utf-8", "replace"))
            if pairs is not None:
                found.append((pairs, doc_id))
    conn.executemany("UPDATE documents SET cjk = ? WHERE id = ?", found)
    return len(found)
