"""Counting words and phrases per document fast: a document-term matrix of the terms of
:func:`monitor.analysis.tokens.phrases`, without building a string per phrase.

scikit-learn's ``CountVectorizer`` with a Python analyzer spends most of its time making
and looking up one string per phrase occurrence (about 3 per word). Here each text is cut
by one C-level regular expression into tokens, each distinct token is mapped once to a word
id (0 for a clause break or a number), and the 2- and 3-word phrases are integer codes made
with numpy from neighbouring ids (21 bits a word), counted per document with
``np.unique``. The result is the same matrix and vocabulary as ``CountVectorizer`` with
``phrases`` as its analyzer (tests check it), in a sparse CSR matrix; a term's text is
made only when it is asked for. Phrases longer than 3 words do not fit in 63 bits: for
them :func:`count_phrases` falls back to ``CountVectorizer``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp

from ..text import _CJK
from .tokens import _CLAUSE, _NUMBER, _POSSESSIVE, is_stop, join, phrases, words

BITS = 21
MAX_WORDS = 3
_MASK = (1 << BITS) - 1
_PLAIN = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*|" + _CLAUSE.pattern)
"""Tokens of a text without CJK characters: words (as ``tokens._WORD`` where no CJK
character can occur) and clause breaks."""
_CJK_ANY = re.compile(f"[{_CJK}]")


class Vocabulary:
    """The terms of a count matrix's columns, as text on demand (``vocabulary[i]``)."""

    def __init__(self, codes: np.ndarray, words: list[str | None]) -> None:
        self.codes, self.words = codes, words

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, i: int) -> str:
        code = int(self.codes[i])
        parts = []
        while code:
            parts.append(self.words[code & _MASK])
            code >>= BITS
        return join(parts[::-1])


class PhraseCounter:
    """``fit_transform(texts)`` -> (CSR matrix documents x terms, :class:`Vocabulary`)."""

    def __init__(self, max_words: int = 3) -> None:
        if not 1 <= max_words <= MAX_WORDS:
            raise ValueError(f"PhraseCounter counts phrases of 1 to {MAX_WORDS} words")
        self.max_words = max_words
        self.words: list[str | None] = [None]  # id 0: a break (clause end, number)
        self.stops: list[bool] = [True]
        self._tokens: dict[str, int] = {}
        self._ids: dict[str, int] = {}
        self._cjk = False  # phrases of CJK words are written joined: they may equal a word

    def _word(self, word: str | None) -> int:
        if word is None:
            return 0
        i = self._ids.get(word)
        if i is None:
            if len(self.words) > _MASK:
                raise ValueError(f"more than {_MASK:,} distinct words: count fewer documents")
            i = self._ids[word] = len(self.words)
            self.words.append(word)
            self.stops.append(is_stop(word))
        return i

    def _token(self, token: str) -> int:
        if not token[0].isalnum() or _NUMBER.match(token):
            i = 0
        else:
            i = self._word(_POSSESSIVE.sub("", token))
        self._tokens[token] = i
        return i

    def ids(self, text: str) -> np.ndarray:
        """The word ids of a text in order, 0 where a phrase must break."""
        text = text.replace("\u2019", "'")
        if not text.isascii() and _CJK_ANY.search(text):
            self._cjk = True
            ids = []
            for clause in _CLAUSE.split(text):
                ids += [self._word(w) for w in words(clause)]
                ids.append(0)
            return np.array(ids, dtype=np.int64)
        tokens = _PLAIN.findall(text.lower())
        ids = list(map(self._tokens.get, tokens))  # C speed; None for a token not seen yet
        start = 0
        while True:
            try:
                start = ids.index(None, start)
            except ValueError:
                break
            token = tokens[start]
            ids[start] = self._tokens[token] if token in self._tokens else self._token(token)
            start += 1
        return np.array(ids, dtype=np.int64)

    def codes(self, ids: np.ndarray, stops: np.ndarray) -> np.ndarray:
        """Integer codes of the text's words and phrases (see the module doc)."""
        stop = stops[ids]
        out = [ids[~stop]]
        if self.max_words >= 2 and len(ids) > 1:
            ok = ~(stop[:-1] | stop[1:])
            out.append(ids[:-1][ok] << BITS | ids[1:][ok])
        if self.max_words >= 3 and len(ids) > 2:
            ok = ~(stop[:-2] | stop[2:]) & (ids[1:-1] != 0)
            out.append((ids[:-2][ok] << BITS | ids[1:-1][ok]) << BITS | ids[2:][ok])
        return np.concatenate(out)

    def fit_transform(self, texts: Iterable[str]) -> tuple[sp.csr_matrix, Vocabulary]:
        all_ids = [self.ids(text) for text in texts]
        stops = np.array(self.stops, dtype=bool)
        per_doc = [np.unique(self.codes(ids, stops), return_counts=True) for ids in all_ids]
        sizes = [len(u) for u, _ in per_doc]
        if not per_doc or not sum(sizes):
            return sp.csr_matrix((len(per_doc), 0), dtype=np.int32), Vocabulary(
                np.zeros(0, dtype=np.int64), self.words)
        vocabulary, columns = np.unique(np.concatenate([u for u, _ in per_doc]),
                                        return_inverse=True)
        rows = np.repeat(np.arange(len(per_doc)), sizes)
        counts = np.concatenate([n for _, n in per_doc]).astype(np.int32)
        matrix = sp.csr_matrix((counts, (rows, columns.ravel())),
                               shape=(len(per_doc), len(vocabulary)))
        terms = Vocabulary(vocabulary, self.words)
        if not self._cjk:
            return matrix, terms
        # 人类 命运 is written 人类命运, as the word jieba sometimes makes of it: one column
        names, merged = np.unique(np.array([terms[i] for i in range(len(terms))], dtype=object),
                                  return_inverse=True)
        into = sp.csr_matrix((np.ones(len(terms), dtype=np.int32),
                              (np.arange(len(terms)), merged.ravel())),
                             shape=(len(terms), len(names)))
        return (matrix @ into).tocsr(), names


def count_phrases(texts: Iterable[str], max_words: int = 3):
    """(CSR count matrix, vocabulary) of ``texts``' words and phrases of up to
    ``max_words`` words; ``vocabulary[i]`` is column i's term."""
    if max_words <= MAX_WORDS:
        return PhraseCounter(max_words).fit_transform(texts)
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(analyzer=lambda text: phrases(text, max_words),
                                 dtype=np.int32)
    matrix = vectorizer.fit_transform(texts).tocsr()
    return matrix, vectorizer.get_feature_names_out()


__all__ = ["PhraseCounter", "Vocabulary", "count_phrases"]
