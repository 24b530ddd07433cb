"""Word counts and word hashes of a text in a few NumPy passes instead of a regex per word.

The values are those of the regular expressions that define them (``text.count_words``
and the words of ``store.clusters.shingle_hashes``: ``zlib.crc32`` of each lower-cased
word's UTF-8 bytes), which stay the reference: a character is looked up in a table built
from the same expressions, and a word's CRC-32 is the XOR of a table entry per byte (CRC
is linear: the contribution of byte ``v`` followed by ``k`` more bytes does not depend on
what precedes it). Texts with Chinese or Japanese characters, or characters outside the
Basic Multilingual Plane, are left to the expressions (these functions return None):
they are rare and their rules are longer. With the compiled extension (``monitor/_c/
text.c``) each is one pass in C over the same tables, with the same values.
"""

from __future__ import annotations

import functools
import re
import zlib

import numpy as np

from ..text import _CJK, _native

_BMP = 0x10000
_MAX_WORD = 64  # bytes; a longer word is hashed on its own by zlib
_JOINERS = "'\u2019-"  # inside a word they keep it whole (text.WORD_RE)


@functools.cache
def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(word character?, CJK?, joiner?) for each BMP code point; CRC-32 of n zero bytes;
    each byte value's CRC contribution at each distance from the word's end."""
    chars = "".join(" " if 0xD800 <= c < 0xE000 else chr(c) for c in range(_BMP))

    def mask(pattern: str) -> np.ndarray:
        kept = re.sub(pattern, "\0", chars).encode("utf-32-le")
        return np.frombuffer(kept, dtype=np.uint32) != 0

    word = mask(r"[\W_]")  # what is left is [^\W_], the word characters
    cjk = mask(rf"[^{_CJK}]")
    joiner = np.zeros(_BMP, dtype=bool)
    joiner[[ord(c) for c in _JOINERS]] = True
    zeros = np.array([zlib.crc32(bytes(n)) for n in range(_MAX_WORD + 1)], dtype=np.uint32)
    spread = np.array([[zlib.crc32(bytes([v]) + bytes(k)) ^ zlib.crc32(bytes(k + 1))
                        for v in range(256)] for k in range(_MAX_WORD)], dtype=np.uint32)
    return word, cjk, joiner, zeros, spread.ravel()


@functools.cache
def _flags() -> bytes:
    """The tables as the extension reads them: a byte per BMP code point, 1 word, 2 CJK,
    4 joiner."""
    word, cjk, joiner, _, _ = _tables()
    return (word.astype(np.uint8) | cjk.astype(np.uint8) << 1
            | joiner.astype(np.uint8) << 2).tobytes()


def _code_points(text: str) -> np.ndarray | None:
    """The text's code points (uint8 when ASCII), or None when some are outside the BMP."""
    if text.isascii():
        return np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return points if int(points.max()) < _BMP else None


def count_words(text: str) -> int | None:
    """``text.count_words(text)``, or None for a text these tables do not cover."""
    if _native is not None:
        return _native.count_words(text, _flags())
    points = _code_points(text)
    if points is None or len(points) == 0:
        return None
    word, cjk, joiner, _, _ = _tables()
    if points.dtype != np.uint8 and cjk[points].any():
        return None
    w = word[points]
    runs = int(w[0]) + int(np.count_nonzero(w[1:] & ~w[:-1]))
    # a word is a chain of runs linked by single joiners: one word less per link
    links = np.count_nonzero(joiner[points[1:-1]] & w[:-2] & w[2:]) if len(w) > 2 else 0
    return runs - int(links)


def word_hashes(lowered: str) -> np.ndarray | None:
    """CRC-32 (as uint64) of each word (run of ``[^\\W_]``) of an already lower-cased text,
    in order; None for a text these tables do not cover or without words."""
    if _native is not None:
        crcs = _native.word_crcs(lowered, _flags())
        return None if crcs is None else np.frombuffer(crcs, dtype=np.uint32).astype(np.uint64)
    points = _code_points(lowered)
    if points is None or len(points) == 0:
        return None
    word, cjk, _, zeros, spread = _tables()
    w = word[points]
    if points.dtype == np.uint8:
        data = points
    else:
        if cjk[points].any():
            return None
        data = np.frombuffer(lowered.encode("utf-8"), dtype=np.uint8)
        width = np.ones(len(points), dtype=np.int64)  # UTF-8 bytes per code point
        width += points >= 0x80
        width += points >= 0x800
        w = np.repeat(w, width)
    edges = np.diff(w.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if len(starts) == 0:
        return None
    lengths = ends - starts
    where = np.flatnonzero(w)  # the bytes of all words, word after word
    distance = np.repeat(ends - 1, lengths) - where
    np.minimum(distance, _MAX_WORD - 1, out=distance)
    offsets = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=offsets[1:])
    crc = np.bitwise_xor.reduceat(spread[distance * 256 + data[where]], offsets)
    crc ^= zeros[np.minimum(lengths, _MAX_WORD)]
    for i in np.flatnonzero(lengths > _MAX_WORD):
        crc[i] = zlib.crc32(data[starts[i]:ends[i]].tobytes())
    return crc.astype(np.uint64)
