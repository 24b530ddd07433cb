"""A synchronous client over Datasette's in-process ASGI client, for the web view's tests."""

from __future__ import annotations

import asyncio
import re
from html.parser import HTMLParser


class Client:
    def __init__(self, datasette) -> None:
        self.ds = datasette
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(datasette.invoke_startup())

    def get(self, path: str, **kw):
        return self.loop.run_until_complete(self.ds.client.get(path, **kw))

    def post(self, path: str, data: dict, **kw):
        """POST a form the way a browser does: with the page's CSRF cookie and token."""
        page = self.get(path)
        token = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)
        cookies = {"ds_csrftoken": page.cookies["ds_csrftoken"]}
        return self.loop.run_until_complete(self.ds.client.post(
            path, data={**data, "csrftoken": token}, cookies=cookies, **kw))

    def close(self) -> None:
        self.loop.close()


class Tables(HTMLParser):
    """Every <table id=...> of a page as rows of cell texts (and data-value attributes)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.values: dict[str, list[list[str | None]]] = {}
        self.links: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self._table = attrs["id"]
            self.tables[self._table], self.values[self._table] = [], []
        elif self._table and tag == "tr":
            self.tables[self._table].append([])
            self.values[self._table].append([])
        elif self._table and tag in ("td", "th"):
            self._cell = []
            self.values[self._table][-1].append(attrs.get("data-value"))
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._table:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def rows(self, table: str) -> list[list[str]]:
        """The body rows of ``table`` (its first row is the header)."""
        return self.tables[table][1:]
