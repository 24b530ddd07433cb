"""Fetching live sources into the store: feeds, web pages, sitemaps and watched folders.

``fetch_sources(db, config)`` fetches the sources of a ``SourcesConfig`` (see
:mod:`monitor.sources.config`) with the polite client of :mod:`monitor.sources.http` and
stores new documents and updates (old text kept in ``document_versions``); ``FetchStore``
holds the conditional-GET state, the fetch log and each source's health.
"""

from __future__ import annotations

from .runner import FetchReport, SourceResult, fetch_sources
from .store import FetchStore, forget_counts

__all__ = ["FetchReport", "FetchStore", "SourceResult", "fetch_sources", "forget_counts"]
