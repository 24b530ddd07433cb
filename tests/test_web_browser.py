"""The web view in a real browser: Debian's headless Chromium driven by Playwright.

``monitor serve`` runs on a free 127.0.0.1 port over the demo database; the test picks a
series in the form, checks the chart and that its table is ``monitor trend --format json``,
clicks a point for its keyword-in-context lines, downloads the CSV, and tests a lexicon on
pasted text. A screenshot of each page is kept in ``test-artifacts/web/`` (or
``$MONITOR_TEST_ARTIFACTS``) for a person to look at.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(os.environ.get("MONITOR_TEST_ARTIFACTS")
                 or Path(__file__).resolve().parents[1] / "test-artifacts" / "web")

sync_api = pytest.importorskip("playwright.sync_api",
                               reason="browser tests need the playwright package (test extra)")
if not CHROMIUM.exists():
    pytest.skip("no browser: install Debian's chromium (apt-get install chromium"
                " chromium-driver; .ci/run does)", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(web_demo):
    db_path, reports = web_demo
    events = Path(__file__).resolve().parents[1] / "monitor" / "demo_events.yaml"
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--db", str(db_path), "serve", "--port", str(port),
         "--reports", str(reports), "--events", str(events)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/-/trends", timeout=5).close()
            break
        except OSError:
            if process.poll() is not None:
                pytest.fail("monitor serve exited: " + process.stderr.read().decode())
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail("monitor serve did not answer in 30 s")
            time.sleep(0.2)
    yield base, db_path
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        except Exception as exc:  # a browser that is installed but cannot start here
            pytest.skip(f"chromium did not start: {str(exc).splitlines()[0]}")
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    yield context.new_page()
    context.close()


def shot(page, name: str, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def cli(db_path: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--db", str(db_path), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_pick_a_series_see_the_chart_click_a_point_download_the_csv(server, page,
                                                                   tmp_path) -> None:
    base, db_path = server
    page.goto(base + "/-/trends")
    assert page.title() == "Trends"
    shot(page, "trends-form")
    page.fill("input[aria-label='series 1']", "hard_power")
    page.select_option("select[name=measure]", "per10k")
    page.fill("input[name=since]", "1930")
    page.fill("input[name=until]", "1960")
    page.click("input[type=submit]")
    page.wait_for_selector("#chart svg")
    assert page.url.endswith("/-/trends?series=hard_power&measure=per10k&since=1930&until=1960")
    assert page.locator("#chart svg").bounding_box()["width"] > 500
    shot(page, "trends-chart")

    expected = json.loads(cli(db_path, "trend", "hard_power", "--measure", "per10k",
                              "--since", "1930", "--until", "1960", "--format", "json"))
    header = page.locator("#trend-table thead th").all_inner_texts()
    values = page.eval_on_selector_all(
        "#trend-table tbody tr",
        "rows => rows.map(r => [...r.cells].map(c => JSON.parse(c.dataset.value)))")
    assert [dict(zip(header, row, strict=True)) for row in values] == expected["rows"]

    points = page.locator("#chart svg a")
    drawn = [r for r in expected["rows"] if r["per10k"] is not None]
    assert points.count() == len(drawn) >= 25  # one link per drawn point
    assert points.nth(10).locator("title").text_content() == (  # the tooltip on hover
        f"hard_power in {drawn[10]['period']}: {drawn[10]['per10k']:,.2f} per 10,000 words")
    with page.context.expect_page() as opened:
        points.nth(10).click()  # links open in a new tab, keeping the chart
    contexts = opened.value
    contexts.wait_for_load_state()
    period = drawn[10]["period"]
    assert contexts.title() == f"Contexts: hard_power in {period}"
    lines = contexts.locator("#kwic tbody tr")
    assert lines.count() >= 1
    assert contexts.locator("#kwic mark").first.inner_text().strip()
    shot(contexts, "contexts")
    contexts.locator("#kwic tbody tr a").first.click()
    contexts.wait_for_load_state()
    assert "/demo/documents/" in contexts.url and period in contexts.content()

    with page.expect_download() as download:
        page.click("#download-csv")
    saved = tmp_path / "trend.csv"
    download.value.save_as(saved)
    assert saved.read_text(encoding="utf-8") == cli(
        db_path, "trend", "hard_power", "--measure", "per10k", "--since", "1930", "--until",
        "1960", "--format", "csv")


def test_filters_field_panels_and_a_term_from_the_form(server, page) -> None:
    base, db_path = server
    cli(db_path, "trend", "--term", "atomic bomb")  # the CLI counts it; the view reads it
    page.goto(base + "/-/trends")
    page.fill("input[aria-label='series 1']", "hard_power")
    page.fill("input[aria-label='term 1']", "atomic bomb")
    page.fill("input[aria-label='where 1']", "party in Democratic,Republican")
    page.fill("input[name=by]", "party")
    page.select_option("select[name=measure]", "count")
    page.fill("input[name=since]", "1945")
    page.click("input[type=submit]")
    page.wait_for_selector("#chart svg")
    assert page.url.endswith("/-/trends?series=hard_power&term=atomic+bomb&measure=count"
                             "&since=1945&by=party&where=party+in+Democratic%2CRepublican")
    shot(page, "trends-where-by-term", full_page=False)  # the form and chart, not the table
    expected = json.loads(cli(db_path, "trend", "hard_power", "--term", "atomic bomb",
                              "--measure", "count", "--since", "1945", "--by", "party",
                              "--where", "party in Democratic,Republican", "--format", "json"))
    header = page.locator("#trend-table thead th").all_inner_texts()
    values = page.eval_on_selector_all(
        "#trend-table tbody tr",
        "rows => rows.map(r => [...r.cells].map(c => JSON.parse(c.dataset.value)))")
    assert [dict(zip(header, row, strict=True)) for row in values] == expected["rows"]
    assert {(r["series"], r["source"]) for r in expected["rows"]} == {
        (s, p) for s in ("hard_power", "atomic bomb") for p in ("Democratic", "Republican")}
    point = next(r for r in expected["rows"] if r["series"] == "atomic bomb" and r["count"])
    link = page.locator("#trend-table a[href*='term=atomic']").first.get_attribute("href")
    page.goto(base + link)
    assert page.title() == f"Contexts: atomic bomb in {point['period']}"
    assert page.locator("#kwic tbody tr").count() == point["count"]
    shot(page, "contexts-term")


def test_a_bad_parameter_shows_the_error_on_the_page(server, page) -> None:
    base, _ = server
    page.goto(base + "/-/trends?series=securty")
    assert "unknown series 'securty'" in page.locator("#error").inner_text()
    shot(page, "trends-error")


def test_lexicons_reports_and_tables_pages(server, page) -> None:
    base, _ = server
    page.goto(base + "/-/lexicons?name=power")
    assert page.locator("#tree li.term").count() > 20
    page.fill("textarea[name=text]", "China’s national security and its military")
    page.click("input[type=submit]")
    page.wait_for_selector("#test-matches")
    assert page.locator("#test-matches tbody tr").count() >= 2
    shot(page, "lexicons")
    page.goto(base + "/-/reports/")
    shot(page, "reports")
    page.locator("#entries a").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/index.html")
    assert page.locator("img").count() >= 1
    assert page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    shot(page, "report")
    page.goto(base + "/demo/documents")
    assert "_nocol=text" in page.url
    assert page.locator("text=Facet").count() or page.locator(".facet-info").count()
    shot(page, "documents-table")
