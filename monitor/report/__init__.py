"""Reports: charts of trends and the report bundles built from ``monitor.toml``.

``config`` reads and checks ``monitor.toml``; ``charts`` draws trends with matplotlib;
``render`` writes a bundle's HTML, Markdown and CSV; ``bundle`` builds a period's report.
"""

from __future__ import annotations

from .bundle import build_report, resolve_period
from .charts import Event, chart, load_events
from .config import ChartSpec, Config, ConfigError, load_config

__all__ = [
    "ChartSpec", "Config", "ConfigError", "Event", "build_report", "chart", "load_events",
    "load_config", "resolve_period",
]
