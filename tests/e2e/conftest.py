"""Browser tests: the real server in a subprocess, the system's Chromium, Playwright.

Each test module gets one server (`--db :memory:`); each simulated user gets its
own browser context, because Chromium allows six connections per host per
profile and every page holds one for its event stream.

With `SEATS_BASE_URL` set (the compose `e2e` service: `http://app:8888`) no
server is started: every test runs against that one, whatever its venue size and
whatever it already holds, and at its end lets go of what it held and cancels what
it booked (through the API, or what its pages keep in localStorage), so the next
test and the next run find the venue as they did. Tests marked `own_server` need
a venue (or settings, or shows) of their own and are skipped there.
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
STORAGE_PREFIX = "seats:"  # + show id: where the page keeps its holds and bookings (web/booking_page.py)
ADMIN_TOKEN = "e2e-admin"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


class ServerClient:
    """What the tests ask of a server over HTTP, wherever it runs."""

    url: str

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(self.url + path, timeout=5) as response:
            return json.loads(response.read())

    def call(self, method: str, path: str, body: dict | None = None, token: str = "",
             key: str = "") -> tuple[int, dict]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if key:
            headers["Idempotency-Key"] = key
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def book(self, body: dict, show: str = "main") -> tuple[int, dict]:
        return self.call("POST", f"/shows/{show}/book", body)

    def cancel(self, booking_id: str, token: str) -> int:
        return self.call("DELETE", f"/bookings/{booking_id}", token=token)[0]

    def hold(self, body: dict, show: str = "main") -> tuple[int, dict]:
        return self.call("POST", f"/shows/{show}/holds", body)

    def release(self, hold_id: str, token: str) -> int:
        return self.call("DELETE", f"/holds/{hold_id}", token=token)[0]

    def seat_states(self, show: str = "main") -> dict[str, str]:
        """Seat id -> free, held or booked, from the compact snapshot."""
        names = {"f": "free", "h": "held", "b": "booked"}
        rows = self.get(f"/shows/{show}/seats")["rows"]
        return {f"{label}{n + 1}": names[letter] for label, letters in rows.items()
                for n, letter in enumerate(letters)}

    def available(self, show: str = "main") -> int:
        return self.get(f"/shows/{show}/seats")["available"]

    def free_seats(self, count: int, show: str = "main") -> list[str]:
        """The first `count` free seats, in the server's order; fails clearly when the venue has fewer."""
        free = [seat for seat, state in self.seat_states(show).items() if state == "free"]
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

    def remember(self, records: list[tuple[str, dict]]) -> None:
        """What a page kept (its storage records): let go of it at the end, when it is not our server."""


class RunningServer(ServerClient):
    """`python server.py` on a free port; its output goes to a file, never a pipe
    nobody reads (a full pipe would stall the server mid-test)."""

    def __init__(self, log_dir: Path, seats: int, row_size: int, extra: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"server-{self.port}.log"
        self._log = self.log_path.open("wb")
        # Every test of a module holds from 127.0.0.1: the default 20 open holds a
        # client would run out.
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "server.py"), "--host", "127.0.0.1", "--port", str(self.port),
             "--db", ":memory:", "--seats", str(seats), "--row-size", str(row_size),
             "--max-holds-per-client", "1000", "--admin-token", ADMIN_TOKEN, *extra],
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

    def create_show(self, show: dict) -> dict:
        request = urllib.request.Request(self.url + "/shows", data=json.dumps(show).encode(), method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": f"Bearer {ADMIN_TOKEN}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

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
    It remembers what the tests hold and book on it so `release_all` can give it back."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.bookings: dict[str, str] = {}  # booking_id -> token, booked since the last release
        self.holds: dict[str, str] = {}  # hold_id -> token

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

    def call(self, method: str, path: str, body: dict | None = None, token: str = "",
             key: str = "") -> tuple[int, dict]:
        status, reply = super().call(method, path, body, token, key)
        if status == 200 and "booking_id" in reply:
            self.bookings[reply["booking_id"]] = reply["token"]
        if status == 201 and "hold_id" in reply:
            self.holds[reply["hold_id"]] = reply["token"]
        return status, reply

    def remember(self, records: list[tuple[str, dict]]) -> None:
        """What pages kept in localStorage (holds, bookings), to give back with the rest."""
        for _show, record in records:
            for hold in (record.get("holds") or {}).values():
                self.holds[str(hold["hold_id"])] = str(hold["token"])
            for booking in (record.get("bookings") or {}).values():
                self.bookings[str(booking["booking_id"])] = str(booking["token"])

    def release_all(self) -> None:
        """Lets go of every remembered hold and cancels every remembered booking; one
        the test already ended answers 404."""
        holds, self.holds = self.holds, {}
        bookings, self.bookings = self.bookings, {}
        refused = {hold_id: status for hold_id, token in holds.items()
                   if (status := self.release(hold_id, token)) not in (200, 404)}
        refused.update({booking_id: status for booking_id, token in bookings.items()
                        if (status := self.cancel(booking_id, token)) not in (200, 404)})
        assert not refused, f"could not give back holds and bookings on {self.url}: {refused}"

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


def start_server(tmp_path_factory: pytest.TempPathFactory, seats: int, row_size: int,
                 extra: tuple[str, ...] = ()) -> RunningServer:
    server = RunningServer(tmp_path_factory.mktemp("server"), seats, row_size, extra)
    try:
        server.wait_until_healthy()
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer | ExternalServer]:
    """One server per test module; a module sets `VENUE = (seats, row_size)` to change the venue
    and `SERVER_ARGS` to add options. With `SEATS_BASE_URL` set, that server instead, whatever
    its venue (`VENUE` and `SERVER_ARGS` are ignored)."""
    if BASE_URL:
        external = ExternalServer(BASE_URL)
        external.wait_until_healthy()
        yield external
        return
    seats, row_size = getattr(request.module, "VENUE", (30, 10))
    running = start_server(tmp_path_factory, seats, row_size, tuple(getattr(request.module, "SERVER_ARGS", ())))
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
    external.release_all()


def page_records(context: BrowserContext) -> list[tuple[str, dict]]:
    """(show id, storage record) for every show whose holds and bookings a browser
    context's pages keep in localStorage, open pages or not."""
    records = []
    for origin in context.storage_state()["origins"]:
        for item in origin["localStorage"]:
            if item["name"].startswith(STORAGE_PREFIX):
                records.append((item["name"][len(STORAGE_PREFIX):], json.loads(item["value"])))
    return records


@pytest.fixture
def open_page(browser: Browser, server: RunningServer | ExternalServer) -> Iterator[Callable[..., Page]]:
    """`open_page()` -> a new user (own context) on the sales page, ready to use;
    `open_page(context=page.context)` -> another tab of the same user."""
    contexts = []
    errors = PageErrors()

    def open_new(init_script: str | None = None, viewport: dict | None = None, wait_ready: bool = True,
                 path: str = "/", context: BrowserContext | None = None, has_touch: bool = False) -> Page:
        if context is None:
            context = browser.new_context(viewport=viewport or {"width": 1280, "height": 800}, has_touch=has_touch)
            contexts.append(context)
            context.set_default_timeout(15_000)
            if init_script:
                context.add_init_script(init_script)
        page = context.new_page()
        page.on("console", errors.console)
        page.on("pageerror", errors.page_error)
        if wait_ready is not None:
            page.goto(server.url + path)
        if wait_ready:
            page.wait_for_selector(READY)
        return page

    yield open_new
    for context in contexts:
        server.remember(page_records(context))
        context.close()
    assert errors.seen == [], "the page logged errors"
