"""Where lexicons are found: ``MONITOR_LEXICONS`` folders, then the shipped one."""

from __future__ import annotations

import os
from pathlib import Path

from .model import Lexicon, LexiconError, LexiconFile, load_lexicon

PACKAGE_DIR = Path(__file__).resolve().parents[1]
"""The installed ``monitor`` package: ``_lexicons`` in a wheel, ``../lexicons`` in a checkout."""


def lexicon_folders() -> list[Path]:
    """Folders in ``MONITOR_LEXICONS`` (first, so they can override), then the shipped one."""
    package = PACKAGE_DIR
    folders = [Path(p).expanduser() for p in os.environ.get("MONITOR_LEXICONS", "")
               .split(os.pathsep) if p.strip()]
    for shipped in (package / "_lexicons", package.parent / "lexicons"):
        if shipped.is_dir():
            folders.append(shipped)
            break
    return list(dict.fromkeys(f.resolve() for f in folders))


def missing_lexicon_folders() -> list[str]:
    """Entries of ``MONITOR_LEXICONS`` that are not folders (a typo finds no lexicons)."""
    return [p for p in os.environ.get("MONITOR_LEXICONS", "").split(os.pathsep)
            if p.strip() and not Path(p).expanduser().is_dir()]


def lexicon_files(folders: list[Path] | None = None) -> list[Path]:
    """Every lexicon file (``*.yaml``, ``*.yml``) in the folders, folder by folder."""
    found = []
    for folder in lexicon_folders() if folders is None else folders:
        folder = Path(folder)
        if folder.is_dir():
            found += sorted(p for p in folder.iterdir()
                            if p.suffix in (".yaml", ".yml") and p.is_file())
    return found


def scan_lexicons(folders: list[Path] | None = None) -> list[LexiconFile]:
    """Every lexicon file in the folders (see :func:`lexicon_files`), each parsed once."""
    return [LexiconFile(path) for path in lexicon_files(folders)]


def named_lexicons(folders: list[Path] | None = None) -> dict[str, LexiconFile]:
    """Lexicon name -> file: where a name is in several files, the first one wins."""
    named: dict[str, LexiconFile] = {}
    for file in scan_lexicons(folders):
        named.setdefault(file.name, file)
    return named


def find_lexicons(folders: list[Path] | None = None) -> list[Path]:
    """One file per lexicon name: where a name is in several folders, the first wins."""
    return [file.path for file in named_lexicons(folders).values()]


def lexicon_name(path: Path) -> str:
    """The name a lexicon file declares, or its stem (cheap: no validation)."""
    return LexiconFile(path).name


def resolve_lexicon(name_or_path: str, folders: list[Path] | None = None) -> Lexicon:
    """Load a lexicon by file path, or by name from the lexicon folders (first one wins)."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.is_file() or os.sep in name_or_path:
        if not path.is_file():
            raise LexiconError([f"{name_or_path}: no such lexicon file"])
        return load_lexicon(path)
    if folders is None:
        folders = lexicon_folders()
    found = named_lexicons(folders).get(name_or_path)
    if found is not None:
        return found.load()
    searched = ", ".join(str(f) for f in folders) or "no folders"
    raise LexiconError([f"no lexicon named {name_or_path!r} in {searched}"])
