"""Lexicons: YAML files of categorised terms; loading, validation, fingerprints.

The YAML is read through ``yaml.compose`` so that every problem is reported with its
file and line, and so that scalars are taken as written (``- no`` is the word "no", not
``False``). See the README's Lexicons section for the format.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .patterns import (
    Pattern,
    PatternError,
    compile_pattern,
    fold,
    invisible_problem,
    prepare,
    stem_language,
)

ENGINE_VERSION = "3"  # bump when the counting rules change: every fingerprint changes
TOP_KEYS = ("name", "description", "language", "source", "overlap", "stem", "categories")
TERM_KEYS = ("term", "variants", "except", "case", "stem", "note")
OVERLAPS = ("all", "longest")
_NAME_RE = re.compile(r"[\w][\w.\-]*")
NAME_RULE = "use letters, digits, '_', '-' or '.', starting with a letter, digit or '_'"
_TRUE, _FALSE = {"true", "yes", "on"}, {"false", "no", "off"}
# Bounds on what one lexicon file may cost to read: its size, the YAML nodes it expands to
# once aliases are followed (a 1 KB "alias bomb" expands to billions), and its terms.
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_NODES = 3_000_000
MAX_TERMS = 1_000_000


class LexiconError(ValueError):
    """One or more problems in lexicon files, each a ``path:line: message`` line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Term:
    """One counted term; ``label`` is its text as written (``militar*``)."""

    label: str
    category: str
    variants: tuple[str, ...] = ()
    excepts: tuple[str, ...] = ()
    case_sensitive: bool = False
    stem: bool = False


@dataclass
class Lexicon:
    name: str
    description: str = ""
    language: str | None = None  # the first of ``languages``: the one stemming uses
    path: Path | None = None
    overlap: str = "all"
    terms: list[Term] = field(default_factory=list)
    fingerprint: str = ""
    languages: tuple[str, ...] = ()  # the documents it applies to (empty: all of them)

    def applies_to(self, language: str | None) -> bool:
        """True for a document of this language: any document when the lexicon declares no
        language, and a document of unknown language for every lexicon."""
        return not self.languages or language is None or language in self.languages

    def categories(self) -> list[str]:
        """Category paths in file order (``soft_power/culture``)."""
        return list(dict.fromkeys(t.category for t in self.terms))


def fingerprint(terms: list[Term], language: str | None, overlap: str) -> str:
    """sha256 of what the counts depend on: terms, language, overlap and ENGINE_VERSION.

    Descriptions, comments and YAML layout are left out; term order only matters (and
    so only counts) under ``overlap: longest``, where the first listed term wins ties.
    """
    rows = [[t.category, t.label, sorted(t.variants), sorted(t.excepts), t.case_sensitive,
             t.stem] for t in terms]
    if overlap == "all":
        rows.sort()
    canon = {"engine": ENGINE_VERSION, "language": language, "overlap": overlap, "terms": rows}
    blob = json.dumps(canon, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class _TooManyTerms(Exception):
    """Stops reading a lexicon past MAX_TERMS (the problem is already reported)."""


class _Reader:
    """Walks a composed YAML node tree, collecting every problem instead of stopping."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.problems: list[str] = []

    def error(self, node: Node | None, message: str) -> None:
        mark = getattr(node, "start_mark", None)
        where = f"{self.where}:{mark.line + 1}" if mark is not None else self.where
        self.problems.append(f"{where}: {message}")

    def text(self, node: Node, what: str) -> str | None:
        """The scalar as written (see :func:`_scalar`); None, reported, if not a scalar."""
        value = _scalar(node)
        if value is None:
            self.error(node, f"{what} must be a single value")
        return value

    def flag(self, node: Node, what: str) -> bool | None:
        value = self.text(node, what)
        if value is None:
            return None
        if value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        self.error(node, f"{what} must be true or false, not {value!r}")
        return None

    def term_text(self, node: Node, what: str) -> str | None:
        """A term, variant or except phrase; None, reported, if empty or not a scalar."""
        value = self.text(node, what)
        if value == "":
            if isinstance(node, ScalarNode) and node.value == "~":
                self.error(node, f"{what} '~' is YAML's null (no value), not a word: quote it "
                                 "('~') to count the character, or remove it")
            else:
                self.error(node, f"empty {what}")
            return None
        return value

    def texts(self, node: Node, what: str) -> list[tuple[str, Node]]:
        items = node.value if isinstance(node, SequenceNode) else [node]
        out = []
        for item in items:
            value = self.term_text(item, what)
            if value is not None:
                out.append((value, item))
        return out

    def mapping(self, node: Node, what: str) -> list[tuple[str, Node, Node]]:
        """(key, key node, value node) of a mapping; duplicate keys are problems."""
        if not isinstance(node, MappingNode):
            self.error(node, f"{what} must be a mapping")
            return []
        seen: dict[str, Node] = {}
        out = []
        for key_node, value in node.value:
            key = self.text(key_node, "a key")
            if key is None:
                continue
            if key in seen:
                first = seen[key].start_mark
                self.error(key_node, f"duplicate key {key!r}"
                           + (f" (first on line {first.line + 1})" if first else ""))
                continue
            seen[key] = key_node
            out.append((key, key_node, value))
        return out


def _scalar(node: Node | None) -> str | None:
    """A scalar's text as written, whitespace runs folded to one space; None if not a scalar.

    YAML's types are not resolved: ``no`` is "no", ``1.10`` is "1.10", ``null`` is the
    word "null". Only an empty value and ``~`` are nothing (""), as YAML reads them.
    """
    if not isinstance(node, ScalarNode):
        return None
    if node.tag.endswith(":null") and node.value in ("", "~"):
        return ""
    return " ".join(node.value.split())


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a lexicon name, or None if it can."""
    return None if _NAME_RE.fullmatch(name) else f"bad lexicon name {name!r}: {NAME_RULE}"


def _read(root: Node | None, reader: _Reader, default_name: str, path: Path | None) -> Lexicon:
    lex = Lexicon(name=default_name, path=path)
    if root is None or (root.tag.endswith(":null") and _scalar(root) == ""):
        reader.problems.append(f"{reader.where}{':1' if path else ''}: empty file")
        return lex
    if not isinstance(root, MappingNode):
        reader.error(root, "a lexicon file must be a mapping")
        return lex
    top = {}
    for key, key_node, value in reader.mapping(root, "a lexicon file"):
        if key not in TOP_KEYS:
            reader.error(key_node, f"unknown key {key!r} (known: {', '.join(TOP_KEYS)})")
        else:
            top[key] = value
    for key in ("name", "description"):
        if key in top:
            setattr(lex, key, reader.text(top[key], key) or getattr(lex, key))
    if "language" in top:
        _languages(top["language"], reader, lex)
    problem = name_problem(lex.name)
    if problem:
        reader.error(top.get("name"), problem)
    if "overlap" in top:
        overlap = reader.text(top["overlap"], "overlap")
        if overlap is not None and overlap not in OVERLAPS:
            reader.error(top["overlap"], f"overlap must be 'all' or 'longest', not {overlap!r}")
        lex.overlap = overlap or lex.overlap
    stem_default = bool(reader.flag(top["stem"], "stem")) if "stem" in top else False

    @cache
    def stem_lang() -> str | None:
        """The Snowball language, resolved once; a problem is reported once, at its line."""
        try:
            return stem_language(lex.language)
        except PatternError as exc:
            reader.error(top.get("language", top.get("stem")), str(exc))
            return None

    if "categories" not in top:
        reader.error(root, "no 'categories'")
    else:
        try:
            _categories(top["categories"], [], reader, lex, stem_default, stem_lang)
        except _TooManyTerms:
            lex.terms = []
        if not lex.terms and not reader.problems:
            reader.error(top["categories"], "no terms")
    lex.fingerprint = fingerprint(lex.terms, ",".join(lex.languages) or None, lex.overlap)
    return lex


def _languages(node: Node, reader: _Reader, lex: Lexicon) -> None:
    """``language: zh`` or ``language: [en, zh]``: ISO 639 codes, stored lower-case."""
    from ..text import normalise_language

    nodes = node.value if isinstance(node, SequenceNode) else [node]
    codes = []
    for item in nodes:
        text = reader.text(item, "language")
        if not text:
            continue
        code = normalise_language(text)
        if code is None:
            reader.error(item, f"language {text!r} is not a language code (en, zh, fr...)")
        elif code not in codes:
            codes.append(code)
    lex.languages = tuple(codes)
    lex.language = codes[0] if codes else None


def _categories(node: Node, path: list[str], reader: _Reader, lex: Lexicon, stem: bool,
                stem_lang: Callable[[], str | None]) -> None:
    if isinstance(node, SequenceNode) and not path:
        reader.error(node, "categories must map category names to lists of terms")
        return
    if isinstance(node, SequenceNode):
        category = "/".join(path)
        if not node.value:
            reader.error(node, f"category {category!r} has no terms")
        seen: dict[str, int] = {}
        for item in node.value:
            term = _term(item, category, reader, stem, stem_lang)
            if term is None:
                continue
            key = term.label if term.case_sensitive else fold(term.label)
            line = item.start_mark.line + 1 if item.start_mark else 0
            if key in seen:
                reader.error(item, f"duplicate term {term.label!r} in category {category!r}"
                                   + (f" (first on line {seen[key]})" if line else ""))
                continue
            seen[key] = line
            if len(lex.terms) >= MAX_TERMS:
                reader.error(item, f"more than {MAX_TERMS:,} terms: split the lexicon")
                raise _TooManyTerms
            lex.terms.append(term)
        return
    if isinstance(node, ScalarNode):
        reader.error(node, f"category {'/'.join(path) or '(top)'!r} needs a list of terms "
                           "or subcategories")
        return
    entries = reader.mapping(node, "categories")
    if not entries and not path:
        reader.error(node, "no categories")
    for key, key_node, value in entries:
        if not key or "/" in key:
            reader.error(key_node, f"bad category name {key!r} (empty or containing '/')")
            continue
        _categories(value, [*path, key], reader, lex, stem, stem_lang)


def _term(node: Node, category: str, reader: _Reader, stem: bool,
          stem_lang: Callable[[], str | None]) -> Term | None:
    fields: dict[str, Node] = {}
    if isinstance(node, MappingNode):
        for key, key_node, value in reader.mapping(node, "a term"):
            if key not in TERM_KEYS:
                reader.error(key_node, f"unknown term key {key!r} (known: {', '.join(TERM_KEYS)})")
            fields[key] = value
        if "term" not in fields:
            reader.error(node, "a term mapping needs 'term:'")
            return None
        label = reader.term_text(fields["term"], "term")
    elif isinstance(node, ScalarNode):
        label = reader.term_text(node, "term")
    else:
        reader.error(node, "a term must be a single value")
        return None
    if label is None:
        return None
    case = False
    if "case" in fields:
        value = reader.text(fields["case"], "case")
        if value is not None and value not in ("sensitive", "insensitive"):
            reader.error(fields["case"],
                         f"case must be 'sensitive' or 'insensitive', not {value!r}")
        case = value == "sensitive"
    if "stem" in fields:
        stem = bool(reader.flag(fields["stem"], "stem"))
    lang = stem_lang() if stem else None
    variants = reader.texts(fields["variants"], "variant") if "variants" in fields else []
    excepts = reader.texts(fields["except"], "except phrase") if "except" in fields else []
    ok = True
    patterns: list[Pattern] = []  # of the term and its variants
    kinds = ["term"] + ["variant"] * len(variants) + ["except phrase"] * len(excepts)
    for kind, (text, where) in zip(kinds, [(label, node), *variants, *excepts], strict=True):
        invisible = invisible_problem(text)
        if invisible:
            reader.error(where, f"{kind} {text!r} {invisible}")
            ok = False
            continue
        try:
            pattern = compile_pattern(text, case, lang)
        except PatternError as exc:
            reader.error(where, f"{kind} {text!r}: {exc}")
            ok = False
            continue
        if kind != "except phrase":
            patterns.append(pattern)
    norm = prepare if case else fold
    forms = [norm(label)]
    for text, where in variants:
        if norm(text) in forms:
            reader.error(where, f"variant {text!r} repeats term {label!r} or another variant")
            ok = False
        forms.append(norm(text))
    # An except phrase applies where a match of the term lies inside one of its own
    # matches: so one of the term's patterns must match inside the phrase's text. (A
    # phrase with a wildcard matches other texts too: it is not checked.)
    check = bool(patterns) and not (stem and lang is None)
    for text, where in excepts:
        if check and "*" not in text and not _matches_inside(patterns, norm(text)):
            reader.error(where, f"except phrase {text!r} does not contain term {label!r} "
                                "or one of its variants, so it can never apply")
            ok = False
    if not ok:
        return None
    return Term(label, category, tuple(v for v, _ in variants), tuple(e for e, _ in excepts),
                case, stem)


def _matches_inside(patterns: list[Pattern], text: str) -> bool:
    """Whether one of ``patterns`` matches somewhere in ``text`` (folded or prepared)."""
    return any(p.match_at(text, i) >= 0 for p in patterns for i in range(len(text)))


def yaml_problem(exc: yaml.YAMLError, where: str) -> str:
    """A YAML error as one ``where:line: bad YAML: message`` line."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    message = " ".join(str(getattr(exc, "problem", None) or exc).split())
    return f"{where}:{mark.line + 1 if mark else 1}: bad YAML: {message}"


def _compose(text: str, reader: _Reader) -> Node | None:
    """The composed node tree, read by libyaml where PyYAML has it: ~10x faster than the
    pure-Python scanner on a 100,000-term file, and it refuses nesting over 1,000 deep
    itself. PyYAML's own messages quote the bad line: a file with an error is read again
    by it for the message."""
    fast = getattr(yaml, "CSafeLoader", None)
    try:
        try:
            root = yaml.compose(text, Loader=fast or yaml.SafeLoader)
        except yaml.YAMLError as fast_error:
            if fast is None:
                raise
            yaml.compose(text, Loader=yaml.SafeLoader)  # raises, with PyYAML's message
            raise fast_error from None
    except yaml.YAMLError as exc:
        reader.problems.append(yaml_problem(exc, reader.where))
        return None
    except RecursionError:
        reader.problems.append(f"{reader.where}:1: bad YAML: nested too deeply")
        return None
    problem = _expansion_problem(root)
    if problem:
        reader.problems.append(f"{reader.where}:1: {problem}")
        return None
    return root


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return node.value
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _expansion_problem(root: Node | None) -> str | None:
    """Why the node tree is too big once aliases are followed (or loops), else None.

    Aliases make the composed tree a graph that shares nodes; the walk that reads a
    lexicon visits a shared node once per reference, so the size that matters is the
    expanded one, computed here in time linear in the distinct nodes.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)] if root is not None else []
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            if sizes[key] > MAX_NODES:
                return (f"the YAML expands to more than {MAX_NODES:,} values once its aliases "
                        "(*name) are followed: an alias bomb? Write the terms out instead")
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            return "an alias (*name) refers to a value that contains it: it never ends"
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return None


class LexiconFile:
    """A lexicon file, read and parsed once: its declared ``name``, and :meth:`load`.

    The name is read as loading reads it (scalars as written: ``name: on`` is "on"); a
    file without one, or that cannot be read or parsed, is known by its stem.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._reader = _Reader(str(self.path))
        self._root: Node | None = None
        self._lexicon: Lexicon | None = None
        try:
            size = self.path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise OSError(f"{size / 2**20:.1f} MB, over the {MAX_FILE_BYTES / 2**20:g} MB "
                              "a lexicon file may have")
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self._reader.problems.append(f"{self.path}:1: cannot read: {exc}")
        else:
            from .parsed import cached_lexicon, parsed_key

            self._cache_key = parsed_key(self.path, text)
            self._lexicon = cached_lexicon(self._cache_key, self.path)
            if self._lexicon is not None:  # its name is the declared one, or the stem
                self.name = self._lexicon.name
                return
            self._root = _compose(text, self._reader)
        self.name = _declared_name(self._root) or self.path.stem

    _cache_key: str | None = None

    def load(self) -> Lexicon:
        """The validated lexicon; raises :class:`LexiconError` listing all problems."""
        if self._lexicon is None and not self._reader.problems:
            self._lexicon = _read(self._root, self._reader, self.path.stem, self.path.resolve())
            if self._cache_key and not self._reader.problems:
                from .parsed import cache_lexicon

                cache_lexicon(self._cache_key, self._lexicon)
            self._root = None
        if self._reader.problems:
            raise LexiconError(self._reader.problems)
        return self._lexicon


def _declared_name(root: Node | None) -> str:
    """The ``name:`` of a composed lexicon file, as :func:`_read` reads it ("" if none)."""
    if isinstance(root, MappingNode):
        for key, value in root.value:
            if _scalar(key) == "name":
                return _scalar(value) or ""
    return ""


def load_lexicon(path: str | os.PathLike) -> Lexicon:
    """Load and validate a lexicon file; raises :class:`LexiconError` listing all problems."""
    return LexiconFile(path).load()


def check_lexicon(path: str | os.PathLike) -> list[str]:
    """Every problem of a lexicon file as ``path:line: message`` (empty when clean)."""
    try:
        load_lexicon(path)
    except LexiconError as exc:
        return exc.problems
    return []


class _Representer(yaml.representer.SafeRepresenter):
    """Python's None is no value (an empty null), not the word "null"."""

    def represent_none(self, data: None) -> Node:
        return self.represent_scalar("tag:yaml.org,2002:null", "")


_Representer.add_representer(type(None), _Representer.represent_none)


def lexicon_from_dict(data: dict, name: str) -> Lexicon:
    """A validated lexicon from the parsed YAML structure (``name`` is the default name)."""
    root = _Representer(sort_keys=False).represent_data(data)
    reader = _Reader(name)
    lexicon = _read(root, reader, name, None)
    if reader.problems:
        raise LexiconError(reader.problems)
    return lexicon
