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

from collections.abc import Sequence
from dataclasses import dataclass

from .categories import category_plan, category_tree, count_distinct, nesting_terms
from .engine import ENGINES, Side, hyperscan
from .forms import FormMaker, TextForms
from .model import Lexicon, LexiconError, Term
from .patterns import (
    Pattern,
    PatternError,
    compile_pattern,
    fold,
    prepare,
    stem_language,
    visible_offsets,
    without_invisible,
)
from .words import WordTable, head_word

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
        self._sides = [(Side(entries[case], engine), WordTable(tables[case]), form)
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
