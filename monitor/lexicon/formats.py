"""Convert other dictionary formats to a monitor lexicon (``monitor lexicon import``).

* LIWC ``.dic``: a header between two ``%`` lines numbering the categories
  (``1<TAB>posemo``), then one entry a line, ``word<TAB>category ids`` (``abandon*``).
  LIWC 2007's conditional entries (``(02 134)131/125``) have no equivalent here: their
  conditional part is skipped with a warning, the plain ids are kept.
* quanteda-style YAML: a (nested) mapping of category -> list of terms, with quanteda's
  glob ``*``. Nesting is kept as subcategories.

Both give the structure of a lexicon YAML file (see ``monitor.lexicon``); terms that
cannot be expressed (a leading ``*``, quanteda's ``?``) are left out with a warning.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from .model import LexiconError, lexicon_from_dict, name_problem, yaml_problem
from .patterns import PatternError, compile_pattern, fold


def import_lexicon(path: str | os.PathLike, name: str | None = None) -> tuple[dict, list[str]]:
    """(lexicon structure, warnings) for a LIWC ``.dic`` or quanteda YAML file.

    ``name`` (checked first) defaults to :func:`default_name` of the file's stem. Every
    problem raised names the file once: ``path: message`` or ``path:line: message``.
    """
    path = Path(path)
    problem = name_problem(name) if name else None
    if problem:
        raise LexiconError([problem])
    name = name or default_name(path.stem)
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        raise LexiconError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if path.suffix.lower() == ".dic" or first == "%":
        data, warnings = read_liwc(text, str(path))
    else:
        data, warnings = read_quanteda(text, str(path))
    out = {"name": name, "description": f"Imported from {path.name}", **data}
    try:
        lexicon_from_dict(out, name)
    except LexiconError as exc:  # e.g. a LIWC category name with a "/"
        raise LexiconError([f"{path}: the converted lexicon is invalid: "
                            f"{p.removeprefix(name + ': ')}" for p in exc.problems]) from None
    return out, warnings


def default_name(stem: str) -> str:
    """A valid lexicon name from a file stem (``my dict(1)``: ``my_dict_1_``).

    Characters other than letters, digits, ``_ . -`` become ``_``; a leading ``.`` or
    ``-`` gets a ``_`` before it.
    """
    name = re.sub(r"[^\w.\-]", "_", stem)
    return "_" + name if name_problem(name) else name


def read_liwc(text: str, where: str = "<text>") -> tuple[dict, list[str]]:
    """Categories and terms of a LIWC dictionary (``%`` header, then entries).

    ``where`` (the file) starts each problem raised.
    """
    warnings: list[str] = []
    lines = text.splitlines()
    marks = [i for i, line in enumerate(lines) if line.strip() == "%"]
    if len(marks) < 2:
        raise LexiconError([f"{where}: not a LIWC dictionary: expected a header between two "
                            "'%' lines"])
    names: dict[str, str] = {}
    for number, line in enumerate(lines[marks[0] + 1: marks[1]], marks[0] + 2):
        fields = line.split("\t") if "\t" in line else line.split()
        fields = [f.strip() for f in fields if f.strip()]
        if not fields:
            continue
        if len(fields) < 2 or not fields[0].isdigit():
            warnings.append(f"line {number}: not a category line, skipped: {line.strip()!r}")
            continue
        names[fields[0].lstrip("0") or "0"] = fields[1]
    terms: dict[str, list[str]] = {category: [] for category in names.values()}
    for number, line in enumerate(lines[marks[1] + 1:], marks[1] + 2):
        if not line.strip():
            continue
        if "\t" in line:
            word, _, rest = line.partition("\t")
            if "(" in rest:  # LIWC 2007 conditional ids, e.g. "(02 134)125/464"
                warnings.append(f"line {number}: {word.strip()!r}: conditional categories "
                                "skipped, plain category ids kept")
                rest = re.sub(r"\([^)]*\)\S*", " ", rest)
            tokens = rest.split()
        else:
            tokens = line.split()
            ids_from = len(tokens)
            while ids_from > 1 and tokens[ids_from - 1].isdigit():
                ids_from -= 1
            word, tokens = " ".join(tokens[:ids_from]), tokens[ids_from:]
        word = " ".join(word.split())
        for token in tokens:
            if not token.isdigit():
                warnings.append(f"line {number}: {word!r}: conditional category "
                                f"{token!r} skipped")
                continue
            category = names.get(token.lstrip("0") or "0")
            if category is None:
                warnings.append(f"line {number}: {word!r}: unknown category id {token}")
            else:
                terms[category].append(word)
    categories = {}
    for category, words in terms.items():
        kept = _usable(words, f"category {category!r}", warnings)
        if kept:
            categories[category] = kept
        else:
            warnings.append(f"category {category!r} has no terms, left out")
    return {"categories": categories}, warnings


def read_quanteda(text: str, where: str = "<text>") -> tuple[dict, list[str]]:
    """Categories and terms of a quanteda-style YAML dictionary.

    ``where`` (the file) starts each problem raised: ``where:line: bad YAML: ...``.
    """
    warnings: list[str] = []
    try:
        data = yaml.load(text, Loader=yaml.BaseLoader)  # every scalar as the string written
    except yaml.YAMLError as exc:
        raise LexiconError([yaml_problem(exc, where)]) from None
    if isinstance(data, dict) and isinstance(data.get("categories"), dict):
        raise LexiconError([f"{where}: this is already a monitor lexicon: use "
                            "'monitor lexicon check'"])
    if not isinstance(data, dict):
        raise LexiconError([f"{where}: a quanteda dictionary is a mapping of category -> terms"])
    return {"categories": _tree(data, "", warnings)}, warnings


def _tree(node: dict, path: str, warnings: list[str]) -> dict:
    out: dict = {}
    for key, value in node.items():
        key = str(key).replace("/", "_")
        where = f"{path}/{key}" if path else key
        if isinstance(value, str):
            value = [value]
        if isinstance(value, dict):
            sub = _tree(value, where, warnings)
            if sub:
                out[key] = sub
            continue
        if not isinstance(value, list):
            warnings.append(f"category {where!r}: empty, left out")
            continue
        words = [v for v in value if isinstance(v, str)]
        nested = {k: v for item in value if isinstance(item, dict) for k, v in item.items()}
        kept = _usable(words, f"category {where!r}", warnings)
        if nested:
            sub = _tree(nested, where, warnings)
            if kept:
                warnings.append(f"category {where!r} has terms and subcategories: its own "
                                f"terms go to {where + '/other'!r}")
                sub["other"] = kept
            if sub:
                out[key] = sub
        elif kept:
            out[key] = kept
        else:
            warnings.append(f"category {where!r}: no usable terms, left out")
    return out


def _usable(words: list[str], where: str, warnings: list[str]) -> list[str]:
    """The words that compile, once each (case-insensitively), in their first order."""
    kept, seen = [], set()
    for word in words:
        word = " ".join(word.split())
        if "?" in word:
            warnings.append(f"{where}: {word!r}: the single-character glob '?' is not "
                            "supported, left out")
            continue
        try:
            compile_pattern(word)
        except PatternError as exc:
            warnings.append(f"{where}: {word!r}: {exc}, left out")
            continue
        if fold(word) not in seen:
            seen.add(fold(word))
            kept.append(word)
    return kept


def to_yaml(data: dict, source: str | None = None) -> str:
    """A lexicon structure as YAML text, with a comment naming where it came from."""
    header = f"# Converted from {source} by 'monitor lexicon import'.\n" if source else ""
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100,
                                   default_flow_style=False)
