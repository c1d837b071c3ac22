"""The API documentation and the open-data page in a real browser with every request to another
host refused: they render whole from this server alone, axe-clean at desktop and phone widths."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from tests import samples
from tests.browser import LiveServer
from tests.test_browser_alerts import check_page

pytestmark = pytest.mark.browser


@pytest.fixture
def served(app: Flask, runner: Any, tmp_path: Path) -> Iterator[LiveServer]:
    samples.write(tmp_path / "in", "breakfast-club", urn=990003)
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def offline(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    """A page that can reach only 127.0.0.1 and localhost; what it tried elsewhere is listed."""
    context = browser.new_context()
    refused: list[str] = []

    def only_here(route: Any) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", only_here)
    yield context.new_page(), refused
    context.close()


def test_the_api_documentation_renders_with_no_network(served: LiveServer, offline: tuple[Any, list[str]]) -> None:
    page, refused = offline
    page.goto(served.url + "/open-data")
    check_page(page)
    page.get_by_role("link", name="API documentation").click()
    page.wait_for_url("**/docs")
    assert page.get_by_role("heading", name="API documentation", level=1).is_visible()
    search = page.locator("section#get-api-v1-search")
    assert "q (required)" in search.locator("table").inner_text()
    search.get_by_text("Example response").first.click()
    assert '"answers"' in search.locator("details pre").first.inner_text() or \
        '"results"' in search.locator("details pre").first.inner_text()
    page.get_by_role("link", name="SearchResults").first.click()
    assert page.evaluate("location.hash") == "#schema-SearchResults"
    check_page(page)
    page.goto(served.url + "/api")
    assert page.url == served.url + "/docs"
    assert refused == []  # nothing was even asked of another site
    assert page.evaluate("[...document.styleSheets].every(s => !s.href || s.href.startsWith(location.origin))")
