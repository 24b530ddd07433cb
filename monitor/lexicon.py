"""Lexicons: YAML files of categorised terms; loading, validation, fingerprints, folders.

The YAML is read through ``yaml.compose`` so that every problem is reported with its
file and line, and so that scalars are taken as written (``- no`` is the word "no", not
``False``). See the README's Lexicons section for the format.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .patterns import PatternError, compile_pattern, fold, stem_language

ENGINE_VERSION = "1"  # bump when the counting rules change: every fingerprint changes
TOP_KEYS = ("name", "description", "language", "source", "overlap", "stem", "categories")
TERM_KEYS = ("term", "variants", "except", "case", "stem", "note")
OVERLAPS = ("all", "longest")
_NAME_RE = re.compile(r"[\w][\w.\-]*")
_TRUE, _FALSE = {"true", "yes", "on"}, {"false", "no", "off"}


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
    language: str | None = None
    path: Path | None = None
    overlap: str = "all"
    terms: list[Term] = field(default_factory=list)
    fingerprint: str = ""

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
        if not isinstance(node, ScalarNode):
            self.error(node, f"{what} must be a single value")
            return None
        if node.tag.endswith(":null"):
            return ""
        return " ".join(node.value.split())

    def flag(self, node: Node, what: str) -> bool | None:
        value = (self.text(node, what) or "").lower()
        if value in _TRUE | _FALSE:
            return value in _TRUE
        self.error(node, f"{what} must be true or false, not {value!r}")
        return None

    def texts(self, node: Node, what: str) -> list[tuple[str, Node]]:
        items = node.value if isinstance(node, SequenceNode) else [node]
        out = []
        for item in items:
            value = self.text(item, what)
            if value == "":
                self.error(item, f"empty {what}")
            elif value is not None:
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


def _read(root: Node | None, reader: _Reader, default_name: str, path: Path | None) -> Lexicon:
    lex = Lexicon(name=default_name, path=path)
    top = {}
    for key, key_node, value in reader.mapping(root, "a lexicon file") if root else []:
        if key not in TOP_KEYS:
            reader.error(key_node, f"unknown key {key!r} (known: {', '.join(TOP_KEYS)})")
        else:
            top[key] = value
    if root is None:
        reader.error(None, "empty file")
        return lex
    for key in ("name", "description", "language"):
        if key in top:
            setattr(lex, key, reader.text(top[key], key) or getattr(lex, key))
    if not _NAME_RE.fullmatch(lex.name):
        reader.error(top.get("name"), f"bad lexicon name {lex.name!r}: use letters, digits, "
                                      "'_', '-' or '.'")
    if "overlap" in top:
        lex.overlap = reader.text(top["overlap"], "overlap") or ""
        if lex.overlap not in OVERLAPS:
            reader.error(top["overlap"], f"overlap must be 'all' or 'longest', "
                                         f"not {lex.overlap!r}")
    stem_default = bool(reader.flag(top["stem"], "stem")) if "stem" in top else False
    if "categories" not in top:
        reader.error(root, "no 'categories'")
    else:
        _categories(top["categories"], [], reader, lex, stem_default)
        if not lex.terms and not reader.problems:
            reader.error(top["categories"], "no terms")
    lex.fingerprint = fingerprint(lex.terms, lex.language, lex.overlap)
    return lex


def _categories(node: Node, path: list[str], reader: _Reader, lex: Lexicon, stem: bool) -> None:
    if isinstance(node, SequenceNode) and not path:
        reader.error(node, "categories must map category names to lists of terms")
        return
    if isinstance(node, SequenceNode):
        category = "/".join(path)
        if not node.value:
            reader.error(node, f"category {category!r} has no terms")
        seen: dict[str, int] = {}
        for item in node.value:
            term = _term(item, category, reader, lex, stem)
            if term is None:
                continue
            key = term.label if term.case_sensitive else fold(term.label)
            line = item.start_mark.line + 1 if item.start_mark else 0
            if key in seen:
                reader.error(item, f"duplicate term {term.label!r} in category {category!r}"
                                   + (f" (first on line {seen[key]})" if line else ""))
                continue
            seen[key] = line
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
        _categories(value, [*path, key], reader, lex, stem)


def _term(node: Node, category: str, reader: _Reader, lex: Lexicon, stem: bool) -> Term | None:
    fields: dict[str, Node] = {}
    if isinstance(node, MappingNode):
        for key, key_node, value in reader.mapping(node, "a term"):
            if key not in TERM_KEYS:
                reader.error(key_node, f"unknown term key {key!r} (known: {', '.join(TERM_KEYS)})")
            fields[key] = value
        if "term" not in fields:
            reader.error(node, "a term mapping needs 'term:'")
            return None
        label = reader.text(fields["term"], "term")
    else:
        label = reader.text(node, "a term")
    if label is None:
        return None
    if label == "":
        reader.error(node, "empty term")
        return None
    case = False
    if "case" in fields:
        value = reader.text(fields["case"], "case")
        if value not in ("sensitive", "insensitive"):
            reader.error(fields["case"],
                         f"case must be 'sensitive' or 'insensitive', not {value!r}")
        case = value == "sensitive"
    if "stem" in fields:
        stem = bool(reader.flag(fields["stem"], "stem"))
    lang = None
    if stem:
        try:
            lang = stem_language(lex.language)
        except PatternError as exc:
            reader.error(fields.get("stem", node), str(exc))
    variants = reader.texts(fields["variants"], "variant") if "variants" in fields else []
    excepts = reader.texts(fields["except"], "except phrase") if "except" in fields else []
    ok = True
    kinds = ["term"] + ["variant"] * len(variants) + ["except phrase"] * len(excepts)
    for kind, (text, where) in zip(kinds, [(label, node), *variants, *excepts], strict=True):
        try:
            compile_pattern(text, case, lang)
        except PatternError as exc:
            reader.error(where, f"{kind} {text!r}: {exc}")
            ok = False
    norm = (lambda s: s) if case else fold
    forms = [norm(label)]
    for text, where in variants:
        if norm(text) in forms:
            reader.error(where, f"variant {text!r} repeats term {label!r} or another variant")
            ok = False
        forms.append(norm(text))
    for text, where in excepts:
        if "*" not in text and not stem and not any(f in norm(text) for f in forms):
            reader.error(where, f"except phrase {text!r} does not contain term {label!r} "
                                "or one of its variants, so it can never apply")
            ok = False
    if not ok:
        return None
    return Term(label, category, tuple(v for v, _ in variants), tuple(e for e, _ in excepts),
                case, stem)


def _compose(text: str, reader: _Reader) -> Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        message = " ".join(str(getattr(exc, "problem", None) or exc).split())
        reader.problems.append(
            f"{reader.where}:{mark.line + 1 if mark else 1}: bad YAML: {message}")
        return None


def load_lexicon(path: str | os.PathLike) -> Lexicon:
    """Load and validate a lexicon file; raises :class:`LexiconError` listing all problems."""
    path = Path(path)
    reader = _Reader(str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LexiconError([f"{path}:1: cannot read: {exc}"]) from None
    root = _compose(text, reader)
    if reader.problems:
        raise LexiconError(reader.problems)
    lexicon = _read(root, reader, path.stem, path.resolve())
    if reader.problems:
        raise LexiconError(reader.problems)
    return lexicon


def check_lexicon(path: str | os.PathLike) -> list[str]:
    """Every problem of a lexicon file as ``path:line: message`` (empty when clean)."""
    try:
        load_lexicon(path)
    except LexiconError as exc:
        return exc.problems
    return []


def lexicon_from_dict(data: dict, name: str) -> Lexicon:
    """A validated lexicon from the parsed YAML structure (``name`` is the default name)."""
    root = yaml.representer.SafeRepresenter(sort_keys=False).represent_data(data)
    reader = _Reader(name)
    lexicon = _read(root, reader, name, None)
    if reader.problems:
        raise LexiconError(reader.problems)
    return lexicon


def lexicon_folders() -> list[Path]:
    """Folders in ``MONITOR_LEXICONS`` (first, so they can override), then the shipped one."""
    import monitor

    package = Path(monitor.__file__).resolve().parent
    folders = [Path(p).expanduser() for p in os.environ.get("MONITOR_LEXICONS", "")
               .split(os.pathsep) if p.strip()]
    for shipped in (package / "_lexicons", package.parent / "lexicons"):
        if shipped.is_dir():
            folders.append(shipped)
            break
    return list(dict.fromkeys(f.resolve() for f in folders))


def lexicon_files(folders: list[Path] | None = None) -> list[Path]:
    """Every lexicon file (``*.yaml``, ``*.yml``) in the folders, folder by folder."""
    found = []
    for folder in lexicon_folders() if folders is None else folders:
        folder = Path(folder)
        if folder.is_dir():
            found += sorted(p for p in folder.iterdir()
                            if p.suffix in (".yaml", ".yml") and p.is_file())
    return found


def find_lexicons(folders: list[Path] | None = None) -> list[Path]:
    """One file per lexicon name: where a name is in several folders, the first wins."""
    seen: set[str] = set()
    out = []
    for path in lexicon_files(folders):
        name = lexicon_name(path)
        if name not in seen:
            seen.add(name)
            out.append(path)
    return out


def lexicon_name(path: Path) -> str:
    """The name a lexicon file declares, or its stem (cheap: no validation)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return path.stem
    name = data.get("name") if isinstance(data, dict) else None
    return str(name) if name else path.stem


def resolve_lexicon(name_or_path: str, folders: list[Path] | None = None) -> Lexicon:
    """Load a lexicon by file path, or by name from the lexicon folders (first one wins)."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.is_file() or os.sep in name_or_path:
        if not path.is_file():
            raise LexiconError([f"{name_or_path}: no such lexicon file"])
        return load_lexicon(path)
    for candidate in find_lexicons(folders):
        if lexicon_name(candidate) == name_or_path:
            return load_lexicon(candidate)
    searched = ", ".join(str(f) for f in (folders or lexicon_folders())) or "no folders"
    raise LexiconError([f"no lexicon named {name_or_path!r} in {searched}"])
