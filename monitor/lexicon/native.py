"""The compiled extension ``monitor._native`` (``monitor/_c``), where it was built, and its
use by the matcher.

``pip install`` compiles it when a C compiler and Hyperscan's headers are on the machine
(Debian: ``apt-get install libhyperscan-dev``; see ``hatch_build.py``). It does two things
the pure-Python route does with many more steps, with the same results (the tests compare
both routes on the UN and Chinese corpora):

* :func:`literals`: Hyperscan literal databases whose hits are gathered in C; the
  ``hyperscan`` package calls a Python function for every hit, which on a dense lexicon
  took most of a scan's time.
* :func:`folder`: a text's folded and prepared forms and its ASCII view from its UTF-8
  in one pass, instead of five passes of ``bytes`` methods.

Without the extension both return None and :mod:`monitor.lexicon` uses the ``hyperscan``
package and ``bytes`` methods instead.
"""

from __future__ import annotations

import platform
from functools import cache

from ..text import _native  # None where not built (no compiler or Hyperscan headers)


def available() -> bool:
    return _native is not None


def literals(ids: dict[str, int]):
    """A ``_native.Literals`` for ``ids`` (literal -> id), from the compile cache when it is
    there, or None without the extension."""
    if _native is None or not hasattr(_native, "Literals") or not ids:
        return None  # not built, or a CPU Hyperscan cannot run on
    from .cache import cache_key, cached_bytes

    top = max(ids.values()) + 1
    key = cache_key(sorted(ids.items()), _native.version(), platform.machine())
    return cached_bytes(
        "hyperscan-native", key,
        lambda: _native.Literals([a.encode() for a in ids], list(ids.values())).dump(),
        lambda data: _native.Literals.load(data, top))


def folder():
    """A ``_native.Folder`` (see :mod:`monitor.lexicon.forms`), or None without the
    extension."""
    if _native is None:
        return None
    return _folder()


@cache
def _folder():
    import numpy as np

    from .forms import slow_chars
    from .patterns import VIEW_TABLE

    slow = np.zeros(0x110000, dtype=bool)
    slow[np.array([ord(c) for c in slow_chars()])] = True
    return _native.Folder(VIEW_TABLE, np.packbits(slow, bitorder="little").tobytes())
