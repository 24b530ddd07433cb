"""Big lexicon files keep their parsed, validated form in the compile cache.

Reading a 100,000-term YAML file takes seconds (libyaml, then every term validated and
compiled once); a run that finds the same file again (same text, same code) reads the
cached terms as JSON in a fraction of that. The key is the file's text, its stem (the
name of a file without ``name:``), ENGINE_VERSION and the reading code (``model.py``,
``patterns.py``): an edit of any of them reads the file again. Only files that loaded
without a problem are cached; a damaged entry is ignored.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .cache import cache_key, read_cached, write_cached
from .model import ENGINE_VERSION, Lexicon, Term

HERE = Path(__file__).resolve().parent

#: Files from this size on keep their parsed, validated form in the compile cache (see
#: monitor.lexicon.cache), keyed by their text and this code: a 100,000-term file then
#: loads in a fraction of a second instead of seconds. Small files parse faster than that.
CACHE_MIN_BYTES = 64 * 1024


def parsed_key(path: Path, text: str) -> str | None:
    if len(text) < CACHE_MIN_BYTES:
        return None
    code = [(p.name, p.stat().st_mtime_ns, p.stat().st_size)
            for p in (HERE / "model.py", HERE / "patterns.py")]
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return cache_key("lexicon", 1, ENGINE_VERSION, code, path.stem, digest)


def cache_lexicon(key: str, lex: Lexicon) -> None:
    data = {"name": lex.name, "description": lex.description,
            "language": lex.language, "overlap": lex.overlap, "fingerprint": lex.fingerprint,
            "languages": list(lex.languages),
            "terms": [[t.label, t.category, list(t.variants), list(t.excepts),
                       t.case_sensitive, t.stem] for t in lex.terms]}
    write_cached("lexicons", key, json.dumps(data, ensure_ascii=False).encode("utf-8"))


def cached_lexicon(key: str | None, path: Path) -> Lexicon | None:
    """The lexicon cached under ``key``, or None."""
    if key is None:
        return None
    data = read_cached("lexicons", key)
    if data is None:
        return None
    try:
        raw = json.loads(data)
        lex = Lexicon(name=raw["name"], description=raw["description"],
                      language=raw["language"], path=path.resolve(), overlap=raw["overlap"],
                      terms=[Term(label, category, tuple(variants), tuple(excepts), case, stem)
                             for label, category, variants, excepts, case, stem
                             in raw["terms"]],
                      fingerprint=raw["fingerprint"], languages=tuple(raw["languages"]))
    except (ValueError, KeyError, TypeError):  # a damaged entry: parse the file again
        return None
    return lex
