"""Reading archive shards: JSON Lines or Parquet, local paths or any fsspec URL.

A shard yields the same :class:`~monitor.documents.Document` records (or
:class:`~monitor.documents.IngestError`) that ``monitor ingest`` would make of it, through
the same record field mapping (:class:`~monitor.sources.FieldMap`); only the documents
stay in the shard instead of going to SQLite. A shard that cannot be read at all (a
truncated gzip, a file that is not Parquet) raises :class:`ShardError`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..documents import Document, IngestError
from ..sources import ReadOptions
from ..sources.records import FileContext, read_json, record_to_document

#: Shard formats by extension (each JSON one also gzip'd, bz2'd, xz'd or zstd'd).
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".parquet": "parquet",
           ".pq": "parquet"}
_COMPRESSED = (".gz", ".bz2", ".xz", ".zst")
#: Rows read from a Parquet file at a time.
PARQUET_BATCH = 1024


class ShardError(RuntimeError):
    """A shard that cannot be read as a whole: the message names it and says why."""


@dataclass(frozen=True)
class Shard:
    """One input file of an archive: its URL and what identifies its content."""

    url: str
    format: str
    version: str = ""  # size and modification time, or the store's ETag

    @property
    def name(self) -> str:
        return posixpath.basename(self.url.rstrip("/"))

    @property
    def key(self) -> str:
        """Stable id of this content of this shard: names its partial results."""
        digest = hashlib.sha256(f"{self.url}\n{self.version}".encode()).hexdigest()[:16]
        stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.name)[:60]
        return f"{stem}-{digest}"


def shard_format(url: str) -> str:
    name = posixpath.basename(url.rstrip("/")).lower()
    for suffix in _COMPRESSED:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            if name.endswith((".parquet", ".pq")):
                raise ShardError(f"{url}: Parquet shards carry their own compression;"
                                 " do not compress the file")
    for ext, kind in FORMATS.items():
        if name.endswith(ext):
            return kind
    raise ShardError(f"{url}: not a shard format (.jsonl, .json or .parquet, JSON also"
                     " compressed as .gz, .bz2, .xz or .zst)")


def find_shards(urls: list[str]) -> tuple[list[Shard], list[str]]:
    """Expand globs and folders into shards (sorted); also one error line per bad URL."""
    import fsspec

    shards: dict[str, Shard] = {}
    errors: list[str] = []
    for url in urls:
        try:
            fs, _, paths = fsspec.get_fs_token_paths(url)
        except (ValueError, ImportError, OSError) as exc:
            errors.append(f"{url}: cannot open ({exc})")
            continue
        found: list[str] = []
        for path in paths:
            if not fs.exists(path):
                errors.append(f"{url}: no such shard or folder")
            elif fs.isdir(path):
                found += [p for p in sorted(fs.find(path)) if _is_shard_name(p)]
            else:
                found.append(path)
        if not paths:
            errors.append(f"{url}: no such shard (nothing matches)")
        elif not found and all(fs.isdir(path) for path in paths):
            errors.append(f"{url}: no shards in it (.jsonl, .json or .parquet)")
        for path in found:
            full = fs.unstrip_protocol(path) if _has_protocol(url) else path
            try:
                shards.setdefault(full, Shard(full, shard_format(full), _version(fs, path)))
            except (ShardError, OSError) as exc:
                errors.append(str(exc) if isinstance(exc, ShardError) else f"{full}: {exc}")
    return sorted(shards.values(), key=lambda s: s.url), errors


def _has_protocol(url: str) -> bool:
    return "://" in url and not url.startswith("file://")


def _is_shard_name(path: str) -> bool:
    base = posixpath.basename(path)
    if base.startswith((".", "_")):
        return False
    try:
        shard_format(path)
    except ShardError:
        return False
    return True


def _version(fs: Any, path: str) -> str:
    info = fs.info(path)
    stamp = info.get("ETag") or info.get("etag") or info.get("mtime") or info.get(
        "LastModified") or info.get("last_modified") or ""
    return f"{info.get('size')}:{stamp}"


def read_shard(shard: Shard, options: ReadOptions, source: str) -> Iterator[Document | IngestError]:
    """The shard's documents, streamed; ``source`` is the default source name.

    Raises :class:`ShardError` when the shard as a whole cannot be read.
    """
    import fsspec

    ctx = FileContext(display=shard.url, rel=shard.name, source=source, options=options)
    try:
        if shard.format == "parquet":
            yield from _read_parquet(shard, ctx)
            return
        with fsspec.open(shard.url, "rb", compression="infer") as stream:
            yield from read_json(stream, ctx, lines_only=shard.format == "jsonl")
    except ShardError:
        raise
    except Exception as exc:  # a broken compressed stream, a vanished file, a bad Parquet
        raise ShardError(f"{shard.url}: unreadable shard ({_reason(exc)})") from None


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) < 300 else text[:297] + "..."


def _read_parquet(shard: Shard, ctx: FileContext) -> Iterator[Document | IngestError]:
    import fsspec
    import pyarrow.parquet as pq

    with fsspec.open(shard.url, "rb") as stream:
        try:
            parquet = pq.ParquetFile(stream)
        except Exception as exc:
            raise ShardError(f"{shard.url}: not a Parquet file ({_reason(exc)})") from None
        row = 0
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH):
            for record in batch.to_pylist():
                row += 1
                yield record_to_document(_plain(record), ctx, f"row {row}", f"{ctx.rel}#{row}")


def _plain(record: dict) -> dict:
    """Parquet dates and timestamps as ISO strings, which the date rules read."""
    for key, value in record.items():
        if isinstance(value, dt.datetime):
            record[key] = value.replace(tzinfo=None).isoformat()
        elif isinstance(value, dt.date):
            record[key] = value.isoformat()
    return record
