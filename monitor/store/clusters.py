"""Syndicated copies: near-duplicate documents across sources, clustered as they are stored.

A document's fingerprint is a MinHash (datasketch, 64 permutations, its ``affine32``
scheme) of its word 5-grams (runs of letters and digits, lower-cased; each CJK character is
a word, so Chinese gets character 5-grams). Locality-sensitive hashing cuts the signature
into 16 bands of 4 values: a pair with Jaccard 0.8 shares a band with probability 0.9998,
one with 0.5 with 0.64 and one with 0.2 with 0.03; every candidate is then checked on the
whole signature. Each band's hash is a row of the indexed table ``minhash_bands``, so
finding candidates is a few index probes however large the database. A candidate is a
copy when the signatures agree on at least 80% of their values (estimated Jaccard >= 0.8),
or on at least 50% when the normalised titles are equal (at least 4 words) and the
documents are dated within 7 days of each other: a wire story keeps its headline while
outlets trim or pad its text; or on at least 50% when at least 80% of the shorter text's
shingles are in the other (containment, estimated from the Jaccard similarity and the two
numbers of shingles): a copy trimmed by a paragraph and padded with a byline and boilerplate.

Copies are looked for only in *other* sources, and a cluster takes one document per source:
within one source a near-identical text is a revision or dated update of the same article,
not a syndicated copy. A new copy joins the cluster of its closest match;
``documents.cluster_id`` is the id of the cluster's first document (a document with no
copy is its own cluster).
"""

from __future__ import annotations

import functools
import hashlib
import re
import sqlite3
import zlib
from datetime import date

import numpy as np

from ..text import _CJK
from . import textscan
from .textscan import word_hashes

NUM_PERM = 64
BANDS, ROWS = 16, 4
THRESHOLD = 0.8
TITLE_THRESHOLD = 0.5
CONTAINED = 0.8
TITLE_DAYS = 7
SHINGLE = 5
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                 0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD], dtype=np.uint64)
_NON_WORD = re.compile(r"[\W_]+")
_WORD = re.compile(r"[^\W_]+")
_CJK_CHAR = re.compile(rf"[{_CJK}]")
_TEMPLATE: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []


def shingle_hashes(text: str) -> np.ndarray:
    """32-bit hashes of the text's word 5-grams (one shingle for a shorter text)."""
    lowered = text.lower()
    hashed = word_hashes(lowered)  # the same values as below, in NumPy passes
    if hashed is None:
        hashed = _regex_word_hashes(text, lowered)
    if hashed is None:
        return np.zeros(1, dtype=np.uint64)
    n = min(SHINGLE, len(hashed))
    span = len(hashed) - n + 1
    mixed = np.zeros(span, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(n):
            mixed = (mixed ^ (hashed[k: k + span] * _MIX[k])) * np.uint64(0x100000001B3)
    folded = np.sort((mixed >> np.uint64(32)) ^ (mixed & np.uint64(0xFFFFFFFF)))
    keep = np.empty(len(folded), dtype=bool)  # np.unique, without its slower hash table
    keep[0] = True
    np.not_equal(folded[1:], folded[:-1], out=keep[1:])
    return folded[keep]


def _regex_word_hashes(text: str, lowered: str) -> np.ndarray | None:
    """``zlib.crc32`` of each word's UTF-8 bytes, by the regular expressions (the
    definition of the words); None without words."""
    words = _WORD.findall(lowered)
    if not text.isascii() and _CJK_CHAR.search(text):
        words = [c for w in words for c in (_split_cjk(w) if not w.isascii() else (w,))]
    if not words:
        return None
    index: dict[str, int] = {}
    codes = np.fromiter((index.setdefault(w, len(index)) for w in words), dtype=np.int64,
                        count=len(words))
    distinct = np.fromiter((zlib.crc32(w.encode("utf-8")) for w in index), dtype=np.uint64,
                           count=len(index))
    return distinct[codes]  # each distinct word hashed once


def _split_cjk(word: str) -> list[str]:
    """Each CJK character a word of its own, the letters between them words too."""
    if not _CJK_CHAR.search(word):
        return [word]
    return [p for p in re.split(rf"([{_CJK}])", word) if p]


def signature(text: str) -> np.ndarray:
    """The MinHash signature (``NUM_PERM`` uint32 values) of the text's shingles."""
    return signature_and_size(text)[0]


def signature_and_size(text: str) -> tuple[np.ndarray, int]:
    """(MinHash signature, number of distinct shingles) of the text: with the compiled
    extension in one pass over its words' CRC-32s (``monitor/_c/minhash.c``), else by
    ``shingle_hashes`` and ``_signature``; the same values."""
    if textscan._native is not None:
        crcs = textscan._native.word_crcs(text.lower(), textscan._flags())
        if crcs is not None:
            sig, size = textscan._native.minhash(crcs, *_permutation_bytes())
            return np.frombuffer(sig, dtype=np.uint32), size
    shingles = shingle_hashes(text)
    return _signature(shingles), len(shingles)


@functools.cache
def _permutation_bytes() -> tuple[bytes, bytes]:
    a, b, _ = _permutations()
    return a.tobytes(), b.tobytes()


def _signature(shingles: np.ndarray) -> np.ndarray:
    """datasketch's ``MinHash.update_batch`` (scheme ``affine32``: the MurmurHash3
    finaliser, then ``a * h + b`` mod 2**32 per permutation, the minimum kept) applied to
    the whole array at once instead of through a Python int per shingle: the same values."""
    a, b, start = _permutations()
    hv = shingles.astype(np.uint32)
    hv ^= hv >> np.uint32(16)
    hv *= np.uint32(0x85EBCA6B)
    hv ^= hv >> np.uint32(13)
    hv *= np.uint32(0xC2B2AE35)
    hv ^= hv >> np.uint32(16)
    values = start.copy()
    for i in range(0, len(hv), _COLUMNS_AT_ONCE):  # a bounded temporary for huge texts
        part = np.multiply.outer(a, hv[i:i + _COLUMNS_AT_ONCE])  # one row per permutation
        part += b[:, None]
        np.minimum(values, part.min(axis=1), out=values)
    return values


_COLUMNS_AT_ONCE = 16384


def _permutations() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """datasketch's ``affine32`` permutations (64, seed 1: odd ``a``, any ``b``, drawn as
    its ``_init_permutations`` draws them) and initial values, without importing it (its
    LSH module imports SciPy: seconds of start-up). A test compares with datasketch."""
    if not _TEMPLATE:
        gen = np.random.RandomState(1)
        a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
        b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
        _TEMPLATE.append((a, b, np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)))
    return _TEMPLATE[0]


def reference_signature(shingles: np.ndarray) -> np.ndarray:
    """The signature by datasketch itself (what ``_signature`` reproduces; for tests)."""
    from datasketch import MinHash

    minhash = MinHash(num_perm=NUM_PERM, seed=1, hashfunc=int, scheme="affine32")
    minhash.update_batch(shingles)
    return minhash.hashvalues.astype(np.uint32)


def contained(score: float, size: int, other_size: int) -> float:
    """The share of the smaller text's shingles found in the other, estimated from their
    Jaccard similarity ``score`` and their numbers of shingles:
    ``|A & B| = J / (1 + J) * (|A| + |B|)``."""
    return score / (1 + score) * (size + other_size) / max(1, min(size, other_size))


def band_hashes(sig: np.ndarray) -> list[int]:
    """One signed 64-bit hash per LSH band."""
    return [int.from_bytes(hashlib.blake2b(sig[b * ROWS:(b + 1) * ROWS].tobytes(),
                                           digest_size=8).digest(), "big", signed=True)
            for b in range(BANDS)]


def title_key(title: str | None) -> str | None:
    """A title lower-cased with punctuation folded, if it has at least 4 words."""
    if not title:
        return None
    key = _NON_WORD.sub(" ", title.lower()).strip()
    return key if len(key.split()) >= 4 else None


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.mean(a == b))


def cluster_document(conn: sqlite3.Connection, doc_id: int, source_id: int, text: str,
                     title: str | None, published: str | None, precision: str | None) -> int:
    """Hash a stored document, find its copies in other sources, set its ``cluster_id``.

    A document hashed before (its text was updated) loses its old band rows first, so
    that no stale band leads other documents to it. (``Database.add_documents`` finds a
    new document's cluster before inserting it, with :func:`find_cluster`.)
    """
    conn.execute("DELETE FROM minhash_bands WHERE document_id = ?", (doc_id,))
    sig, size, bands = fingerprint(text)
    key = title_key(title)
    cluster = find_cluster(conn, source_id, sig, size, bands, key, published, precision)
    cluster = doc_id if cluster is None else cluster
    store_signature(conn, doc_id, sig.tobytes(), key, bands)
    conn.execute("UPDATE documents SET cluster_id = ? WHERE id = ?", (cluster, doc_id))
    return cluster


def fingerprint(text: str, signature: bytes | None = None, size: int | None = None,
                bands: list[int] | None = None) -> tuple[np.ndarray, int, list[int]]:
    """(signature, number of distinct shingles, band hashes) of ``text``: those given
    (computed by a worker, see ``prepare``), else computed here."""
    if signature is None or size is None or bands is None:
        sig, size = signature_and_size(text)
        return sig, size, band_hashes(sig)
    return np.frombuffer(signature, dtype=np.uint32), size, bands


def find_cluster(conn: sqlite3.Connection, source_id: int, sig: np.ndarray, size: int,
                 bands: list[int], key: str | None, published: str | None,
                 precision: str | None) -> int | None:
    """The cluster of a document's closest copy in another source, or None.

    ``sig``, ``size``, ``bands``, ``key``: its signature, number of distinct shingles,
    band hashes and :func:`title_key`. The bands are probed in one statement; candidates
    are weighed in the order of the band they share, then of their id.
    """
    best, best_score = None, 0.0
    candidates: dict[int, float] = {}
    probe = " OR ".join(["(band = ? AND hash = ?)"] * len(bands))
    for (other,) in conn.execute(
            f"SELECT document_id FROM minhash_bands WHERE {probe} ORDER BY band, document_id",
            [v for pair in enumerate(bands) for v in pair]):
        candidates[other] = THRESHOLD
    if key:
        for (other,) in conn.execute(
                "SELECT document_id FROM minhash_signatures WHERE title_key = ?", (key,)):
            candidates.setdefault(other, -1.0)  # -1: a title match, checked below
    for other, bar in candidates.items():
        row = conn.execute(
            "SELECT d.source_id, d.published, d.precision, coalesce(d.cluster_id, d.id),"
            " m.signature FROM documents d JOIN minhash_signatures m ON m.document_id = d.id"
            " WHERE d.id = ?", (other,)).fetchone()
        if row is None or row[0] == source_id or conn.execute(
                "SELECT 1 FROM documents WHERE cluster_id = ? AND source_id = ? LIMIT 1",
                (row[3], source_id)).fetchone():
            continue  # a cluster holds one document per source: the rest are updates
        score = similarity(sig, np.frombuffer(row[4], dtype=np.uint32))
        need = bar
        if bar < 0 or score < THRESHOLD:
            need = TITLE_THRESHOLD if _close(published, precision, row[1], row[2]) and (
                key is not None) and _same_title(conn, other, key) else THRESHOLD
        if score < need and score >= TITLE_THRESHOLD:  # a trimmed or padded copy?
            (other_text,) = conn.execute("SELECT text FROM documents WHERE id = ?",
                                         (other,)).fetchone()
            if contained(score, size, len(shingle_hashes(other_text))) >= CONTAINED:
                need = score
        if score >= need and score > best_score:
            best, best_score = row[3], score
    return best


def store_signature(conn: sqlite3.Connection, doc_id: int, signature: bytes,
                    key: str | None, bands: list[int]) -> None:
    """Keep a document's signature, title key and band rows (found by later copies)."""
    conn.execute("INSERT OR REPLACE INTO minhash_signatures VALUES (?, ?, ?)",
                 (doc_id, signature, key))
    conn.executemany("INSERT OR IGNORE INTO minhash_bands VALUES (?, ?, ?)",
                     [(band, value, doc_id) for band, value in enumerate(bands)])


def _same_title(conn, other: int, key: str) -> bool:
    row = conn.execute("SELECT title_key FROM minhash_signatures WHERE document_id = ?",
                       (other,)).fetchone()
    return row is not None and row[0] == key


def _close(a: str | None, pa: str | None, b: str | None, pb: str | None) -> bool:
    """Both dated to the day, within ``TITLE_DAYS`` of each other."""
    if pa != "day" or pb != "day" or not a or not b:
        return False
    return abs((date.fromisoformat(a) - date.fromisoformat(b)).days) <= TITLE_DAYS


def cluster_pending(conn: sqlite3.Connection) -> int:
    """Hash every document stored before clustering existed (oldest first); their number."""
    rows = conn.execute(
        "SELECT id, source_id, text, title, published, precision FROM documents d"
        " WHERE NOT EXISTS (SELECT 1 FROM minhash_signatures m WHERE m.document_id = d.id)"
        " ORDER BY id").fetchall()
    for row in rows:
        cluster_document(conn, *row)
    return len(rows)


def list_clusters(conn: sqlite3.Connection, min_size: int = 2) -> list[dict]:
    """Clusters of at least ``min_size`` documents, largest first, each with its members."""
    rows = conn.execute(
        "SELECT d.cluster_id, d.id, s.name, d.published, d.title, d.url, d.external_id"
        " FROM documents d JOIN sources s ON s.id = d.source_id WHERE d.cluster_id IN"
        " (SELECT cluster_id FROM documents WHERE cluster_id IS NOT NULL GROUP BY cluster_id"
        "  HAVING count(*) >= ?) ORDER BY d.cluster_id, d.id", (min_size,)).fetchall()
    clusters: dict[int, dict] = {}
    for cluster, doc_id, source, published, title, url, external in rows:
        entry = clusters.setdefault(cluster, {"cluster_id": cluster, "size": 0, "sources": [],
                                              "first": published, "title": title,
                                              "members": []})
        entry["size"] += 1
        if source not in entry["sources"]:
            entry["sources"].append(source)
        entry["members"].append({"document_id": doc_id, "source": source,
                                 "published": published, "title": title,
                                 "link": url or external})
    return sorted(clusters.values(), key=lambda c: (-c["size"], c["cluster_id"]))
