"""Big lexicons: term texts that start with a plain word, found by looking the text's
words up in a table.

Most terms of a big lexicon are single words without wildcards (``security``,
``national-security``, ``don't``) or phrases starting with one. Under the counting rules
(see :mod:`monitor.lexicon.patterns`) a text word is a run of word characters joined by
single apostrophes or hyphens, and a single-word term matches exactly the text words
equal to it, or to it plus a possessive ``'s``; a phrase can only start at a text word
equal to its first word. So instead of the engine's literals (13 per word, one per kind
of boundary around it, ~28 per phrase: 1.3 million for 100,000 words, minutes to compile
and gigabytes of memory) the matcher keeps a dict from first word to term texts, built
in a second for 100,000 terms and proportional to the lexicon. A text is split into
words once (``re.findall`` and ``Counter``, in C): single-word terms are counted per
distinct word; the words that start a phrase (or a term that needs its spans) are then
walked in order, and each candidate is confirmed by :meth:`Pattern.match_at`, the
engine's own rule. Terms starting with a wildcard, a stem or other characters, and terms
with CJK anywhere (substrings, no word boundaries), stay with the engine.
"""

from __future__ import annotations

from collections import Counter

from .patterns import _WORD_RE, _WS_RE, LIT, Pattern

POSSESSIVE = ("'s", "'S")


def head_word(pattern: Pattern) -> str | None:
    """The plain word a pattern starts with, if the table can find it, else None (also
    for a pattern without a word boundary on its left: one with CJK anywhere matches as
    a substring, so ``a 国`` occurs in ``aa 国``)."""
    kind, literal, _ = pattern.words[0]
    if not pattern.left or kind != LIT or _WORD_RE.fullmatch(literal) is None:
        return None
    return literal


def _forms(word: str) -> tuple[str, ...]:
    return (word, word[:-2]) if word.endswith(POSSESSIVE) else (word,)


class WordTable:
    """Term texts by first word, on one form of the text (folded, or case-sensitive).

    ``entries`` are the matcher's (pattern, fast term or -1, slot): a single-word pattern
    of a term that can simply be added up is counted per distinct word; every other one
    is confirmed where its first word occurs (a phrase whose second word is plain, too,
    only where that word follows).
    """

    def __init__(self, entries: list[tuple[Pattern, int, int]]) -> None:
        counted: dict[str, list[int]] = {}
        single: dict[str, list[tuple[int, int]]] = {}
        pairs: dict[tuple[str, str], list[tuple[Pattern, int, int]]] = {}
        loose: dict[str, list[tuple[Pattern, int, int]]] = {}
        for pattern, fast, slot in entries:
            word = pattern.words[0][1]
            if len(pattern.words) == 1:
                if fast >= 0:
                    counted.setdefault(word, []).append(fast)
                else:
                    single.setdefault(word, []).append((fast, slot))
                continue
            kind, second, _ = pattern.words[1]
            if kind == LIT and _WORD_RE.fullmatch(second):
                pairs.setdefault((word, second), []).append((pattern, fast, slot))
            else:
                loose.setdefault(word, []).append((pattern, fast, slot))
        self.counted = {w: tuple(v) for w, v in counted.items()}
        self.single = {w: tuple(v) for w, v in single.items()}
        self.pairs = {w: tuple(v) for w, v in pairs.items()}
        self.loose = {w: tuple(v) for w, v in loose.items()}
        self.heads = frozenset(w for w, _ in pairs) | frozenset(loose)
        self.placed = frozenset(single) | self.heads  # words whose positions are needed

        self.size = sum(len(v) for table in (self.counted, self.single, self.pairs, self.loose)
                        for v in table.values())

    def __len__(self) -> int:
        return self.size

    def run(self, norm: str, counts: dict, spans: dict, keep_all: bool) -> None:
        """Add what ``norm`` holds to ``counts`` (fast terms) or ``spans`` (slots)."""
        if keep_all:
            self._walk(norm, counts, spans, True)
            return
        counted, placed = self.counted, self.placed
        walk = False
        for word, n in Counter(_WORD_RE.findall(norm)).items():
            for form in _forms(word):
                terms = counted.get(form)
                if terms:
                    for term in terms:
                        counts[term] = counts.get(term, 0) + n
                walk = walk or form in placed
        if walk:
            self._walk(norm, counts, spans, False)

    def _walk(self, norm: str, counts: dict, spans: dict, keep_all: bool) -> None:
        counted, single, heads = self.counted, self.single, self.heads
        pairs, loose = self.pairs, self.loose
        for m in _WORD_RE.finditer(norm):
            word, start = m.group(), m.start()
            for form in _forms(word):
                end = start + len(form)  # one word: the text word (or it less 's)
                if keep_all:
                    for term in counted.get(form, ()):
                        spans.setdefault(2 * term, []).append((start, end))
                for fast, slot in single.get(form, ()):
                    if fast >= 0 and not keep_all:
                        counts[fast] = counts.get(fast, 0) + 1
                    else:
                        spans.setdefault(slot, []).append((start, end))
            if word not in heads:  # a phrase goes on after a space, not after 's
                continue
            found = list(loose.get(word, ()))
            gap = _WS_RE.match(norm, m.end())
            after = gap and _WORD_RE.match(norm, gap.end())
            if after:
                for second in _forms(after.group()):
                    found += pairs.get((word, second), ())
            for pattern, fast, slot in found:
                end = pattern.match_at(norm, start)
                if end < 0:
                    continue
                if fast >= 0 and not keep_all:
                    counts[fast] = counts.get(fast, 0) + 1
                else:
                    spans.setdefault(slot, []).append((start, end))
