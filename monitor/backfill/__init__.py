"""Backfill: tally archives that stay in their shards, on Dask, into the store's aggregates.

``shards`` finds and reads JSON Lines and Parquet shards (local or any fsspec URL) with
the ingest field mapping; ``tasks`` is the Dask task that tallies one shard (one compiled
matcher per worker) and writes its partial results; ``load`` puts finished partials into
the store; ``run`` drives it all (:func:`backfill`).
"""

from __future__ import annotations

from .run import BackfillReport, Progress, backfill, default_work_dir
from .shards import Shard, ShardError, find_shards, read_shard
from .tasks import ShardResult, tally_shard

__all__ = [
    "BackfillReport", "Progress", "Shard", "ShardError", "ShardResult", "backfill",
    "default_work_dir", "find_shards", "read_shard", "tally_shard",
]
