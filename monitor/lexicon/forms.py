"""A text's forms as the matcher scans them, made from its UTF-8 bytes where that is exact.

Both sides of a :class:`~monitor.lexicon.matcher.Matcher` scan a form of the text: folded
(:func:`~monitor.lexicon.patterns.fold`, for case-insensitive terms) or prepared
(:func:`~monitor.lexicon.patterns.prepare`, ``’`` as ``'``), after invisible characters are
removed (:func:`~monitor.lexicon.patterns.without_invisible`). On a long text whose
characters are not all ASCII these three passes over ``str`` took most of the time of a
scan with the shipped lexicons: testing 33 invisible characters with ``in`` and
``str.lower`` on a two-byte string cost 5-8 ns a character.

Most such texts (English speeches with curly quotes and dashes, names with é or ô) hold
no invisible character and no non-ASCII character that lowering changes. One hyperscan
pass over the UTF-8 bytes (gigabytes a second) finds out; if so, the folded form is the
bytes with ``’`` replaced and ASCII lowered (``bytes.lower``), decoded once, and its UTF-8
is kept for the engine's UTF-8 scan and for the ASCII view
(:func:`~monitor.lexicon.patterns.ascii_view_utf8`, one ``bytes.translate``). Any other
text takes the ``str`` route: the forms are the same either way, which the tests check on
the UN and Chinese corpora.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from .patterns import INVISIBLE

try:  # hyperscan is x86_64-only; without it every text takes the str route
    import hyperscan
except ImportError:  # pragma: no cover - depends on the platform
    hyperscan = None

APOSTROPHE = "\u2019".encode()


@cache
def slow_chars() -> str:
    """Characters the byte route cannot handle: invisible ones (removed before matching),
    final sigma (folded to σ) and every non-ASCII character that ``str.lower`` changes,
    found block by block (a block that lowers to itself has none): ~20 ms, once."""
    chars = np.arange(0x80, 0x110000, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")
    found = set(INVISIBLE) | {"\u03c2"}
    for start in range(0, len(chars), 512):
        block = chars[start:start + 512]  # lone surrogates lower to themselves
        if block.lower() != block:
            found.update(c for c in block if c.lower() != c)
    return "".join(sorted(found))


@cache
def _slow_database():
    """The hyperscan database of :func:`slow_chars` (one per process, from the disk cache)."""
    from .engine import _hyperscan_database

    return _hyperscan_database({c: i for i, c in enumerate(slow_chars())})


class TextForms:
    """One text's folded and prepared forms, with their UTF-8 where at hand (None for an
    ASCII text, whose view is cheap to make from the str) and the folded form's ASCII view
    where the compiled extension made it; the prepared form is decoded only when asked
    for (few lexicons have case-sensitive terms)."""

    __slots__ = ("folded", "folded_utf8", "prepared_utf8", "view", "_prepared")

    def __init__(self, folded: str, folded_utf8: bytes | None, prepared: str | bytes,
                 view: bytes | None = None) -> None:
        self.folded, self.folded_utf8, self._prepared = folded, folded_utf8, prepared
        self.prepared_utf8 = prepared if isinstance(prepared, bytes) else None
        self.view = view

    @property
    def prepared(self) -> str:
        if isinstance(self._prepared, bytes):
            self._prepared = self._prepared.decode("utf-8")
        return self._prepared


class FormMaker:
    """Compiled once per matcher: :meth:`make` gives a text's forms, or None for the str
    route (then the caller removes invisible characters and folds as before). Without
    ``use_bytes`` (the aho engine) every non-ASCII text takes the str route, so the
    engine comparisons in the tests also compare the two routes. With the compiled
    extension (:mod:`monitor.lexicon.native`) the byte route is one pass in C."""

    def __init__(self, use_bytes: bool = True) -> None:
        from . import native

        self._db = _slow_database() if use_bytes and hyperscan is not None else None
        self._folder = native.folder() if self._db is not None else None

    def make(self, text: str) -> TextForms | None:
        if text.isascii():
            return TextForms(text.lower(), None, text)
        if self._db is None:
            return None
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: the str route says what is wrong
            return None
        return self.make_utf8(data)

    def make_utf8(self, data: bytes) -> TextForms | None:
        """The forms of valid UTF-8 (a text as SQLite stores it: read so, the text is never
        decoded whole unless it takes the str route), or None."""
        if self._folder is not None:
            made = self._folder.fold(data)
            if made is None:  # a slow character, or not UTF-8
                return None
            prepared, low, view = made
            return TextForms(low.decode("utf-8"), low, prepared, view)
        if data.isascii():
            low = data.lower()
            return TextForms(low.decode("ascii"), low, data)
        if self._db is None:
            return None
        try:
            self._db.scan(data, match_event_handler=_stop)
        except hyperscan.ScanTerminated:
            return None
        data = data.replace(APOSTROPHE, b"'")
        low = data.lower()
        try:
            return TextForms(low.decode("utf-8"), low, data)
        except UnicodeDecodeError:  # not UTF-8 after all: the caller decodes it its way
            return None


def _stop(*_args: object) -> bool:
    return True  # the first slow character ends the scan

