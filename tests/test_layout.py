"""The package layout: every module imports, and imports only go down the pipeline's stages.

The stages are the README's Layout table, ground floor first. A module may import from its
own stage or one below it, never from one above, so the tree keeps showing the data flow.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

import monitor

STAGES: list[tuple[str, ...]] = [
    ("monitor.documents", "monitor.text", "monitor.dates", "monitor.workers", "monitor._native"),
    ("monitor.sources",),
    ("monitor.store",),
    ("monitor.lexicon",),
    ("monitor.ingest", "monitor.tally", "monitor.fetch"),
    ("monitor.backfill",),
    ("monitor.trends",),
    ("monitor.analysis",),
    ("monitor.report",),
    ("monitor.schedule",),
    ("monitor.web",),
    ("monitor", "monitor.__main__", "monitor.cli", "monitor.demo", "monitor.entry"),
]
PACKAGE = Path(monitor.__file__).parent


def stage_of(module: str) -> int:
    """The stage of a module: that of the longest stage prefix naming it."""
    best, rank = "", None
    for i, names in enumerate(STAGES):
        for name in names:
            inside = module.startswith(name + ".") and name != "monitor"
            if (module == name or inside) and len(name) > len(best):
                best, rank = name, i
    if rank is None:
        raise AssertionError(f"{module} belongs to no stage: add it to STAGES and the README")
    return rank


def all_modules() -> list[str]:
    found = ["monitor"]
    for info in pkgutil.walk_packages([str(PACKAGE)], prefix="monitor."):
        found.append(info.name)
    return sorted(found)


def module_path(name: str) -> Path:
    parts = name.split(".")[1:]
    base = PACKAGE.joinpath(*parts)
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def imported_modules(name: str) -> list[tuple[int, str]]:
    """(line, absolute module) of every monitor import in the module, lazy ones included."""
    path = module_path(name)
    if not path.is_file():  # a compiled extension (monitor._native): no imports
        return []
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("monitor"):
                # "from . import periods" names a module; "from .x import Name" a name in x
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    found.append((node.lineno, sub if module_path_exists(sub) else target))
    return [(line, mod) for line, mod in found if mod == "monitor" or mod.startswith("monitor.")]


def module_path_exists(name: str) -> bool:
    path = module_path(name)
    compiled = (path.with_name(path.stem + suffix) for suffix in EXTENSION_SUFFIXES)
    return path.is_file() or any(p.is_file() for p in compiled)  # monitor._native


@pytest.mark.parametrize("name", [m for m in all_modules() if m != "monitor.__main__"])
def test_module_imports(name):
    importlib.import_module(name)


def test_imports_only_go_down():
    upward = []
    for name in all_modules():
        rank = stage_of(name)
        for line, target in imported_modules(name):
            if stage_of(target) > rank:
                upward.append(f"{module_path(name).relative_to(PACKAGE.parent)}:{line}: "
                              f"{name} imports {target}, a later stage")
    assert not upward, "\n".join(upward)


def test_stage_check_catches_an_upward_import():
    assert stage_of("monitor.store.database") < stage_of("monitor.trends.series")
    assert stage_of("monitor.cli.trends") == len(STAGES) - 1
    with pytest.raises(AssertionError, match="belongs to no stage"):
        stage_of("monitor.elsewhere")


def test_packages_name_their_public_api():
    for package in ("sources", "store", "lexicon", "trends", "report"):
        module = importlib.import_module(f"monitor.{package}")
        assert module.__doc__, f"monitor.{package} has no docstring"
        for public in module.__all__:
            assert hasattr(module, public), f"monitor.{package}.__all__ names missing {public}"
    from monitor.lexicon import Lexicon, Matcher  # noqa: F401  (the issue's examples)
    from monitor.trends import TrendQuery, trend  # noqa: F401


def test_readme_layout_lists_every_package():
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    for info in pkgutil.iter_modules([str(PACKAGE)]):
        if not info.name.startswith("_"):
            assert f"monitor/{info.name}" in layout, f"README Layout misses monitor/{info.name}"
