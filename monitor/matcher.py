"""Compile a set of lexicons to one multi-pattern automaton and count terms in text.

An engine scans the text once for the *anchors* of all patterns (the literal each
pattern starts with); every candidate is then confirmed by :mod:`monitor.patterns`, the
same code for both engines, so they cannot disagree:

* ``hyperscan``: pure-literal databases (compiled in milliseconds). ASCII anchors are
  searched in an offset-preserving ASCII view of the text (each other character
  becomes ``?``), so offsets are character offsets; other anchors (CJK, accented) in
  the UTF-8 text, whose byte offsets are converted for the few hits.
* ``aho``: one pyahocorasick automaton over the text itself (the fallback where
  hyperscan is not installed; it is x86_64-only).

Counting rules (see the README): every term counts on its own, so overlapping terms
each count; a term's own matches (its text and variants together) never overlap:
leftmost, then longest, wins; a match inside a match of one of the term's ``except``
phrases does not count; a lexicon with ``overlap: longest`` partitions the text
leftmost-longest across all its terms instead (a tie goes to the term listed first).

A :class:`Matcher` pickles as its lexicons and engine name and is recompiled on
unpickling (well under a second for 2,000 terms), so it can go to worker processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter

from .lexicon import Lexicon, LexiconError, Term
from .patterns import (
    ASCII_W,
    GENERAL,
    LITERAL,
    PREFIX1,
    REST_RE,
    SEPARATORS,
    SIMPLE,
    Pattern,
    PatternError,
    compile_pattern,
    ends_word_or_possessive,
    fold,
    prepare,
    starts_word,
    stem_language,
)

try:  # hyperscan is x86_64-only
    import hyperscan
except ImportError:  # pragma: no cover - depends on the platform
    hyperscan = None

ENGINES = ("hyperscan", "aho")


@dataclass(frozen=True)
class Match:
    """One counted occurrence: ``term`` indexes :attr:`Matcher.terms`; str offsets."""

    term: int
    start: int
    end: int


def _collect_hit(gid: int, start: int, end: int, flags: int, hits: list) -> None:
    hits.append((gid, end))


class _Side:
    """Patterns compared on one form of the text (folded, or case-sensitive).

    ``groups[gid]`` lists (confirm, anchor length, pattern, fast term or -1, slot) for
    the patterns sharing anchor ``gid``; ``slot`` is 2 * term index (+1 for excepts).
    ASCII anchors are searched in the ASCII view of the text, others in the text itself.
    """

    def __init__(self, entries: list[tuple[Pattern, int, int]], engine: str) -> None:
        ids: dict[str, int] = {}
        self.groups: list[list[tuple[int, int, Pattern, int, int]]] = []
        for pattern, fast, slot in entries:
            for anchor, confirm in pattern.anchors:
                if anchor not in ids:
                    ids[anchor] = len(self.groups)
                    self.groups.append([])
                if "?" in anchor and confirm in (SIMPLE, PREFIX1):
                    confirm = GENERAL  # "?" in the ASCII view also stands for non-ASCII
                self.groups[ids[anchor]].append((confirm, len(anchor), pattern, fast, slot))
        self.empty = not ids
        plain = {a: i for a, i in ids.items() if a.isascii()}
        other = {a: i for a, i in ids.items() if not a.isascii()}
        self.views = [_scanner(engine, plain, ascii_view=True) if plain else None,
                      _scanner(engine, other, ascii_view=False) if other else None]

    def run(self, norm: str, counts: dict, spans: dict, keep_all: bool) -> None:
        """Confirm every anchor hit in ``norm``; add to ``counts`` or ``spans``."""
        groups, n = self.groups, len(norm)
        seps, word_chars = SEPARATORS, ASCII_W
        word_start, word_end = starts_word, ends_word_or_possessive

        def sink(gid: int, _start: int, end: int, _flags: int = 0, _ctx: object = None) -> None:
            for confirm, alen, pattern, fast, slot in groups[gid]:
                s = end - alen
                if confirm <= PREFIX1:  # SIMPLE or PREFIX1: check the left boundary here
                    if s:
                        c = norm[s - 1]
                        if c not in seps and (c in word_chars or not word_start(norm, s)):
                            continue
                    if confirm == SIMPLE:
                        if end < n:
                            c = norm[end]
                            if c not in seps and (c in word_chars or not word_end(norm, end)):
                                continue
                        e = end
                    else:
                        e = REST_RE.match(norm, end).end()
                elif confirm == LITERAL:
                    e = end
                else:
                    e = pattern.match_at(norm, s)
                    if e < 0:
                        continue
                if fast >= 0 and not keep_all:
                    counts[fast] = counts.get(fast, 0) + 1
                elif slot in spans:
                    spans[slot].append((s, e))
                else:
                    spans[slot] = [(s, e)]

        plain, other = self.views
        if plain is not None:
            plain(norm.encode("ascii", "replace"), sink)
        if other is not None and not norm.isascii():
            other(norm, sink)


def _scanner(engine: str, ids: dict[str, int], ascii_view: bool):
    """A function (text, sink) calling ``sink(gid, 0, end)`` for every anchor hit.

    The ASCII view is ``bytes`` (each non-ASCII character is ``?``, so offsets are
    character offsets); the other view is the ``str`` itself.
    """
    if engine == "aho":
        import ahocorasick

        automaton = ahocorasick.Automaton()
        for anchor, gid in ids.items():
            automaton.add_word(anchor, gid)
        automaton.make_automaton()

        def scan_aho(text, sink) -> None:
            for end, gid in automaton.iter(text.decode("ascii") if ascii_view else text):
                sink(gid, 0, end + 1)

        return scan_aho
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(expressions=[a.encode() for a in ids], ids=list(ids.values()),
               elements=len(ids), flags=0, literal=True)
    if ascii_view:
        return lambda data, sink: db.scan(data, match_event_handler=sink)

    def scan_utf8(text: str, sink) -> None:
        data = text.encode("utf-8")
        hits: list[tuple[int, int]] = []
        db.scan(data, match_event_handler=_collect_hit, context=hits)
        hits.sort(key=itemgetter(1))
        byte = char = 0
        for gid, end in hits:  # byte -> character offsets, walking forward once
            if end != byte:
                char += len(data[byte:end].decode("utf-8"))
                byte = end
            sink(gid, 0, char)

    return scan_utf8


class Matcher:
    """All terms of ``lexicons`` compiled once; ``count`` and ``matches`` per text."""

    def __init__(self, lexicons: Sequence[Lexicon], engine: str = "auto") -> None:
        self._requested = engine
        if engine == "auto":
            engine = "hyperscan" if hyperscan is not None else "aho"
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; use one of {ENGINES} or 'auto'")
        if engine == "hyperscan" and hyperscan is None:
            raise ValueError("engine 'hyperscan' is not installed here; use 'aho'")
        self.lexicons = list(lexicons)
        self.engine = engine
        self.terms: list[tuple[str, Term]] = []
        self._longest: list[int] = []  # per term: its lexicon's number if 'longest', else -1
        entries: dict[bool, list[tuple[Pattern, int, int]]] = {False: [], True: []}
        problems: list[str] = []
        for number, lexicon in enumerate(self.lexicons):
            for term in lexicon.terms:
                index = len(self.terms)
                self.terms.append((lexicon.name, term))
                self._longest.append(number if lexicon.overlap == "longest" else -1)
                try:
                    patterns, excepts = compile_term(term, lexicon.language)
                except PatternError as exc:
                    problems.append(f"{lexicon.name}: term {term.label!r}: {exc}")
                    continue
                simple = (lexicon.overlap == "all" and not term.variants and not term.excepts
                          and patterns[0].overlap_free)
                for pattern, is_except in zip(patterns, excepts, strict=True):
                    entries[pattern.case_sensitive].append(
                        (pattern, index if simple else -1, 2 * index + is_except))
        if problems:
            raise LexiconError(problems)
        self._sides = [(_Side(entries[False], engine), fold),
                       (_Side(entries[True], engine), prepare)]

    def __reduce__(self):
        return (Matcher, (self.lexicons, self._requested))

    def count(self, text: str) -> dict[int, int]:
        """Occurrences per term index (only terms that occur)."""
        counts, spans = self._collect(text, keep_all=False)
        for term, found in self._resolve(spans):
            if found:
                counts[term] = counts.get(term, 0) + len(found)
        return counts

    def matches(self, text: str) -> list[Match]:
        """Every counted occurrence, in text order."""
        _, spans = self._collect(text, keep_all=True)
        out = [Match(term, s, e) for term, found in self._resolve(spans) for s, e in found]
        out.sort(key=lambda m: (m.start, m.end, m.term))
        return out

    def _collect(self, text: str, keep_all: bool):
        counts: dict[int, int] = {}
        spans: dict[int, list[tuple[int, int]]] = {}
        for side, form in self._sides:
            if not side.empty:
                side.run(form(text), counts, spans, keep_all)
        return counts, spans

    def _resolve(self, spans: dict[int, list[tuple[int, int]]]):
        """(term, selected spans) after except phrases and the overlap rule."""
        longest: dict[int, list[tuple[int, int, int]]] = {}
        for slot, found in spans.items():
            if slot & 1:
                continue
            term = slot >> 1
            excepts = spans.get(slot + 1)
            if excepts:
                found = [(s, e) for s, e in found
                         if not any(xs <= s and e <= xe for xs, xe in excepts)]
            if self._longest[term] >= 0:
                longest.setdefault(self._longest[term], []).extend((s, -e, term) for s, e in found)
            else:
                yield term, select(found)
        for triples in longest.values():
            picked: dict[int, list[tuple[int, int]]] = {}
            last = -1
            for s, neg_e, term in sorted(triples):
                if s >= last:
                    picked.setdefault(term, []).append((s, -neg_e))
                    last = -neg_e
            yield from picked.items()


def select(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Non-overlapping spans, leftmost first and then longest (like a regex scan)."""
    out = []
    last = -1
    for s, e in sorted(spans, key=lambda x: (x[0], -x[1])):
        if s >= last:
            out.append((s, e))
            last = e
    return out


def compile_term(term: Term, language: str | None) -> tuple[list[Pattern], list[bool]]:
    """Patterns of a term (text, variants, then except phrases) and which are excepts."""
    lang = stem_language(language) if term.stem else None
    texts = [term.label, *term.variants]
    patterns = [compile_pattern(t, term.case_sensitive, lang) for t in texts]
    patterns += [compile_pattern(t, term.case_sensitive, lang) for t in term.excepts]
    return patterns, [False] * len(texts) + [True] * len(term.excepts)
