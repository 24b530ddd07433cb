"""Words and 1- to 3-word phrases of a text, for keyness and collocations.

A text is cut into clauses at punctuation (a phrase never spans ``security. Council``),
each clause into lower-cased words by the word rule of :mod:`monitor.text` (hyphens and
apostrophes inside a word keep it whole; a possessive ``'s`` is dropped), and Chinese or
Japanese runs into words by jieba. A phrase may hold stop words inside (``rule of law``)
but neither starts nor ends with one; numbers (``2030``, ``1,000``) are dropped and break
phrases; one-character CJK words (的, 是, 在) count as stop words. CJK words of a phrase are
joined without spaces, as such phrases are written (人类 命运 -> 人类命运).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from ..text import _CJK

_FILLERS = frozenset({
    "s", "t", "mr", "mrs", "ms", "also", "would", "could", "shall", "may", "must", "us",
    "like", "will", "can", "one", "two", "three", "upon",
})
_stop_words: frozenset[str] | None = None


def stop_words() -> frozenset[str]:
    """English stop words: scikit-learn's list and a few speech fillers. Loaded on first
    use: scikit-learn takes seconds to import, and a report's alerts need no stop words."""
    global _stop_words
    if _stop_words is None:
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        _stop_words = frozenset(ENGLISH_STOP_WORDS) | _FILLERS
    return _stop_words


def __getattr__(name: str) -> object:
    if name == "STOP_WORDS":  # the constant of earlier versions, loaded when asked for
        return stop_words()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


CJK_STOP_WORDS = frozenset(
    "我们 你们 他们 它们 这个 那个 这些 那些 一个 一些 没有 已经 以及 进行 通过 因为 所以"
    " 但是 而且 如果 可以 就是 还是 或者 这样 那样 什么 怎么 自己 之间 以来 为了 对于 关于"
    " 其中 同时 并且 不断 需要 要求 坚持 推进".split()
)
"""Chinese function words and fillers of two or more characters (one-character words are
dropped anyway)."""

_CJK_RUN = re.compile(rf"[{_CJK}]+")
_WORD = re.compile(
    rf"[{_CJK}]+|(?:(?![{_CJK}])[^\W_])+(?:['\u2019\-](?:(?![{_CJK}])[^\W_])+)*"
)
_CLAUSE = re.compile(r"[.,;:!?()\[\]{}\"\u201c\u201d\u00ab\u00bb\u2014\u2013\u2026|/"
                     r"\u3001\u3002\uff0c\uff1b\uff1a\uff01\uff1f\uff08\uff09\u300a\u300b"
                     r"\u300c\u300d\u201e]+|\n\s*\n|\s-\s")
_POSSESSIVE = re.compile(r"['\u2019]s$")
_NUMBER = re.compile(r"^[\d'\u2019\-]+$")

_jieba = None


def _segment(run: str) -> list[str]:
    global _jieba
    if _jieba is None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        _jieba = jieba
    return _jieba.lcut(run)


def words(clause: str) -> Iterator[str | None]:
    """The words of one clause, lower-cased; None for a dropped word (a number)."""
    for m in _WORD.finditer(clause.lower()):
        word = m.group()
        if _CJK_RUN.fullmatch(word):
            for piece in _segment(word):
                if _CJK_RUN.fullmatch(piece):
                    yield piece
                elif piece.strip():
                    yield None
        elif _NUMBER.match(word):
            yield None
        else:
            yield _POSSESSIVE.sub("", word)


def is_stop(word: str) -> bool:
    if _CJK_RUN.fullmatch(word):
        return len(word) == 1 or word in CJK_STOP_WORDS
    return word in (_stop_words or stop_words()) or len(word) == 1


def join(parts: list[str]) -> str:
    """A phrase as it is written: CJK words side by side, others with one space."""
    out = parts[0]
    for prev, part in zip(parts, parts[1:], strict=False):
        cjk = _CJK_RUN.fullmatch(prev) and _CJK_RUN.fullmatch(part)
        out += part if cjk else " " + part
    return out


def phrases(text: str, max_n: int = 3) -> list[str]:
    """Every word (not a stop word) and phrase of 2..``max_n`` words in the text."""
    out: list[str] = []
    for clause in _CLAUSE.split(text.replace("\u2019", "'")):
        run: list[str | None] = list(words(clause))
        stops = [w is None or is_stop(w) for w in run]
        size = len(run)
        for i, word in enumerate(run):
            if word is None or stops[i]:
                continue
            out.append(word)
            for n in range(2, max_n + 1):
                j = i + n - 1
                if j >= size:
                    break
                window = run[i: j + 1]
                if None in window:
                    break
                if not stops[j]:
                    out.append(join(window))  # type: ignore[arg-type]
    return out
