"""Browser tests: the real server in a subprocess, the system's Chromium, Playwright.

Each test module gets one server (`--db :memory:`); each simulated user gets its
own browser context, because Chromium allows six connections per host per
profile and every page holds one for its event stream.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.helpers import READY

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningServer:
    """`python server.py` on a free port; its output goes to a file, never a pipe
    nobody reads (a full pipe would stall the server mid-test)."""

    def __init__(self, log_dir: Path, seats: int, row_size: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"server-{self.port}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "server.py"), "--host", "127.0.0.1", "--port", str(self.port),
             "--db", ":memory:", "--seats", str(seats), "--row-size", str(row_size)],
            cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def wait_until_healthy(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log_path.read_text()
            try:
                self.get("/healthz")
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"server did not become healthy: {self.log_path.read_text()}")

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(self.url + path, timeout=5) as response:
            return json.loads(response.read())

    def book(self, body: dict) -> tuple[int, dict]:
        request = urllib.request.Request(self.url + "/book", data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def seat_states(self) -> dict[str, str]:
        return {seat["id"]: seat["state"] for seat in self.get("/seats")["seats"]}

    def wait_for_subscribers(self, expected: int, timeout: float = 5.0) -> int:
        """Polls /healthz until `subscribers` equals `expected`; returns the last count."""
        deadline = time.monotonic() + timeout
        count = self.get("/healthz")["subscribers"]
        while count != expected and time.monotonic() < deadline:
            time.sleep(0.05)
            count = self.get("/healthz")["subscribers"]
        return count

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log.close()


def start_server(tmp_path_factory: pytest.TempPathFactory, seats: int, row_size: int) -> RunningServer:
    server = RunningServer(tmp_path_factory.mktemp("server"), seats, row_size)
    try:
        server.wait_until_healthy()
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One server per test module; a module sets `VENUE = (seats, row_size)` to change the venue."""
    seats, row_size = getattr(request.module, "VENUE", (30, 10))
    running = start_server(tmp_path_factory, seats, row_size)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class PageErrors:
    """Python tracebacks, uncaught errors and CSP refusals seen by a page: none allowed."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def console(self, message) -> None:
        text = message.text
        if message.type == "error" and any(sign in text for sign in ("Traceback", "Content Security Policy",
                                                                      "Refused to")):
            self.seen.append(text)

    def page_error(self, error) -> None:
        self.seen.append(str(error))


@pytest.fixture
def open_page(browser: Browser, server: RunningServer) -> Iterator[Callable[..., Page]]:
    """`open_page()` -> a new user (own context) on the booking page, ready to use."""
    contexts = []
    errors = PageErrors()

    def open_new(init_script: str | None = None, viewport: dict | None = None, wait_ready: bool = True) -> Page:
        context = browser.new_context(viewport=viewport or {"width": 1000, "height": 800})
        contexts.append(context)
        context.set_default_timeout(10_000)
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        page.on("console", errors.console)
        page.on("pageerror", errors.page_error)
        page.goto(server.url + "/")
        if wait_ready:
            page.wait_for_selector(READY)
        return page

    yield open_new
    for context in contexts:
        context.close()
    assert errors.seen == [], "the page logged errors"
