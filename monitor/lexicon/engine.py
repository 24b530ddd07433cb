"""The engines' scans: a text's literal hits, confirmed by :mod:`monitor.lexicon.patterns`.

A :class:`Side` holds the patterns compared on one form of the text (folded, or
case-sensitive) and the literal databases that find their anchors: hyperscan (the
compiled extension's, where built, else the ``hyperscan`` package's) or pyahocorasick.
Its ``run`` adds each confirmed hit to a text's counts, or to the spans of the terms that
need them; :class:`~monitor.lexicon.matcher.Matcher` puts the sides together.
"""

from __future__ import annotations

import platform
from collections import Counter
from operator import itemgetter

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
    ascii_view,
    ascii_view_utf8,
    ends_word_or_possessive,
    starts_word,
)

try:  # hyperscan is x86_64-only
    import hyperscan
except ImportError:  # pragma: no cover - depends on the platform
    hyperscan = None

ENGINES = ("hyperscan", "aho")


def _collect_hit(gid: int, start: int, end: int, flags: int, hits: list) -> None:
    hits.append((gid, end))


class Side:
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
        exact_hits: list[int] = []  # ids of the exact literals' hits not yet in counts
        exact = 0 if keep_all else self.n_exact  # ids below: only record the hit
        for scan, in_view in self.scans:
            if not in_view and norm.isascii():
                continue  # no non-ASCII literal can occur
            sink = self._sink(norm, 1 if in_view else 0, counts, spans, keep_all,
                              exact, exact_hits.append)
            if in_view:
                if view is None:
                    view = ascii_view(norm) if utf8 is None else ascii_view_utf8(utf8)
                scan(view, exact, exact_hits, counts, sink)
            else:
                scan(norm, exact, exact_hits, counts, sink, utf8)
        for gid, n in Counter(exact_hits).items():
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
    """A function (text, exact, hits, counts, sink, utf8) scanning for the literals ``ids``.

    A hit of literal ``gid < exact`` is only counted: into ``counts`` under its terms
    (``exact_terms[gid]``), or its gid appended to ``hits`` (by the scan, or by ``sink``,
    which records it); any other calls ``sink(gid, 0, end)``. The view is ``bytes`` with one
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

        def scan_aho(text, exact: int, hits: list, _counts: dict, sink,
                     _utf8: bytes | None = None) -> None:
            for end, gid in automaton.iter(text.decode("ascii") if in_view else text):
                if gid < exact:
                    hits.append(gid)
                else:
                    sink(gid, 0, end + 1)

        return scan_aho
    native = native_literals(ids)
    if native is not None:
        offsets, terms = [0], []
        for group in exact_terms:
            terms += group
            offsets.append(len(terms))
        native.set_terms(offsets, terms)

        def scan_hits(data: bytes, exact: int, hits: list, counts: dict) -> list:
            return native.scan(data, exact, counts)
    else:
        db = _hyperscan_database(ids)
        if in_view:
            def scan_view(data: bytes, exact: int, hits: list, counts: dict, sink,
                          _utf8: bytes | None = None) -> None:
                db.scan(data, match_event_handler=sink)

            return scan_view

        def scan_hits(data: bytes, exact: int, hits: list, counts: dict) -> list:
            found: list[tuple[int, int]] = []
            db.scan(data, match_event_handler=_collect_hit, context=found)
            hits += (gid for gid, _ in found if gid < exact)
            return [h for h in found if h[0] >= exact]

    if in_view:
        def scan_view_hits(data: bytes, exact: int, hits: list, counts: dict, sink,
                           _utf8: bytes | None = None) -> None:
            for gid, end in scan_hits(data, exact, hits, counts):
                sink(gid, 0, end)

        return scan_view_hits

    def scan_utf8(text: str, exact: int, hits: list, counts: dict, sink,
                  utf8: bytes | None = None) -> None:
        data = text.encode("utf-8") if utf8 is None else utf8
        rest = scan_hits(data, exact, hits, counts)
        rest.sort(key=itemgetter(1))
        byte = char = 0
        for gid, end in rest:
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
