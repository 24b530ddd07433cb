"""Compile a set of lexicons to one multi-pattern automaton and count terms in text.

An engine scans the text once for the *literals* of all patterns (see
``patterns.anchors``); each hit is then confirmed by :mod:`monitor.lexicon.patterns`, the same
code for both engines, so they cannot disagree:

* ``hyperscan``: pure-literal databases (compiled in well under a second for 2,000
  terms). ASCII literals are searched in the text's ASCII view, which has one byte per
  character; others (CJK, accented) in the UTF-8 text, whose byte offsets are converted
  only for the hits that need them.
* ``aho``: pyahocorasick automatons over the same view and text (the fallback where
  hyperscan is missing: it is x86_64-only).

Most hits of plain words carry their word boundaries in the literal itself (a separator
on each side); for a term that can simply be added up such a hit is only recorded, and
counted in one go at the end. Everything else goes through the hit callback.

Counting rules (see the README): every term counts on its own, so overlapping terms
each count; a term's own matches (its text and variants together) never overlap:
leftmost, then longest, wins; a match inside a match of one of the term's ``except``
phrases does not count; a lexicon with ``overlap: longest`` partitions the text
leftmost-longest across all its terms instead (a tie goes to the term listed first).

A :class:`Matcher` pickles as its lexicons and engine name and is recompiled when
unpickled, so it can be sent to worker processes. Hyperscan databases are cached on disk
by the hash of their literals (:mod:`monitor.lexicon.cache`): the second compile of the same
terms loads in microseconds instead of half a second.
"""

from __future__ import annotations

import platform
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter

from .categories import category_plan, category_tree, count_distinct, nesting_terms
from .forms import FormMaker, TextForms
from .model import Lexicon, LexiconError, Term
from .native import literals as native_literals
from .patterns import (
    ASCII_W,
    HIT_BOTH,
    HIT_EXTEND,
    HIT_LEFT_EXTEND,
    HIT_OK,
    REST_RE,
    SEPARATORS,
    Pattern,
    PatternError,
    ascii_view,
    ascii_view_utf8,
    compile_pattern,
    ends_word_or_possessive,
    fold,
    prepare,
    starts_word,
    stem_language,
    visible_offsets,
    without_invisible,
)
from .words import WordTable, head_word

try:  # hyperscan is x86_64-only
    import hyperscan
except ImportError:  # pragma: no cover - depends on the platform
    hyperscan = None

ENGINES = ("hyperscan", "aho")
#: From this many plain one-word terms (of one case) on, every term text starting with a
#: plain word is found with a word table (:mod:`monitor.lexicon.words`) rather than
#: engine literals: the engine scans a few thousand terms 2-4x faster, but its compile
#: time and memory grow with 13 literals per word (100,000 words: ~10 minutes, 3.4 GB).
WORD_TABLE_MIN = 5000


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

    ``groups[gid]`` lists (HIT_* code, tail, length, pattern, fast term or -1, slot) for
    the patterns found by literal ``gid``; ``slot`` is 2 * term index (+1 for excepts).
    *Exact* literals, whose every hit is a counted match of a term that can simply be
    added up, get the lowest ids: in ``count`` their hits are only recorded and counted
    in one go. View literals are searched in the text's ASCII view, others in the text.
    """

    def __init__(self, entries: list[tuple[Pattern, int, int]], engine: str) -> None:
        found: dict[tuple[str, bool], list] = {}
        for pattern, fast, slot in entries:
            for literal, code, in_view, tail, length in pattern.anchors:
                found.setdefault((literal, in_view), []).append(
                    (code, tail, length, pattern, fast, slot))

        def exact(group: list) -> bool:
            return all(e[0] in (HIT_OK, HIT_EXTEND) and e[4] >= 0 for e in group)

        # exact literals get the lowest ids: the hit callback tells them apart by id
        keys = sorted(found, key=lambda k: not exact(found[k]))
        self.groups = [found[k] for k in keys]
        self.n_exact = sum(1 for group in self.groups if exact(group))
        self.exact_terms = [[e[4] for e in group] for group in self.groups[: self.n_exact]]
        self.empty = not keys
        self.scans = []  # (scan function, in_view)
        for in_view in (True, False):
            chosen = {k[0]: gid for gid, k in enumerate(keys) if k[1] == in_view}
            if chosen:
                self.scans.append((_scanner(engine, chosen, in_view, self.exact_terms),
                                   in_view))

    def run(self, norm: str, counts: dict, spans: dict, keep_all: bool,
            utf8: bytes | None = None, view: bytes | None = None) -> None:
        """Confirm every literal hit in ``norm`` (``utf8``, ``view``: its UTF-8 and ASCII
        view, if at hand); add to ``counts`` or ``spans``."""
        exact_hits: list[int] = []
        found: Counter[int] = Counter()  # hits of exact literals not yet in counts, by id
        exact = 0 if keep_all else self.n_exact  # ids below: only record the hit
        for scan, in_view in self.scans:
            if not in_view and norm.isascii():
                continue  # no non-ASCII literal can occur
            sink = self._sink(norm, 1 if in_view else 0, counts, spans, keep_all,
                              exact, exact_hits.append)
            if in_view:
                if view is None:
                    view = ascii_view(norm) if utf8 is None else ascii_view_utf8(utf8)
                scan(view, exact, found, counts, sink)
            else:
                scan(norm, exact, found, counts, sink, utf8)
        found.update(exact_hits)
        for gid, n in found.items():
            for term in self.exact_terms[gid]:
                counts[term] = counts.get(term, 0) + n

    def _sink(self, norm: str, shift: int, counts: dict, spans: dict, keep_all: bool,
              exact: int, record):
        """The hit callback: ``end - shift`` is where the literal ends in ``norm``; a
        literal ``gid < exact`` is only recorded (one Python call per hit, not two)."""
        groups, n = self.groups, len(norm)
        seps, word_chars = SEPARATORS, ASCII_W
        word_start, word_end = starts_word, ends_word_or_possessive

        def sink(gid: int, _start: int, end: int, _flags: int = 0, _ctx: object = None) -> None:
            if gid < exact:
                record(gid)
                return
            for code, tail, alen, pattern, fast, slot in groups[gid]:
                e = end - shift - tail
                s = e - alen
                if code == HIT_OK:
                    pass
                elif code <= HIT_BOTH:
                    if code == HIT_BOTH and s:
                        c = norm[s - 1]
                        if c not in seps and (c in word_chars or not word_start(norm, s)):
                            continue
                    if e < n:
                        c = norm[e]
                        if c not in seps and (c in word_chars or not word_end(norm, e)):
                            continue
                elif code <= HIT_LEFT_EXTEND:
                    if code == HIT_LEFT_EXTEND and s:
                        c = norm[s - 1]
                        if c not in seps and (c in word_chars or not word_start(norm, s)):
                            continue
                    e = REST_RE.match(norm, e).end()
                else:
                    if s < 0 or e > n:  # a "\x01" literal hit the view's padding
                        continue
                    e = pattern.match_at(norm, s)
                    if e < 0:
                        continue
                if fast >= 0 and not keep_all:
                    counts[fast] = counts.get(fast, 0) + 1
                elif slot in spans:
                    spans[slot].append((s, e))
                else:
                    spans[slot] = [(s, e)]

        return sink


def _scanner(engine: str, ids: dict[str, int], in_view: bool, exact_terms: list[list[int]]):
    """A function (text, exact, found, counts, sink, utf8) scanning for the literals ``ids``.

    A hit of literal ``gid < exact`` is only counted: into ``counts`` under its terms
    (``exact_terms[gid]``), or in ``found`` (a Counter by gid), or by ``sink``, which
    records it; any other calls ``sink(gid, 0, end)``. The view is ``bytes`` with one
    byte per character; the text itself is a ``str``, which hyperscan scans as UTF-8:
    its byte offsets are converted to character offsets for the hits that go to
    ``sink`` (``utf8``: its UTF-8, if at hand). With the compiled extension
    (:mod:`monitor.lexicon.native`) hits are gathered and counted in C and only those
    that need confirming reach Python.
    """
    if engine == "aho":
        import ahocorasick

        automaton = ahocorasick.Automaton()
        for literal, gid in ids.items():
            automaton.add_word(literal, gid)
        automaton.make_automaton()

        def scan_aho(text, exact: int, found: Counter, _counts: dict, sink,
                     _utf8: bytes | None = None) -> None:
            counted = []
            for end, gid in automaton.iter(text.decode("ascii") if in_view else text):
                if gid < exact:
                    counted.append(gid)
                else:
                    sink(gid, 0, end + 1)
            found.update(counted)

        return scan_aho
    native = native_literals(ids)
    if native is not None:
        offsets, terms = [0], []
        for group in exact_terms:
            terms += group
            offsets.append(len(terms))
        native.set_terms(offsets, terms)

        def scan_hits(data: bytes, exact: int, found: Counter, counts: dict) -> list:
            return native.scan(data, exact, counts)
    else:
        db = _hyperscan_database(ids)
        if in_view:
            def scan_view(data: bytes, exact: int, found: Counter, counts: dict, sink,
                          _utf8: bytes | None = None) -> None:
                db.scan(data, match_event_handler=sink)

            return scan_view

        def scan_hits(data: bytes, exact: int, found: Counter, counts: dict) -> list:
            hits: list[tuple[int, int]] = []
            db.scan(data, match_event_handler=_collect_hit, context=hits)
            found.update(gid for gid, _ in hits if gid < exact)
            return [h for h in hits if h[0] >= exact]

    if in_view:
        def scan_view_hits(data: bytes, exact: int, found: Counter, counts: dict, sink,
                           _utf8: bytes | None = None) -> None:
            for gid, end in scan_hits(data, exact, found, counts):
                sink(gid, 0, end)

        return scan_view_hits

    def scan_utf8(text: str, exact: int, found: Counter, counts: dict, sink,
                  utf8: bytes | None = None) -> None:
        data = text.encode("utf-8") if utf8 is None else utf8
        hits = scan_hits(data, exact, found, counts)
        hits.sort(key=itemgetter(1))
        byte = char = 0
        for gid, end in hits:
            if end != byte:  # byte -> character offsets, walking forward once
                char += len(data[byte:end].decode("utf-8"))
                byte = end
            sink(gid, 0, char)

    return scan_utf8


def _hyperscan_database(ids: dict[str, int]):
    """A block-mode literal database for ``ids``, from the compile cache when it is there."""
    from .cache import cache_key, cached_bytes

    def build() -> bytes:
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        db.compile(expressions=[a.encode() for a in ids], ids=list(ids.values()),
                   elements=len(ids), flags=0, literal=True)
        return hyperscan.dumpb(db)

    def load(data: bytes):
        db = hyperscan.loadb(data, mode=hyperscan.HS_MODE_BLOCK)
        db.scratch = hyperscan.Scratch(db)  # a loaded database comes without one
        return db

    key = cache_key(sorted(ids.items()), hyperscan.__version__, platform.machine())
    return cached_bytes("hyperscan", key, build, load)


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
        # terms whose hits are their matches, one per occurrence (the fast path adds them
        # up; those that can nest keep their spans for the category totals, unselected)
        self._free: set[int] = set()
        entries: dict[bool, list[tuple[Pattern, int, int]]] = {False: [], True: []}
        problems: list[str] = []
        #: (lexicon name, category path) at every level of each lexicon's tree
        self.categories, self.term_categories = category_tree(self.lexicons)
        #: terms whose category totals are not just their counts added to every level of
        #: their path (see monitor.lexicon.categories): :meth:`tally_parts` gives them
        plan = category_plan(self.lexicons, self.categories, nesting_terms(self.lexicons))
        self.nesting = frozenset(t for t, (spans, plain) in plan.items()
                                 if spans or len(plain) != len(self.term_categories[t]))
        # per nesting term: the categories needing its spans, those its count adds to
        self._span_cats = {t: spans for t, (spans, _) in plan.items() if spans}
        self._plain_cats = {t: plain for t, (_, plain) in plan.items()
                            if plain and t in self.nesting}
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
                free = (lexicon.overlap == "all" and not term.variants and not term.excepts
                        and patterns[0].overlap_free)
                if free:
                    self._free.add(index)
                simple = free and index not in self._span_cats
                for pattern, is_except in zip(patterns, excepts, strict=True):
                    entries[pattern.case_sensitive].append(
                        (pattern, index if simple else -1, 2 * index + is_except))
        if problems:
            raise LexiconError(problems)
        tables: dict[bool, list[tuple[Pattern, int, int]]] = {False: [], True: []}
        for case, found in entries.items():
            plain = sum(1 for p, fast, _ in found if fast >= 0 and len(p.words) == 1
                        and head_word(p) is not None)
            if plain >= WORD_TABLE_MIN:  # a big lexicon: see monitor.lexicon.words
                tables[case] = [e for e in found if head_word(e[0]) is not None]
                entries[case] = [e for e in found if head_word(e[0]) is None]
        self._sides = [(_Side(entries[case], engine), WordTable(tables[case]), form)
                       for case, form in ((False, fold), (True, prepare))]
        self._forms = FormMaker(engine == "hyperscan")

    def __reduce__(self):
        return (Matcher, (self.lexicons, self._requested))

    def count(self, text: str) -> dict[int, int]:
        """Occurrences per term index (only terms that occur)."""
        counts, spans = self._collect(text, keep_all=False)
        for term, found in self._resolve(spans):
            if found:
                counts[term] = counts.get(term, 0) + len(found)
        return counts

    def tally(self, text: str) -> tuple[dict[int, int], dict[int, int]]:
        """(occurrences per term index, per category index): what the tally stores.

        A category counts each span once, the longest where its terms' matches nest (see
        :mod:`monitor.lexicon.categories`); only terms that can nest need their spans.
        """
        counts, categories = self.tally_parts(text)
        of_term, nesting = self.term_categories, self.nesting
        for term, n in counts.items():
            if term not in nesting:
                for c in of_term[term]:
                    categories[c] = categories.get(c, 0) + n
        return counts, categories

    def tally_parts(self, text: str | bytes) -> tuple[dict[int, int], dict[int, int]]:
        """(occurrences per term index, per category index from the :attr:`nesting` terms
        alone): :meth:`tally` without adding up the other terms into their categories,
        which a caller scanning many texts can do for all of them at once. ``text`` may be
        UTF-8 ``bytes``, as the tally reads it from the database."""
        forms = None
        if isinstance(text, bytes):
            forms = self._forms.make_utf8(text)
            if forms is None:
                text = text.decode("utf-8", "replace")
        counts, spans = self._collect(text, keep_all=False, forms=forms)
        span_cats, plain_cats = self._span_cats, self._plain_cats
        cat_spans: dict[int, list[tuple[int, int]]] = {}
        for term, found in self._resolve(spans):
            if found:
                counts[term] = counts.get(term, 0) + len(found)
                for c in span_cats.get(term, ()):
                    if c in cat_spans:
                        cat_spans[c] += found
                    else:
                        cat_spans[c] = list(found)
        categories = {c: count_distinct(found) for c, found in cat_spans.items()}
        for term in plain_cats.keys() & counts.keys():
            n = counts[term]
            for c in plain_cats[term]:
                categories[c] = categories.get(c, 0) + n
        return counts, categories

    def category_counts(self, text: str) -> dict[int, int]:
        """Occurrences per category index, from every match's span (the reference for
        :meth:`tally`)."""
        from .categories import category_spans

        return {c: len(s) for c, s in category_spans(self, self.matches(text)).items()}

    def category_spans(self, text: str) -> dict[int, list[tuple[int, int]]]:
        """Category index -> its counted spans in text order (KWIC lines of a category)."""
        from .categories import category_spans

        return category_spans(self, self.matches(text))

    def matches(self, text: str) -> list[Match]:
        """Every counted occurrence, in text order, with spans in ``text`` as given."""
        visible = without_invisible(text)
        _, spans = self._collect(visible, keep_all=True)
        out = [Match(term, s, e) for term, found in self._resolve(spans) for s, e in found]
        if visible is not text:  # back to offsets in the text with its invisible characters
            at = visible_offsets(text)
            out = [Match(m.term, at[m.start], at[m.end - 1] + 1) for m in out]
        out.sort(key=lambda m: (m.start, m.end, m.term))
        return out

    def _collect(self, text: str | bytes, keep_all: bool, forms: TextForms | None = None):
        """Counts and spans in ``text`` (which may hold invisible characters: offsets are
        then those of ``without_invisible(text)``); ``forms``: its forms, if made already
        (then ``text`` is not read)."""
        counts: dict[int, int] = {}
        spans: dict[int, list[tuple[int, int]]] = {}
        if forms is None:
            forms = self._forms.make(text)
        if forms is None:
            text = without_invisible(text)
        for side, words, form in self._sides:
            if side.empty and not words:
                continue
            data = view = None
            if forms is None:
                norm = form(text)
            elif form is fold:
                norm, data, view = forms.folded, forms.folded_utf8, forms.view
            else:
                norm, data = forms.prepared, forms.prepared_utf8
            if not side.empty:
                side.run(norm, counts, spans, keep_all, data, view)
            if words:
                words.run(norm, counts, spans, keep_all)
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
                yield term, found if term in self._free else select(found)
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
