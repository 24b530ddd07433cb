"""The web view: Datasette over a monitor database, with the trends, contexts, reports and
lexicons pages of the plugin in ``plugin``.

``make_datasette`` builds the app (read-only, bounded query time and result size, the
README's schema docs as metadata); ``serve`` runs it with uvicorn, on 127.0.0.1 unless
told otherwise. ``forms`` checks the trends form; ``trends_page``, ``reports_page`` and
``lexicons_page`` are the pages.
"""

from __future__ import annotations

import threading
import time
import webbrowser
from collections.abc import Callable
from pathlib import Path

from .app import SETTINGS, ServeError, WebConfig, check_database, make_datasette
from .forms import FormError, TrendForm


def serve(database: str | Path, *, host: str = "127.0.0.1", port: int = 8001,
          reports: str | Path = "reports", events: list[str | Path] | None = None,
          open_browser: bool = False, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve ``database`` until interrupted. ServeError if it cannot be served, OSError
    if the address cannot be bound.

    Once the server listens, ``on_ready`` gets the trends page's URL (with the port bound:
    ``port=0`` picks a free one) and, with ``open_browser``, the ``webbrowser`` module
    opens it (``$BROWSER`` chooses the browser, as everywhere in Python).
    """
    import uvicorn

    app = make_datasette(database, reports=reports, events=events)
    server = uvicorn.Server(uvicorn.Config(app.app(), host=host, port=port,
                                           log_level="warning"))

    def announce() -> None:
        while not server.started:
            if server.should_exit:
                return
            time.sleep(0.05)
        sockets = [sock for s in server.servers for sock in s.sockets]
        url = trends_url(host, sockets[0].getsockname()[1] if sockets else port)
        if on_ready:
            on_ready(url)
        if open_browser:
            webbrowser.open(url)

    threading.Thread(target=announce, name="monitor-serve-ready", daemon=True).start()
    try:
        server.run()
    except SystemExit:  # uvicorn exits when it cannot bind; say so as an OSError
        raise OSError(f"cannot listen on {host}:{port} (in use or not allowed)") from None
    finally:
        server.should_exit = True


def trends_url(host: str, port: int) -> str:
    """The trends page of a server bound to ``host``: its loopback for a wildcard."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/-/trends"


__all__ = ["SETTINGS", "FormError", "ServeError", "TrendForm", "WebConfig", "check_database",
           "make_datasette", "serve", "trends_url"]
