"""Lexicons and matching: a lexicon compiles to a matcher, and the matcher scans documents.

``model`` reads and validates lexicon YAML (:class:`Lexicon`, :class:`Term`); ``folders``
finds lexicons by name or path; ``formats`` imports LIWC and quanteda dictionaries;
``patterns`` holds the word and phrase rules both engines share; ``matcher`` is the
:class:`Matcher` (hyperscan, or pyahocorasick where hyperscan is missing); ``cache`` keeps
compiled hyperscan databases on disk.
"""

from __future__ import annotations

from .categories import category_paths, category_spans, distinct_spans
from .folders import (
    find_lexicons,
    lexicon_files,
    lexicon_folders,
    missing_lexicon_folders,
    named_lexicons,
    resolve_lexicon,
    scan_lexicons,
)
from .formats import import_lexicon, to_yaml
from .matcher import ENGINES, Match, Matcher
from .model import (
    ENGINE_VERSION,
    Lexicon,
    LexiconError,
    LexiconFile,
    Term,
    check_lexicon,
    lexicon_from_dict,
    load_lexicon,
    name_problem,
)

__all__ = [
    "ENGINES", "ENGINE_VERSION", "Lexicon", "LexiconError", "LexiconFile", "Match", "Matcher",
    "Term", "category_paths", "category_spans", "check_lexicon", "distinct_spans",
    "find_lexicons", "import_lexicon", "lexicon_files",
    "lexicon_folders", "lexicon_from_dict", "load_lexicon", "missing_lexicon_folders",
    "name_problem", "named_lexicons",
    "resolve_lexicon", "scan_lexicons", "to_yaml",
]
