"""The Datasette plugin: its hooks, registered by :func:`monitor.web.make_datasette`.

It adds the pages (``/-/trends``, ``/-/contexts``, ``/-/reports/``, ``/-/lexicons``), puts
them in Datasette's menu, facets documents by year, keeps the documents table page
from loading every text (it redirects to ``?_nocol=text&_nocol=cjk``), and makes the
search box find Chinese words (:func:`monitor.store.fts_query`).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args
from datasette.utils.asgi import Response
from jinja2 import ChoiceLoader, FileSystemLoader

from ..store import fts_query
from . import lexicons_page, reports_page, trends_page
from .app import NAME, TEMPLATES, ServeError
from .pages import SECURITY_HEADERS, web_config


@hookimpl(trylast=True)
def prepare_connection(conn):
    """The search box finds Chinese words of any length (after Datasette's own function)."""
    conn.create_function("escape_fts", 1, fts_query)


@hookimpl
def register_routes(datasette):
    return [
        (r"^/-/trends$", _served(trends_page.trends)),
        (r"^/-/trends\.(?P<format>csv|json|svg|png)$", _served(trends_page.download)),
        (r"^/-/contexts$", _served(trends_page.contexts)),
        (r"^/-/lexicons$", _served(lexicons_page.lexicons)),
        (r"^/-/reports/?(?P<path>.*)$", _served(reports_page.reports)),
    ]


def _served(view):
    """The page, or a one-line 404 where Datasette serves no monitor database (the plugin
    is installed for every ``datasette`` of the environment)."""
    async def route(datasette, request):
        try:
            web_config(datasette)
        except ServeError as exc:
            return Response.text(f"error: {exc}\n", status=404, headers=SECURITY_HEADERS)
        return await view(datasette, request)

    return route


@hookimpl
def prepare_jinja2_environment(env, datasette):
    """The pages' templates, last in the search path (so a --template-dir overrides them):
    ``make_datasette`` passes them too, plain ``datasette db.db`` only gets them here."""
    env.loader = ChoiceLoader([env.loader, FileSystemLoader(str(TEMPLATES))])


@hookimpl
def menu_links(datasette, actor, request):
    return [
        {"href": datasette.urls.path("/-/trends"), "label": "Trends"},
        {"href": datasette.urls.path("/-/lexicons"), "label": "Lexicons"},
        {"href": datasette.urls.path("/-/reports/"), "label": "Reports"},
    ]


@hookimpl
def register_facet_classes():
    return [YearFacet]


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def hide_text(scope, receive, send):
            """``/<db>/documents`` without column choices: leave out text and cjk."""
            if scope.get("type") == "http" and _is_documents_page(datasette, scope):
                query = scope.get("query_string", b"").decode("latin-1")
                names = {key for key, _ in parse_qsl(query, keep_blank_values=True)}
                if not names & {"_col", "_nocol"}:
                    location = scope["path"] + "?" + "&".join(
                        part for part in (query, "_nocol=text&_nocol=cjk") if part)
                    await Response.redirect(location).asgi_send(send)
                    return
            await app(scope, receive, send)
        return hide_text
    return wrap


def _is_documents_page(datasette, scope) -> bool:
    config = datasette.plugin_config(NAME) or {}
    name = config.get("database")
    return bool(name) and scope.get("path") == datasette.urls.table(name, "documents")


class YearFacet(Facet):
    """Facet a partial ISO date column (2022, 2022-10, 2022-10-16) by its year."""

    type = "year"

    async def suggest(self):
        return []

    async def facet_results(self):
        results, timed_out = [], []
        args = dict(self.get_querystring_pairs())
        size = self.get_facet_size()
        for item in self.get_configs():
            config, source = item["config"], item["source"]
            column = config.get("column") or config["simple"]
            col = escape_sqlite(column)
            sql = (f"select substr({col}, 1, 4) as value, count(*) as count from ({self.sql})"
                   f" where {col} is not null group by value order by value desc"
                   f" limit {size + 1}")
            try:
                rows = await self.ds.execute(
                    self.database, sql, self.params, truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"))
            except QueryInterrupted:
                timed_out.append(column)
                continue
            key = f"{column}__startswith"
            values = []
            for row in rows.rows[:size]:
                selected = args.get(key) == str(row["value"])
                toggle = (path_with_removed_args(self.request, {key: str(row["value"])})
                          if selected else
                          path_with_added_args(self.request, {key: row["value"]}))
                values.append({"value": row["value"], "label": row["value"],
                               "count": row["count"], "selected": selected,
                               "toggle_url": self.ds.absolute_url(self.request, toggle)})
            results.append({
                "name": column, "type": self.type, "results": values,
                "hideable": source != "metadata", "truncated": len(rows) > size,
                "toggle_url": path_with_removed_args(self.request, {"_facet_year": column}),
            })
        return results, timed_out
