"""Real-browser fixtures: the app served on a free port, Chromium driven by Playwright."""

import contextlib
import os
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.accounts import PASSWORD

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
HOW_TO_ENABLE = ("Chromium is not installed: install it (Debian/Ubuntu: `sudo apt-get install "
                 "chromium`) or set COMMONS_CHROMIUM to a Chromium executable, then rerun.")


def chromium_path() -> str | None:
    configured = os.environ.get("COMMONS_CHROMIUM")
    if configured and os.path.exists(configured):
        return configured
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Chromium:
    """One Chromium for the session, launched again if it has gone.

    A browser process that dies between two tests (seen once in a long CI run, with every
    later browser test then failing at setup) costs only itself: the next test gets a new one.
    """

    def __init__(self, playwright: Any, path: str) -> None:
        self.playwright = playwright
        self.path = path
        self.current: Any = None

    def connected(self) -> Any:
        if self.current is None or not self._answers():
            self.current = self.playwright.chromium.launch(executable_path=self.path,
                                                           args=CHROMIUM_FLAGS)
        return self.current

    def _answers(self) -> bool:
        """Whether the browser still opens a context: after its process is killed, Playwright
        goes on calling it connected until a call to it fails."""
        from playwright.sync_api import Error

        try:
            self.current.new_context().close()
        except Error:
            return False
        return True

    def close(self) -> None:
        from playwright.sync_api import Error

        if self.current is not None:
            with contextlib.suppress(Error):  # already gone
                self.current.close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Chromium]:
    path = chromium_path()
    if path is None:
        if os.environ.get("COMMONS_REQUIRE_BROWSER") == "1":
            pytest.fail(HOW_TO_ENABLE)
        pytest.skip(HOW_TO_ENABLE)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launcher = Chromium(playwright, path)
        yield launcher
        launcher.close()


@pytest.fixture
def browser(chromium: Chromium) -> Any:
    """The session's Chromium, connected (launched again if it has gone)."""
    return chromium.connected()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (its own cookies) and page for each test."""
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def live_demo(demo_app: Flask) -> Iterator["LiveServer"]:
    """The demo commons served on a free port."""
    with LiveServer(demo_app) as server:
        yield server


class LiveServer:
    """A Flask app served by werkzeug in a background thread."""

    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


def sign_in(page: Any, base: str, email: str) -> None:
    """Sign in through the real form; the author dashboard is where it lands."""
    page.goto(base + "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/author")


def serious_accessibility_violations(page: Any) -> list[str]:
    """axe-core violations of serious or critical impact on the current page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
