"""The web view: Datasette over a monitor database, with the trends, contexts, reports and
lexicons pages of the plugin in ``plugin``.

``make_datasette`` builds the app (read-only, bounded query time and result size, the
README's schema docs as metadata); ``serve`` runs it with uvicorn, on 127.0.0.1 unless
told otherwise. ``forms`` checks the trends form; ``trends_page``, ``reports_page`` and
``lexicons_page`` are the pages.
"""

from __future__ import annotations

import threading
import webbrowser
from pathlib import Path

from .app import SETTINGS, ServeError, WebConfig, check_database, make_datasette
from .forms import FormError, TrendForm


def serve(database: str | Path, *, host: str = "127.0.0.1", port: int = 8001,
          reports: str | Path = "reports", events: list[str | Path] | None = None,
          open_browser: bool = False) -> None:
    """Serve ``database`` until interrupted. ServeError if it cannot be served."""
    import uvicorn

    app = make_datasette(database, reports=reports, events=events)
    url = f"http://{'localhost' if host in ('127.0.0.1', '::1') else host}:{port}/-/trends"
    if open_browser:
        threading.Timer(1.0, webbrowser.open, [url]).start()
    uvicorn.run(app.app(), host=host, port=port, log_level="warning")


__all__ = ["SETTINGS", "FormError", "ServeError", "TrendForm", "WebConfig", "check_database",
           "make_datasette", "serve"]
