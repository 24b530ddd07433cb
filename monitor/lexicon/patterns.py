"""How one term text (a term, a variant or an except phrase) matches text.

Both matching engines share this module: an engine only finds *anchors* (the literal
start of a pattern) in the text; every candidate is then confirmed here, at the
candidate's start. So the engines cannot disagree on the rules, which are:

* Text is compared after :func:`fold` (case-insensitive terms) or :func:`prepare`
  (``case: sensitive``); both map the curly apostrophe ’ to ' and keep every offset.
  Invisible formatting characters (:data:`INVISIBLE`: zero-width spaces and joiners,
  soft hyphens, direction marks, BOMs) are removed first (:func:`without_invisible`), so
  ``secu\u200brity`` is ``security``; the matcher maps spans back to the text as stored.
* A *word character* is a letter, digit or underscore (Python's ``\\w``) that is not
  Chinese, Japanese or Korean. An apostrophe or hyphen between two word characters
  joins them into one word (``don't``, ``national-security``), as in ``monitor.text``.
* A Latin-script pattern matches whole words: it may not start or end inside a word,
  except that a possessive ``'s`` may follow (``China's`` counts ``china``). Boundaries
  are only required where the pattern itself starts or ends with a word character.
* Whitespace in a pattern matches any run of whitespace, line breaks included, and
  nothing else: ``security. Council`` is not ``security council``.
* ``*`` at the end of a word matches the rest of the word, hyphenated or apostrophe'd
  parts included (``militar*``: ``military-industrial``); inside a word it matches any
  run of word characters (``organi*ation``). A word may not start with ``*``.
* A pattern containing a CJK character matches as a plain substring (no wildcards).
* ``stem``: a word matches when it has the pattern word's Snowball stem and starts with
  the stem's first letters (all but the last; see :func:`stem_start`). Every stemmed
  word of a phrase must, so a few irregular forms are missed (``dying`` for ``die``,
  German umlaut plurals).
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache

from ..text import _CJK

NONLATIN = _CJK + "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"  # Han, kana, Hangul
_NONLATIN_RE = re.compile(f"[{NONLATIN}]")
W = rf"[^\W{NONLATIN}]"  # slow to compile (~3 ms): only in the shared regexes below
_W_RE = re.compile(W)
_WS_RE = re.compile(r"\s+")
REST_RE = re.compile(rf"{W}*(?:['\-]{W}+)*")
_WORD_RE = re.compile(rf"{W}+(?:['\-]{W}+)*")
_INNER = rf"{W}*"
_POSSESSIVE = re.compile(r"'s?$")
ASCII_W = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
JOINERS = frozenset("'-")
SEPARATORS = frozenset(chr(i) for i in range(128)) - ASCII_W - JOINERS  # ASCII, never joined

LANGUAGES = {
    "ar": "arabic", "da": "danish", "nl": "dutch", "en": "english", "fi": "finnish",
    "fr": "french", "de": "german", "hu": "hungarian", "it": "italian", "no": "norwegian",
    "nb": "norwegian", "pt": "portuguese", "ro": "romanian", "ru": "russian",
    "es": "spanish", "sv": "swedish",
}
LIT, PREFIX, STEM = 0, 1, 2  # kinds of pattern word: literal, literal + "*", stemmed
SIMPLE, PREFIX1, LITERAL, GENERAL = 0, 1, 2, 3  # what a match start needs (compile_pattern)
# What is left to confirm for a hit of an engine literal (see anchors()): nothing, the
# word end after it, both word boundaries, extend to the end of the word (after checking
# the left boundary), or everything (Pattern.match_at).
HIT_OK, HIT_RIGHT, HIT_BOTH, HIT_EXTEND, HIT_LEFT_EXTEND, HIT_GENERAL = range(6)
Anchor = tuple[str, int, bool, int, int]  # literal, HIT_*, in view, tail, length


# Unicode format characters (category Cf) of the Basic Multilingual Plane and the
# combining grapheme joiner draw nothing; the "prepended concatenation marks" (Arabic
# number signs...) are Cf but visible.
_VISIBLE_CF = {0x600, 0x601, 0x602, 0x603, 0x604, 0x605, 0x6DD, 0x70F, 0x890, 0x891, 0x8E2}
INVISIBLE = "".join(chr(i) for i in range(0x10000)
                    if (i == 0x34F or unicodedata.category(chr(i)) == "Cf")
                    and i not in _VISIBLE_CF)
_INVISIBLE_RE = re.compile(f"[{re.escape(INVISIBLE)}]+")


def without_invisible(text: str) -> str:
    """``text`` without :data:`INVISIBLE` characters (``text`` itself if it has none).

    Testing each character with ``in`` is ~10x faster than a regex search of the class.
    """
    if text.isascii() or not any(char in text for char in INVISIBLE):
        return text
    return _INVISIBLE_RE.sub("", text)


def visible_offsets(text: str) -> list[int]:
    """The offset in ``text`` of each character :func:`without_invisible` keeps."""
    return [i for i, c in enumerate(text) if _INVISIBLE_RE.match(c) is None]


def invisible_problem(text: str) -> str | None:
    """Why a term text cannot be used because of an invisible character, or None."""
    found = _INVISIBLE_RE.search(text)
    if found is None:
        return None
    char = found.group()[0]
    name = "BYTE ORDER MARK" if char == "\ufeff" else unicodedata.name(char, "FORMAT CHARACTER")
    return (f"contains an invisible character (U+{ord(char):04X} {name}); delete it: "
            "matching ignores such characters in documents")


class PatternError(ValueError):
    """A term text that cannot be compiled; the message says why."""


def prepare(text: str) -> str:
    """The text as case-sensitive patterns see it: ’ becomes ', nothing else changes."""
    return text.replace("\u2019", "'")


def fold(text: str) -> str:
    """Lower-case ``text`` without changing its length (so offsets stay valid).

    ``str.lower`` is used when it keeps the length (nearly always); otherwise each
    character is lowered alone and, where that would lengthen it (``İ``), cut to one
    character. Final sigma is folded to σ so lowering a word alone or in context agrees.
    """
    low = text.lower()
    if len(low) != len(text):
        low = "".join([c.lower()[0] for c in text])
    return low.replace("\u2019", "'").replace("\u03c2", "\u03c3")


def is_word_char(char: str) -> bool:
    if char < "\x80":
        return char in ASCII_W
    return _W_RE.match(char) is not None


def is_cjk(text: str) -> bool:
    return _NONLATIN_RE.search(text) is not None


def starts_word(text: str, i: int) -> bool:
    """True if no word runs into position ``i`` from the left."""
    if i == 0:
        return True
    c = text[i - 1]
    if c in SEPARATORS:
        return True
    if c in JOINERS:
        return i < 2 or not is_word_char(text[i - 2])
    return not is_word_char(c)


def ends_word(text: str, i: int) -> bool:
    """True if no word continues at position ``i``."""
    if i >= len(text):
        return True
    c = text[i]
    if c in SEPARATORS:
        return True
    if c in JOINERS:
        return i + 1 >= len(text) or not is_word_char(text[i + 1])
    return not is_word_char(c)


def ends_word_or_possessive(text: str, i: int) -> bool:
    """Word end at ``i``, or a possessive ``'s`` at ``i`` followed by a word end."""
    return ends_word(text, i) or (
        text.startswith("'", i) and text[i + 1: i + 2] in ("s", "S") and ends_word(text, i + 2)
    )


def stem_language(language: str | None) -> str:
    """The Snowball language for a lexicon language code (default english)."""
    if not language:
        return "english"
    key = language.lower().split("-")[0].split("_")[0]
    name = LANGUAGES.get(key, key)
    if name not in set(LANGUAGES.values()):
        raise PatternError(f"stemming is not available for language {language!r}")
    return name


@cache
def _stemmer(language: str):
    from nltk.stem.snowball import SnowballStemmer  # data-free: needs no nltk.download

    return SnowballStemmer(language)


@lru_cache(maxsize=200_000)
def stem(word: str, language: str) -> str:
    """Snowball stem of ``word`` (lower-cased, possessive stripped), cached."""
    return _stemmer(language).stem(_POSSESSIVE.sub("", word.lower()))


def stem_start(word: str, target: str) -> str:
    """What a word must start with to match the stemmed pattern word ``word``.

    The stem's letters but its last, as far as ``word`` itself starts with them (a stem
    may change letters: ``happy`` -> ``happi``), and at least ``word``'s first letter.
    """
    return os.path.commonprefix([target[: max(len(target) - 1, 1)], word]) or word[0]


@lru_cache(maxsize=4096)
def _inner_regex(words: tuple[tuple[int, str, str], ...]) -> re.Pattern[str]:
    """A regex for the words of a pattern with an inner wildcard (rare; slow to compile)."""
    parts = []
    for kind, literal, _ in words:
        if kind == STEM:
            parts.append(f"({_WORD_RE.pattern})")
            continue
        body = _INNER.join(map(re.escape, literal.split("*")))
        parts.append(body + (REST_RE.pattern if kind == PREFIX else ""))
    return re.compile(r"\s+".join(parts))


@dataclass(frozen=True)
class Pattern:
    """A compiled term text, matched against the folded (or prepared) text.

    ``words``: (kind, literal, stem) per pattern word; ``starts``: what a text word must
    start with to match each of them (see :func:`stem_start`; "" for words that are not
    stemmed). ``anchors``: what engines search
    for, as (literal, HIT_* code, in_view, tail, length): every match is found by exactly
    one literal (see :func:`anchors`); ``in_view`` literals are searched in
    :func:`ascii_view`, the others in the text itself; the matched text ends ``tail``
    characters before the literal does and is ``length`` long (a view literal may carry
    one character of context on each side). ``anchor``: what every match starts with.
    """

    words: tuple[tuple[int, str, str], ...]
    starts: tuple[str, ...]
    anchor: str
    match_starts: tuple[tuple[str, int], ...]  # what anchors() makes the literals of
    left: bool
    right: bool
    language: str | None
    case_sensitive: bool
    inner: bool  # some word has a * inside it: confirmed with a regex
    overlap_free: bool  # two matches of this pattern can never overlap

    @cached_property
    def anchors(self) -> tuple[Anchor, ...]:
        """Built when an engine needs them (a term counted by the word table never does)."""
        return anchors(list(self.match_starts), self.left)

    def match_at(self, text: str, start: int) -> int:
        """End of the match starting at ``start``, or -1."""
        if self.left and not starts_word(text, start):
            return -1
        if self.inner:
            m = _inner_regex(self.words).match(text, start)
            if m is None:
                return -1
            stemmed = [(t, s) for (kind, _, t), s in zip(self.words, self.starts, strict=True)
                       if kind == STEM]
            for g, (t, s) in zip(m.groups(), stemmed, strict=True):
                if not g.startswith(s) or stem(g, self.language or "english") != t:
                    return -1
            pos = m.end()
        else:
            pos = start
            for i, (kind, literal, target) in enumerate(self.words):
                if i:
                    m = _WS_RE.match(text, pos)
                    if m is None:
                        return -1
                    pos = m.end()
                if kind == STEM:
                    m = _WORD_RE.match(text, pos)
                    if (m is None or not text.startswith(self.starts[i], pos)
                            or stem(m.group(), self.language or "english") != target):
                        return -1
                    pos = m.end()
                    continue
                if not text.startswith(literal, pos):
                    return -1
                pos += len(literal)
                if kind == PREFIX:
                    pos = REST_RE.match(text, pos).end()
        if self.right and not ends_word_or_possessive(text, pos):
            return -1
        return pos


_JOINED = re.compile(rf"(?:{W}|\*)+(?:['\-](?:{W}|\*)+)*")


def compile_pattern(
    raw: str, case_sensitive: bool = False, stem_lang: str | None = None
) -> Pattern:
    """Compile one term text; ``stem_lang`` (a Snowball language) turns stemming on.

    Confirm kinds of anchors: SIMPLE (the anchor is the whole match: check the word
    boundaries around it), PREFIX1 (one word ending in ``*``: check the left boundary and
    extend to the end of the word), LITERAL (CJK: the anchor is the match), GENERAL
    (:meth:`Pattern.match_at`).
    """
    norm = prepare if case_sensitive else fold
    words_in = [norm(w) for w in raw.split()]
    if not words_in:
        raise PatternError("empty term")
    cjk = is_cjk(raw)
    if cjk and "*" in raw:
        raise PatternError("wildcards are not supported in CJK terms")
    if stem_lang and case_sensitive and not cjk:
        raise PatternError("stem and case: sensitive cannot be combined")
    words: list[tuple[int, str, str]] = []
    for word in words_in:
        if word.startswith("*"):
            raise PatternError("* alone matches anything" if set(word) == {"*"}
                               else "a word cannot start with * (only end or inner wildcards)")
        word = re.sub(r"\*+", "*", word)
        if stem_lang and not cjk and "*" not in word:
            words.append((STEM, word, stem(word, stem_lang)))
        elif word.endswith("*"):
            words.append((PREFIX, word[:-1], ""))
        else:
            words.append((LIT, word, ""))
    left = not cjk and is_word_char(words_in[0][0])
    right = not cjk and (words_in[-1].endswith("*") or is_word_char(words_in[-1][-1]))
    inner = any("*" in literal for _, literal, _ in words)
    kind0, first, target = words[0]
    n_plain = next((i for i, (kind, literal, _) in enumerate(words)
                    if kind != LIT or "*" in literal), len(words))
    if n_plain == len(words):  # literal words only: the phrase itself is the anchor
        confirm = LITERAL if cjk else SIMPLE if left and right else GENERAL
        main = " ".join(literal for _, literal, _ in words)
    elif n_plain == 0 and kind0 == STEM:
        confirm = GENERAL
        main = stem_start(first, target)
    else:  # up to the literal start of the first word that is not a plain literal
        kind, literal, _ = words[n_plain]
        head = [w for _, w, _ in words[:n_plain]]
        if kind != STEM:
            head.append(literal.split("*")[0])
        main = " ".join(head)
        confirm = PREFIX1 if len(words) == 1 and kind0 == PREFIX and not inner else GENERAL
    # Other matches have, at their first gap between words that is not one space, the
    # words before the gap plus another whitespace character (or a space and one more).
    starts = [(main, confirm)]
    gaps = main.count(" ") if not cjk or len(words) > 1 else 0
    for gap in range(1, gaps + 1):
        before = " ".join(w for _, w, _ in words[:gap])
        ascii_before = before.isascii()  # then the view has " " for any ASCII whitespace
        starts += [(before + c, GENERAL)
                   for c in ("?" if ascii_before else _SPACES.replace(" ", ""))]
        starts += [(before + " " + c, GENERAL) for c in (" ?" if ascii_before else _SPACES)]
    return Pattern(
        words=tuple(words),
        starts=tuple(stem_start(w, t) if kind == STEM else "" for kind, w, t in words),
        anchor=main,
        match_starts=tuple(starts),
        left=left,
        right=right,
        language=stem_lang,
        case_sensitive=case_sensitive,
        inner=inner,
        overlap_free=_overlap_free(words, left, cjk, main),
    )


def _overlap_free(words: list[tuple[int, str, str]], left: bool, cjk: bool, main: str) -> bool:
    """Whether two matches of a pattern can never overlap (then hits can just be added)."""
    if cjk:  # substring: a literal with no proper prefix that is also a suffix
        return len(words) == 1 and not any(main[:k] == main[-k:] for k in range(1, len(main)))
    if not left:
        return False
    if len(words) == 1:
        return _JOINED.fullmatch(words[0][1] + ("*" if words[0][0] == PREFIX else "")) is not None
    if any(kind != LIT or "*" in literal or not _JOINED.fullmatch(literal)
           for kind, literal, _ in words):
        return False
    texts = [literal for _, literal, _ in words]  # no word-level border ("hip hip")
    return not any(texts[:k] == texts[-k:] for k in range(1, len(texts)))


_SPACES = "".join(c for c in map(chr, range(0x3001)) if c.isspace())  # all 29 are < U+3001

# The ASCII view of a text: same length, non-ASCII characters become "?", ASCII
# whitespace " ", other ASCII punctuation except ' - ? "\x01" (not NUL: hyperscan's
# Python binding ends expressions at NUL). Word
# characters, the space, ' and - stay, so most anchors are literals of the view; and a
# view literal can start with the character before a word and end with the one after
# it, which keeps hits inside words ("art" in "party") from ever reaching Python.
_TABLE = bytearray(range(256))
for _b in range(128):
    _c = chr(_b)
    if _c not in ASCII_W and _c not in " '-?":
        _TABLE[_b] = ord(" ") if _c.isspace() else 1
VIEW_TABLE = bytes(_TABLE)
SEPS = ("\x01", " ")  # view characters that always separate words
OTHERS = ("'", "-", "?")  # may join words or stand for a letter: check the text


def ascii_view(text: str) -> bytes:
    """The ASCII view of ``text`` (see above), between two "\x01" (text start and end)."""
    return b"".join((b"\x01", text.encode("ascii", "replace").translate(VIEW_TABLE), b"\x01"))


# the view from UTF-8 in one pass: continuation bytes dropped, each lead byte a "?"
_UTF8_TABLE = VIEW_TABLE[:0xC0] + b"?" * 0x40
_CONTINUATION = bytes(range(0x80, 0xC0))


def ascii_view_utf8(data: bytes) -> bytes:
    """``ascii_view(data.decode())`` from valid UTF-8, without decoding it."""
    return b"".join((b"\x01", data.translate(_UTF8_TABLE, _CONTINUATION), b"\x01"))


def anchors(starts: list[tuple[str, int]], left: bool) -> tuple[Anchor, ...]:
    """Engine literals for the texts a match can start with (see :class:`Pattern`).

    ASCII starts go to the view. A start needing a word boundary on its left gets one
    literal per view character that may precede a word; a plain word (SIMPLE) preceded
    by a separator also gets one per separator after it, and those hits need no check.
    A start with characters the view changes can only be confirmed by ``match_at``.
    """
    out: list[Anchor] = []
    for start, kind in starts:
        code = {SIMPLE: HIT_BOTH, PREFIX1: HIT_LEFT_EXTEND if left else HIT_EXTEND,
                LITERAL: HIT_OK}.get(kind, HIT_GENERAL)
        if not start.isascii():
            out.append((start, code, False, 0, len(start)))
            continue
        literal = start.encode().translate(VIEW_TABLE).decode()
        n = len(start)
        if literal != start or "?" in start or "\x01" in start:
            code = HIT_GENERAL  # the view cannot tell these characters apart
        if not (left and start[0] in ASCII_W):
            out.append((literal, code, True, 0, n))
        elif code == HIT_BOTH:
            out += [(p + literal + q, HIT_OK, True, 1, n) for p in SEPS for q in SEPS]
            out += [(p + literal + q, HIT_RIGHT, True, 1, n) for p in SEPS for q in OTHERS]
            out += [(p + literal, HIT_BOTH, True, 0, n) for p in OTHERS]
        elif code == HIT_LEFT_EXTEND:
            out += [(p + literal, HIT_EXTEND, True, 0, n) for p in SEPS]
            out += [(p + literal, HIT_LEFT_EXTEND, True, 0, n) for p in OTHERS]
        else:
            out += [(p + literal, code, True, 0, n) for p in SEPS + OTHERS]
    return tuple(out)
