"""Browser tests: the real server in a subprocess, the system's Chromium, Playwright.

Each test module gets one server (`--db :memory:`); each simulated user gets its
own browser context, because Chromium allows six connections per host per
profile and every page holds one for its event stream.

With `SEATS_BASE_URL` set (the compose `e2e` service: `http://app:8888`) no
server is started: every test runs against that one, whatever its venue size and
whatever it already holds, and cancels at its end what it booked, so the next
test and the next run find the venue as they did. Tests marked `own_server` need
a venue of their own and are skipped there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.e2e.helpers import READY
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
BASE_URL = os.environ.get("SEATS_BASE_URL", "").strip().rstrip("/")
STORAGE_KEY = "seat-bookings"  # where the page keeps its bookings (web/booking_page.py)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


class ServerClient:
    """What the tests ask of a server over HTTP, wherever it runs."""

    url: str

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

    def cancel(self, booking_id: str, token: str) -> int:
        request = urllib.request.Request(f"{self.url}/bookings/{booking_id}", method="DELETE",
                                         headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def seat_states(self) -> dict[str, str]:
        return {seat["id"]: seat["state"] for seat in self.get("/seats")["seats"]}

    def free_seats(self, count: int) -> list[str]:
        """The first `count` free seats, in the server's order; fails clearly when the venue has fewer."""
        free = [seat for seat, state in self.seat_states().items() if state == "free"]
        assert len(free) >= count, f"this test needs {count} free seats, {self.url} has {len(free)}"
        return free[:count]

    def wait_for_subscribers(self, expected: int, timeout: float = 5.0) -> int:
        """Polls /healthz until `subscribers` equals `expected`; returns the last count."""
        deadline = time.monotonic() + timeout
        count = self.get("/healthz")["subscribers"]
        while count != expected and time.monotonic() < deadline:
            time.sleep(0.05)
            count = self.get("/healthz")["subscribers"]
        return count


class RunningServer(ServerClient):
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

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log.close()


class ExternalServer(ServerClient):
    """A server someone else runs (`SEATS_BASE_URL`): never started or stopped here.
    It remembers what the tests book on it so `release_bookings` can give it back."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.bookings: dict[str, str] = {}  # booking_id -> token, booked since the last release

    def wait_until_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                health = self.get("/healthz")
            except (OSError, ValueError) as error:  # not listening yet, or not JSON
                last = repr(error)
            else:
                if health.get("status") == "ok":
                    return
                last = repr(health)
            time.sleep(0.25)
        raise AssertionError(f"{self.url}/healthz did not answer ok within {timeout:.0f} s: {last}")

    def book(self, body: dict) -> tuple[int, dict]:
        status, reply = super().book(body)
        if status == 200:
            self.bookings[reply["booking_id"]] = reply["token"]
        return status, reply

    def remember(self, records: list[dict]) -> None:
        """Bookings a page made (its localStorage records), to release with the rest."""
        for record in records:
            self.bookings[str(record["booking_id"])] = str(record["token"])

    def release_bookings(self) -> None:
        """Cancels every remembered booking; one the test already cancelled answers 404."""
        bookings, self.bookings = self.bookings, {}
        refused = {booking_id: status for booking_id, token in bookings.items()
                   if (status := self.cancel(booking_id, token)) not in (200, 404)}
        assert not refused, f"could not release bookings on {self.url}: {refused}"

    def stop(self) -> None:
        """Not ours to stop."""


def own_server_reason(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("own_server")
    if marker is None:
        return None
    return marker.args[0] if marker.args else "it needs a venue of its own"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not BASE_URL:
        return
    for item in items:
        reason = own_server_reason(item)
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=f"SEATS_BASE_URL is set and this test needs its own server: "
                                                    f"{reason}"))


def start_server(tmp_path_factory: pytest.TempPathFactory, seats: int, row_size: int) -> RunningServer:
    server = RunningServer(tmp_path_factory.mktemp("server"), seats, row_size)
    try:
        server.wait_until_healthy()
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer | ExternalServer]:
    """One server per test module; a module sets `VENUE = (seats, row_size)` to change the venue.
    With `SEATS_BASE_URL` set, that server instead, whatever its venue (`VENUE` is ignored)."""
    if BASE_URL:
        external = ExternalServer(BASE_URL)
        external.wait_until_healthy()
        yield external
        return
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


@pytest.fixture(autouse=True)
def leave_the_external_venue_as_found(request: pytest.FixtureRequest) -> Iterator[None]:
    """Against an external server, cancel at the end of each test whatever it booked, through
    the API or in its pages (`open_page` hands those over as it closes them)."""
    if not BASE_URL or "server" not in request.fixturenames:
        yield
        return
    external = request.getfixturevalue("server")
    yield
    external.release_bookings()


def page_bookings(context: BrowserContext) -> list[dict]:
    """The bookings a browser context's pages keep in localStorage, open pages or not."""
    records: list[dict] = []
    for origin in context.storage_state()["origins"]:
        for item in origin["localStorage"]:
            if item["name"] == STORAGE_KEY:
                records.extend(json.loads(item["value"]))
    return records


@pytest.fixture
def open_page(browser: Browser, server: RunningServer | ExternalServer) -> Iterator[Callable[..., Page]]:
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
        if isinstance(server, ExternalServer):
            server.remember(page_bookings(context))
        context.close()
    assert errors.seen == [], "the page logged errors"
