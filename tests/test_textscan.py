"""The NumPy (and compiled) word counts, word hashes, content hashes and MinHash
signatures equal the definitions they replace on the hot path of ingest: the regular
expressions, ``" ".join(text.split())`` and datasketch itself."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shared_corpora import corpus_path

from monitor import text as text_module
from monitor.store import textscan
from monitor.store.clusters import (
    _regex_word_hashes,
    _signature,
    reference_signature,
    shingle_hashes,
    signature_and_size,
)
from monitor.store.textscan import count_words as fast_count_words
from monitor.store.textscan import word_hashes
from monitor.text import content_hash, count_words, normalise_text

TRICKY = [
    "", " ", "a", "-", "'", "a-", "-a", "a-b", "a--b", "a'-b", "a-b-c d'e f\u2019g",
    "self-determination, the people's \u2019quote\u2019 -- 1945-1970",
    "x_y __init__ a_b_c 3_000", "caf\u00e9 na\u00efve \u00c5ngstr\u00f6m \u0130stanbul I\u0307",
    "\u01c5emal \u1e9e stra\u00dfe \ufb01ne \u2160 \u00bd \u0663\u0664 \u00b2",
    "\u0928\u092e\u0938\u094d\u0924\u0947 \u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd"
    " \u043f\u0440\u0438\u0432\u0435\u0442-\u043c\u0438\u0440",
    "\u4e2d\u6587 \u306e text \u30ab\u30bf\u30ab\u30ca-mixed",  # CJK: the expressions decide
    "emoji \U0001f600 and \U00020000 astral", "A" * 70 + " " + "\u00e9" * 40 + " b" * 3,
    "tab\tnew\nline\u00a0nbsp\u2028sep", "\u2019\u2019 -'- \u2014dash\u2014 end-",
    "  \x1c\x1d\x1e\x1f\x85 spaces \u3000 everywhere \u205f ",
]


@pytest.fixture(autouse=True, params=["extension", "numpy"])
def route(request):
    """Every test twice: with the compiled extension (where built) and the NumPy passes."""
    if request.param == "extension" and textscan._native is None:
        pytest.skip("the C extension is not built here")
    saved = textscan._native, text_module._native
    if request.param == "numpy":
        textscan._native = text_module._native = None
    yield request.param
    textscan._native, text_module._native = saved


def _speeches(step: int) -> list[str]:
    path = corpus_path("ungdc/ungdc_1946_2024.jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [normalise_text(json.loads(line)["text"]) for i, line in enumerate(f)
                if i % step == 0]


def _zh_texts() -> list[str]:
    with corpus_path("zh/xi_speeches_2020.csv").open(encoding="utf-8") as f:
        texts = [row["Text"] for row in csv.DictReader(f)][:40]
    with corpus_path("zh/government_work_reports.jsonl").open(encoding="utf-8") as f:
        texts += [json.loads(line)["content"][:20_000] for line in f][:5]
    return texts


def _check(text: str) -> bool:
    """Whether the fast functions covered ``text``; asserts they agree when they do."""
    fast = fast_count_words(text)
    if fast is not None:
        assert fast == count_words(text), text[:80]
    lowered = text.lower()
    hashes = word_hashes(lowered)
    reference = _regex_word_hashes(text, lowered)
    if hashes is not None:
        assert reference is not None and hashes.dtype == reference.dtype
        assert np.array_equal(hashes, reference), text[:80]
    elif fast is not None and count_words(text):
        raise AssertionError(f"words counted but not hashed: {text[:80]!r}")
    try:
        shingles = shingle_hashes(text)
    except UnicodeEncodeError:  # a lone surrogate: refused before, by the content hash
        pass
    else:  # the C MinHash (minhash.c) or the NumPy one, against the NumPy one
        signature, size = signature_and_size(text)
        assert np.array_equal(signature, _signature(shingles)), text[:80]
        assert size == len(shingles), text[:80]
    try:
        folded = " ".join(text.split()).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: both refuse it
        with pytest.raises(UnicodeEncodeError):
            content_hash(text)
    else:
        assert content_hash(text) == hashlib.sha256(folded).hexdigest(), text[:80]
    return fast is not None


def test_tricky_texts_agree():
    covered = [_check(text) for text in TRICKY]
    assert sum(covered) >= len(TRICKY) - 3  # only the CJK, astral and empty ones fall back


def test_a_lone_surrogate_is_refused_by_the_content_hash_either_way():
    with pytest.raises(UnicodeEncodeError):  # prepare() turns it into the document's error
        content_hash("lone \ud800 surrogate")


def test_un_speeches_agree_and_signatures_equal_datasketch():
    speeches = _speeches(step=20)
    assert len(speeches) > 500
    assert all(_check(text) for text in speeches)  # no UN speech needs the expressions
    for text in speeches[::5]:
        shingles = shingle_hashes(text)
        assert np.array_equal(_signature(shingles), reference_signature(shingles))
        assert np.array_equal(signature_and_size(text)[0], reference_signature(shingles))


def test_chinese_texts_agree():
    for text in _zh_texts():
        _check(text)
        shingles = shingle_hashes(text)
        assert np.array_equal(_signature(shingles), reference_signature(shingles))


def test_huge_shingle_sets_agree():
    rng = np.random.default_rng(7)
    shingles = np.unique(rng.integers(0, 2**32, 30_000, dtype=np.uint64))
    assert np.array_equal(_signature(shingles), reference_signature(shingles))
    assert np.array_equal(_signature(np.zeros(1, dtype=np.uint64)),
                          reference_signature(np.zeros(1, dtype=np.uint64)))


_ALPHABET = st.sampled_from(list("aZ9_ -'\u2019\t\n.,\u00e9\u0130\u00df\u0307\u2014\u00a0"
                                 "\u0434\u05d0\u0663\u00bd\u2160\u4e2d\u30ab\U0001f600"))


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # the route's the same
@given(st.lists(_ALPHABET, max_size=60).map("".join))
def test_random_texts_agree(text):
    _check(text)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=40))
def test_any_text_agrees(text):  # lone surrogates, astral characters, every space
    _check(text)
