"""One Dask task: tally one shard with the compiled lexicons and write its partial results.

A hyperscan database cannot be pickled, so tasks receive the lexicons and each worker
process compiles them once (:func:`worker_matcher` keeps the matcher by the lexicons'
fingerprints). A task writes one partial per lexicon, in a folder named by the lexicon's
fingerprint and the shard's key:

* ``counts.parquet``: one row per document and term that occurs (with the document's
  source, date, precision and word count): DuckDB or pandas read it as it is;
* ``categories.parquet``: one row per document and category path that occurs (every
  level of the tree; a span counted once, as the tally stores category totals);
* ``totals.parquet``: documents and words per source, date and precision (the
  denominators, zero-match documents included);
* ``series.parquet``: per term and per category path (its sub-categories included), per
  source, date and precision: occurrences and documents mentioning;
* ``documents.parquet``: one row per document of the shard, with its text hash and whether
  the lexicon counted it (its languages), so loading can leave out a document already
  stored from another shard or by ingest;
* ``_SUCCESS.json``, written last: the shard, its documents and its failed records. A
  partial without it is unfinished and is redone.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..dates import implausible_date
from ..documents import IngestError
from ..sources import ReadOptions
from ..text import content_hash, count_words, detect_language, normalise_language, normalise_text
from .shards import Shard, ShardError, read_shard

if TYPE_CHECKING:
    from ..lexicon import Lexicon, Matcher

MARKER = "_SUCCESS.json"
#: The columns of ``counts.parquet``: one row per document and term that occurs.
COUNT_COLUMNS = ("record", "external_id", "source", "published", "precision", "word_count",
                 "category", "term", "count")
#: The columns of ``categories.parquet``: one row per document and category (every level of
#: the tree) that occurs; ``count`` counts each span once, the longest where nested.
CATEGORY_COLUMNS = ("record", "external_id", "source", "published", "precision",
                    "word_count", "category", "count")
#: The columns of ``documents.parquet``: one row per document of the shard.
DOCUMENT_COLUMNS = ("record", "external_id", "source", "published", "precision",
                    "word_count", "text_hash", "counted")
#: Bumped when a partial's files change: a partial of another format is tallied again.
PARTIAL_FORMAT = 2
#: Failed records whose messages a partial keeps (all are counted).
KEPT_ERRORS = 100

_matchers: dict[tuple[str, ...], Matcher] = {}


def worker_matcher(lexicons: Sequence[Lexicon]) -> Matcher:
    """This process's compiled matcher for ``lexicons``, compiled on first use."""
    from ..lexicon import Matcher

    key = tuple(f"{lex.name}:{lex.fingerprint}" for lex in lexicons)
    if key not in _matchers:
        _matchers.clear()  # one set of lexicons at a time is all a backfill uses
        _matchers[key] = Matcher(list(lexicons))
    return _matchers[key]


def partial_dir(work: str, lexicon: Lexicon, shard: Shard) -> str:
    return f"{work.rstrip('/')}/{lexicon.name}-{lexicon.fingerprint[:16]}/{shard.key}"


@dataclass
class ShardResult:
    """What a task did with one shard (sent back to the client, and kept in the marker)."""

    shard: str
    key: str
    documents: int = 0
    words: int = 0
    failed: int = 0
    duplicates: int = 0  # records skipped as ingest skips them: same id or same text
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # dates dropped, as ingest warns
    seconds: float = 0.0
    lexicons: list[str] = field(default_factory=list)
    error: str | None = None  # why the whole shard failed (then nothing was written)


class PartialResult:
    """One lexicon's aggregates over one shard, built document by document."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.languages = set(lexicon.languages)
        self.rows: dict[str, list] = defaultdict(list)
        self.category_rows: dict[str, list] = defaultdict(list)
        self.document_rows: dict[str, list] = defaultdict(list)
        self.totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        self.series: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        labels: dict[str, set[str]] = defaultdict(set)
        for term in lexicon.terms:
            labels[term.label].add(term.category)
        self.shared_labels = {label for label, cats in labels.items() if len(cats) > 1}

    def add(self, doc: Any, words: int, counts: dict[tuple[str, str], int],
            categories: dict[str, int]) -> None:
        """One document: its term counts by (category, label), its category totals by path."""
        when = (doc.source, doc.published, doc.precision)
        total = self.totals[when]
        total[0] += 1
        total[1] += words
        head = (doc.origin, doc.external_id, doc.source, doc.published, doc.precision, words)
        mentioned: dict[tuple[str, str, str], int] = defaultdict(int)
        for (category, label), n in counts.items():
            for name, value in zip(COUNT_COLUMNS, (*head, category, label, n), strict=True):
                self.rows[name].append(value)
            mentioned["term", category, label] += n
            if label in self.shared_labels:
                mentioned["label", "", label] += n
        for path, n in categories.items():
            for name, value in zip(CATEGORY_COLUMNS, (*head, path, n), strict=True):
                self.category_rows[name].append(value)
            mentioned["category", path, ""] += n
        for series, n in mentioned.items():
            cell = self.series[(*series, *when)]
            cell[0] += n
            cell[1] += 1

    def note(self, doc: Any, words: int, text_hash: str, counted: bool) -> None:
        """One document of the shard, counted by this lexicon or not (documents.parquet)."""
        row = (doc.origin, doc.external_id, doc.source, doc.published, doc.precision, words,
               text_hash, int(counted))
        for name, value in zip(DOCUMENT_COLUMNS, row, strict=True):
            self.document_rows[name].append(value)

    def write(self, fs: Any, folder: str) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        def table(rows: dict[str, list], columns: tuple[str, ...]):
            return pa.table({
                name: pa.array(rows.get(name, []), type=pa.int64()
                               if name in ("word_count", "count", "counted") else pa.string())
                for name in columns})

        counts = table(self.rows, COUNT_COLUMNS)
        categories = table(self.category_rows, CATEGORY_COLUMNS)
        documents = table(self.document_rows, DOCUMENT_COLUMNS)
        totals = pa.table(_columns(("source", "published", "precision"),
                                   ("documents", "words"), self.totals))
        series = pa.table(_columns(("kind", "category", "term", "source", "published",
                                    "precision"), ("count", "docs"), self.series))
        for name, data in (("counts", counts), ("categories", categories), ("totals", totals),
                           ("series", series), ("documents", documents)):
            with fs.open(f"{folder}/{name}.parquet", "wb") as out:
                pq.write_table(data, out)


def _columns(keys: tuple[str, ...], values: tuple[str, ...], cells: dict) -> dict:
    import pyarrow as pa

    items = sorted(cells.items(), key=lambda kv: tuple("" if k is None else k for k in kv[0]))
    out: dict[str, Any] = {}
    for i, name in enumerate(keys):
        out[name] = pa.array([k[i] for k, _ in items], type=pa.string())
    for i, name in enumerate(values):
        out[name] = pa.array([v[i] for _, v in items], type=pa.int64())
    return out


def tally_shard(shard: Shard, lexicons: Sequence[Lexicon], options: ReadOptions,
                source: str, work: str) -> ShardResult:
    """The task: read, normalise and scan every document of ``shard``; write partials.

    A shard that cannot be read comes back with ``error`` set and nothing written (the
    task itself does not fail, so Dask neither retries nor logs it); a bad record fails
    alone and is counted in the result.
    """
    try:
        return _tally_shard(shard, lexicons, options, source, work)
    except ShardError as exc:
        return ShardResult(shard.url, shard.key, lexicons=[lex.name for lex in lexicons],
                           error=str(exc))


def _tally_shard(shard: Shard, lexicons: Sequence[Lexicon], options: ReadOptions,
                 source: str, work: str) -> ShardResult:
    import fsspec

    started = time.perf_counter()
    matcher = worker_matcher(lexicons)
    number = {lex.name: i for i, lex in enumerate(lexicons)}
    which = [(number[name], term.category, term.label) for name, term in matcher.terms]
    paths = [(number[name], path) for name, path in matcher.categories]
    partials = [PartialResult(lex) for lex in lexicons]
    result = ShardResult(shard.url, shard.key, lexicons=[lex.name for lex in lexicons])
    seen_ids: set[tuple[str, str]] = set()
    seen_texts: set[str] = set()
    moment = datetime.now(timezone.utc).replace(microsecond=0)
    for doc in read_shard(shard, options, source):
        if isinstance(doc, IngestError):
            result.failed += 1
            if len(result.errors) < KEPT_ERRORS:
                result.errors.append(str(doc))
            continue
        text = normalise_text(doc.text)
        if not text:
            result.failed += 1
            if len(result.errors) < KEPT_ERRORS:
                result.errors.append(f"{doc.origin}: empty text")
            continue
        ident = (doc.source, doc.external_id)
        digest = content_hash(text)
        if (doc.external_id is not None and ident in seen_ids) or digest in seen_texts:
            result.duplicates += 1
            continue
        seen_ids.add(ident)
        seen_texts.add(digest)
        # the store's rules: a placeholder, impossible or future date counts as undated
        warning = doc.date_warning
        reason = implausible_date(doc.published, doc.precision, moment)
        if reason:
            warning = f"{reason}: stored as undated"
            doc = replace(doc, published=None, precision=None)
        if warning and len(result.warnings) < KEPT_ERRORS:
            result.warnings.append(f"{doc.origin}: {warning}")
        language = normalise_language(doc.language) or detect_language(text)
        words = count_words(text)
        per_lexicon: list[dict[tuple[str, str], int]] = [{} for _ in lexicons]
        per_category: list[dict[str, int]] = [{} for _ in lexicons]
        term_counts, category_counts = matcher.tally(text)
        for index, n in term_counts.items():
            lex, category, label = which[index]
            per_lexicon[lex][category, label] = n
        for index, n in category_counts.items():
            lex, path = paths[index]
            per_category[lex][path] = n
        for partial, counts, categories in zip(partials, per_lexicon, per_category,
                                               strict=True):
            # a lexicon with languages applies to those and to documents of unknown language
            counted = language is None or not partial.languages or language in partial.languages
            if counted:
                partial.add(doc, words, counts, categories)
            partial.note(doc, words, digest, counted)
        result.documents += 1
        result.words += words
    result.seconds = time.perf_counter() - started
    fs, root = fsspec.core.url_to_fs(work)
    for lexicon, partial in zip(lexicons, partials, strict=True):
        folder = partial_dir(root, lexicon, shard)
        tmp = f"{folder}.tmp-{uuid.uuid4().hex[:8]}"
        fs.makedirs(tmp, exist_ok=True)
        partial.write(fs, tmp)
        if fs.exists(folder):
            fs.rm(folder, recursive=True)
        fs.mv(tmp, folder, recursive=True)
        with fs.open(f"{folder}/{MARKER}", "w") as out:
            json.dump({**result.__dict__, "lexicon": lexicon.name,
                       "fingerprint": lexicon.fingerprint, "version": shard.version,
                       "format": PARTIAL_FORMAT}, out)
    return result
