"""Text rules shared by every stage: normalisation, word counting, content hashing.

A *word* is a run of letters/digits (apostrophes and hyphens inside a word keep it
whole), or a single Han ideograph or kana character: Chinese and Japanese have no
spaces, so each character counts as one word, the usual convention for per-word rates.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

#: The functions ``monitor/_c`` must offer (its ``API``): a build from older sources, left
#: by an editable install that was not re-run, is not used.
NATIVE_API = 2


def _load_native() -> tuple[object | None, str]:
    """(the compiled extension or None, what ``monitor --version`` says of it)."""
    try:
        from . import _native
    except ImportError:
        return None, ("not built: install gcc and libhyperscan-dev, then reinstall (same"
                      " results, a slower tally and ingest)")
    if getattr(_native, "API", None) != NATIVE_API:
        return None, "out of date: reinstall (pip install -e .) to rebuild it"
    return _native, "compiled"


_native, NATIVE_STATE = _load_native()  # the same values with it, faster

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
WORD_RE = re.compile(
    rf"[{_CJK}]|(?:(?![{_CJK}])[^\W_])+(?:['\u2019\-](?:(?![{_CJK}])[^\W_])+)*"
)
_LINE_ENDINGS = re.compile(r"\r\n?|\u2028|\u2029")
_CJK_RE = re.compile(f"[{_CJK}]")
_LATIN_WORD_RE = re.compile(r"[^\W_]+(?:['\u2019\-][^\W_]+)*")  # WORD_RE where no CJK occurs


def _drop_marks(text: str) -> str:
    return text.replace("\ufeff", "").replace("\x00", "")


def normalise_text(text: str) -> str:
    """Unicode NFC, \\n line endings, no NULs or BOM; meaning is never changed."""
    text = _drop_marks(text)
    if "\r" in text or "\u2028" in text or "\u2029" in text:  # faster than the regex scan
        text = _LINE_ENDINGS.sub("\n", text)
    return unicodedata.normalize("NFC", text).strip()


def is_empty_text(text: str) -> bool:
    """True if :func:`normalise_text` would leave nothing (cheaper than normalising)."""
    stripped = text.strip()
    if stripped and stripped[0] not in "\ufeff\x00":
        return False  # the first character that is not a space is a real one
    return not _drop_marks(stripped).strip()


def count_words(text: str) -> int:
    """Number of words in ``text`` by the rule in this module's docstring."""
    if _CJK_RE.search(text) is None:  # the common case, twice as fast: same count
        return len(_LATIN_WORD_RE.findall(text))
    return sum(1 for _ in WORD_RE.finditer(text))


_LANGUAGE_RE = re.compile(r"[A-Za-z]{2,3}")
_DETECT_CHARS = 1_000


def normalise_language(code: str | None) -> str | None:
    """A language code as stored and compared: its lower-case primary subtag ('zh-Hant' ->
    'zh', 'EN_us' -> 'en'); None for an empty or malformed code."""
    if not code or not isinstance(code, str):
        return None
    primary = code.strip().replace("_", "-").split("-")[0].lower()
    return primary if _LANGUAGE_RE.fullmatch(primary) else None


def detect_language(text: str) -> str | None:
    """The language of ``text`` as an ISO 639 code, or None when it cannot be told reliably
    (short or mixed text). Uses CLD2 (pycld2), whose model is compiled in: no download, no
    start-up cost. Only the first 1,000 characters are read (0.3 ms a document)."""
    import pycld2

    sample = text[:_DETECT_CHARS]
    try:
        reliable, _, details = pycld2.detect(sample)
    except pycld2.error:
        try:  # CLD2 refuses some control characters; keep letters and spaces only
            reliable, _, details = pycld2.detect(
                "".join(c if c.isprintable() or c.isspace() else " " for c in sample))
        except pycld2.error:
            return None
    code = details[0][1] if details else "un"
    if not reliable or code in ("un", "xx"):
        return None
    return normalise_language(code)


def content_hash(text: str) -> str:
    """SHA-256 of the text with whitespace runs folded, so re-wrapped copies dedupe."""
    folded = _native.fold_spaces(text) if _native is not None else None
    if folded is None:  # no extension, or a lone surrogate (which raises here)
        folded = " ".join(text.split()).encode("utf-8")
    return hashlib.sha256(folded).hexdigest()
