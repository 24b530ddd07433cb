"""Category totals: a span of text counts once for a category, the longest where matches nest.

Per-term counts let every term count on its own (``security`` inside *national security*).
A category's occurrences are instead the distinct spans matched by any term of the
category or of its sub-categories, after dropping every span that lies inside another
one (quanteda's ``nested_scope = "key"``): *national security* counts once for
``hard_power`` and once for ``hard_power/security``. Spans that overlap without nesting
both count. Every level of the tree gets its own total.

Most terms can never nest with another term of their tree (two different plain words never
match the same text), so the tally only needs the spans of the few that can:
:func:`nesting_terms` finds them, conservatively, when a matcher is compiled, and
:func:`category_plan` says in which of their categories the spans are needed at all.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from .patterns import REST_RE, fold, is_cjk, is_word_char, stem, stem_language, stem_start

if TYPE_CHECKING:
    from .matcher import Match, Matcher
    from .model import Lexicon, Term


def category_paths(category: str) -> list[str]:
    """The path and its ancestors, outermost first: ``a/b/c`` -> ``a``, ``a/b``, ``a/b/c``."""
    parts = category.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def category_tree(
    lexicons: Sequence[Lexicon],
) -> tuple[list[tuple[str, str]], list[tuple[int, ...]]]:
    """(every (lexicon, category path) at every level, per term its categories' indices)."""
    categories: list[tuple[str, str]] = []
    index: dict[tuple[str, str], int] = {}
    of_term: list[tuple[int, ...]] = []
    for lexicon in lexicons:
        for term in lexicon.terms:
            mine = []
            for path in category_paths(term.category):
                key = (lexicon.name, path)
                if key not in index:
                    index[key] = len(categories)
                    categories.append(key)
                mine.append(index[key])
            of_term.append(tuple(mine))
    return categories, of_term


def distinct_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans that lie inside no other one, each once, in text order."""
    out: list[tuple[int, int]] = []
    reach = -1
    for s, e in sorted(set(spans), key=lambda x: (x[0], -x[1])):
        if e > reach:  # every earlier span starts at or before s: nested iff one reaches e
            out.append((s, e))
            reach = e
    return out


def count_distinct(spans: Iterable[tuple[int, int]]) -> int:
    """``len(distinct_spans(spans))``, sorting one int per span (start first, then the
    longest: ``start * 2**32 - end``) rather than tuples by a key function."""
    reach, n = -1, 0
    for key in sorted({s * _SHIFT - e for s, e in spans}):
        e = -key % _SHIFT
        if e > reach:
            n += 1
            reach = e
    return n


_SHIFT = 1 << 32  # texts are far shorter than 4 G characters


def category_spans(matcher: Matcher, matches: Iterable[Match]) -> dict[int, list[tuple[int, int]]]:
    """Category index (into ``matcher.categories``) -> its counted spans, in text order.

    ``matches`` are ``matcher.matches(text)`` (or any subset, e.g. one lexicon's). The
    number of spans of a category is its stored category count for that text.
    """
    found: dict[int, list[tuple[int, int]]] = {}
    of_term = matcher.term_categories
    for m in matches:
        for c in of_term[m.term]:
            found.setdefault(c, []).append((m.start, m.end))
    return {c: distinct_spans(spans) for c, spans in found.items()}


# -- which terms can nest: decided once per matcher ---------------------------------
# A term text becomes either ("cjk", string without spaces) or ("words", tokens), each
# token (base, is_prefix): the folded word without a possessive, or what it must start with.
def _shape(text: str, term: Term, language: str | None) -> tuple[str, object]:
    if is_cjk(text):
        return "cjk", "".join(fold(text).split())
    tokens = []
    for word in fold(text).split():
        if term.stem and "*" not in word:
            tokens.append((stem_start(word, stem(word, stem_language(language))), True))
        elif "*" in word:
            tokens.append((word.split("*")[0], True))
        else:
            tokens.append((_base(word), False))
    return "words", tuple(tokens)


def _base(word: str) -> str:
    for tail in ("'s", "'"):
        if word.endswith(tail) and len(word) > len(tail):
            return word[: -len(tail)]
    return word


def _token_fits(a: tuple[str, bool], b: tuple[str, bool]) -> bool:
    """Can one text word match both tokens?"""
    (pa, fa), (pb, fb) = a, b
    if fa and fb:
        return pa.startswith(pb) or pb.startswith(pa)
    if fa:
        return pb.startswith(pa)
    if fb:
        return pa.startswith(pb)
    return pa == pb


def _inside(x: tuple[str, object], y: tuple[str, object]) -> bool:
    """Can a match of text shape ``x`` lie within (or on) a match of ``y``?"""
    (kx, vx), (ky, vy) = x, y
    if kx == "cjk":
        return ky == "cjk" and vx in vy  # type: ignore[operator]
    if ky == "cjk":  # a Latin text inside a mixed one: conservatively, any shared word start
        return any(p in vy for p, _ in vx)  # type: ignore[union-attr, operator]
    n, m = len(vx), len(vy)  # type: ignore[arg-type]
    return any(all(_token_fits(vx[j], vy[i + j]) for j in range(n))  # type: ignore[index]
               for i in range(m - n + 1))


def nesting_terms(lexicons: Sequence[Lexicon]) -> frozenset[int]:
    """Indices (in matcher order) of terms whose matches may nest in, or equal, a match of
    another term of the same top-level category. A conservative answer: a term left out
    can never share a span with another term of its tree."""
    out: set[int] = set()
    base = 0
    for lexicon in lexicons:
        if lexicon.overlap == "all":
            groups: dict[str, list[int]] = {}
            for i, term in enumerate(lexicon.terms):
                groups.setdefault(term.category.split("/")[0], []).append(i)
            for members in groups.values():
                if len(members) > 1:
                    out.update(base + i for i in _nesting_in_group(lexicon, members))
        base += len(lexicon.terms)
    return frozenset(out)


def _nesting_in_group(lexicon: Lexicon, members: list[int]) -> set[int]:
    shapes: list[tuple[int, tuple[str, object]]] = []
    for i in members:
        term = lexicon.terms[i]
        for text in (term.label, *term.variants):
            shapes.append((i, _shape(text, term, lexicon.language)))
    exact: dict[str, set[int]] = {}  # word -> shapes having it as a plain token
    prefixes: dict[str, set[int]] = {}  # prefix -> shapes having it as a prefix token
    cjk: list[int] = []
    for k, (_, (kind, value)) in enumerate(shapes):
        if kind == "cjk":
            cjk.append(k)
            continue
        for p, is_prefix in value:  # type: ignore[union-attr]
            (prefixes if is_prefix else exact).setdefault(p, set()).add(k)
    exact_keys, prefix_keys = sorted(exact), sorted(prefixes)

    def starting_with(keys: list[str], table: dict[str, set[int]], head: str) -> set[int]:
        found: set[int] = set()
        for j in range(bisect.bisect_left(keys, head), len(keys)):
            if not keys[j].startswith(head):
                break
            found |= table[keys[j]]
        return found

    def candidates(k: int) -> set[int]:
        kind, value = shapes[k][1]
        if kind == "cjk":
            return set(range(len(shapes)))  # rare: compared with everything
        found: set[int] = set(cjk)
        for p, is_prefix in value:  # type: ignore[union-attr]
            for n in range(1, len(p) + 1):  # prefix tokens this word starts with
                found |= prefixes.get(p[:n], set())
            if is_prefix:
                found |= starting_with(exact_keys, exact, p)
                found |= starting_with(prefix_keys, prefixes, p)
            else:
                found |= exact.get(p, set())
        return found

    nesting: set[int] = set()
    for k, (term, shape) in enumerate(shapes):
        for other in candidates(k):
            o_term, o_shape = shapes[other]
            if o_term != term and (_inside(shape, o_shape) or _inside(o_shape, shape)):
                nesting.update((term, o_term))
    return nesting


# -- per category: which nesting terms need their spans there -------------------------
# A category's total only changes where spans nest inside each other *within it*, so a
# term that can nest with another of its top-level category may still count plainly in
# a sub-category where nothing else nests with it. And a term whose every match lies
# inside a match of a prefix wildcard of the same category (``security`` under
# ``secur*``) never adds a span of its own there: it is left out of that category.
def category_plan(lexicons: Sequence[Lexicon], categories: Sequence[tuple[str, str]],
                  nesting: frozenset[int]) -> dict[int, tuple[tuple[int, ...], tuple[int, ...]]]:
    """For each of the ``nesting`` terms: (categories where its spans are needed,
    categories its count adds to); a category in neither is one it never adds to."""
    index = {key: i for i, key in enumerate(categories)}
    plan: dict[int, tuple[list[int], list[int]]] = {}
    base = 0
    for lexicon in lexicons:
        members: dict[str, list[int]] = {}
        for i, term in enumerate(lexicon.terms):
            if base + i in nesting:
                for path in category_paths(term.category):
                    members.setdefault(path, []).append(i)
        for path, group in members.items():
            c = index[(lexicon.name, path)]
            dropped = _covered(lexicon, group)
            rest = [i for i in group if i not in dropped]
            nest = _nesting_in_group(lexicon, rest) if len(rest) > 1 else set()
            for i in group:
                spans, plain = plan.setdefault(base + i, ([], []))
                if i in nest:
                    spans.append(c)
                elif i not in dropped:
                    plain.append(c)
        base += len(lexicon.terms)
    return {t: (tuple(s), tuple(p)) for t, (s, p) in plan.items()}


def _prefix(text: str) -> str | None:
    """The prefix of a term text that is one word ending in its only ``*`` (``secur*``)."""
    words = fold(text).split()
    if len(words) != 1 or is_cjk(text):
        return None
    word = re.sub(r"\*+", "*", words[0])
    if not word.endswith("*") or "*" in word[:-1] or len(word) < 2 or not is_word_char(word[0]):
        return None
    return word[:-1]


def _covered(lexicon: Lexicon, group: list[int]) -> set[int]:
    """Terms of ``group`` whose every match lies inside a match of a prefix wildcard of
    ``group`` that is not itself covered: a case-insensitive, unstemmed term of one-word
    texts, each the prefix followed by what the wildcard's rest of the word takes."""
    terms = lexicon.terms
    wild = []  # (prefix, term) of the wildcards that count each match of their prefix
    for i in group:
        t = terms[i]
        if not (t.variants or t.excepts or t.case_sensitive):
            p = _prefix(t.label)
            if p is not None:
                wild.append((p, i))
    if not wild:
        return set()
    wild.sort(key=lambda x: (len(x[0]), x[1]))
    covering: list[tuple[str, int]] = []
    out: set[int] = set()

    def covers(p: str, text: str) -> bool:
        q = _prefix(text)
        if q is None:
            words = fold(text).split()
            if len(words) != 1 or is_cjk(text) or "*" in words[0]:
                return False
            q = words[0]
        return q.startswith(p) and REST_RE.fullmatch(q, len(p)) is not None

    for p, i in wild:  # shortest prefixes first: a wildcard only covers a later one
        if any(covers(cp, terms[i].label) for cp, _ in covering):
            out.add(i)
        else:
            covering.append((p, i))
    heads = {i for _, i in covering}
    for i in group:
        t = terms[i]
        if i in heads or i in out or t.case_sensitive or t.stem:
            continue
        texts = (t.label, *t.variants)
        if all(any(covers(p, x) for p, _ in covering) for x in texts):
            out.add(i)
    return out
