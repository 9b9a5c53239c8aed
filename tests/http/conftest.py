"""HTTP tests run the real application in the test's event loop (pytest-tornado)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPResponse

from app.config import Config
from application import SeatServer
from tests.support.postgres import fresh_database
from tests.support.servers import ServerProcess

ADMIN_TOKEN = "admin-secret"


class FakeClock:
    """Seconds since the epoch that move only when a test says so."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def config() -> Config:
    return Config(db=":memory:", seats=50, row_size=10, admin_token=ADMIN_TOKEN)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def seat_server(config: Config, clock: FakeClock) -> Iterator[SeatServer]:
    server = SeatServer(config, clock=clock)
    yield server
    server.close()


@pytest.fixture
def app(seat_server: SeatServer):
    return seat_server.application


class Api:
    """Small helpers over the contract, so tests read as what they check."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        # A private client with room for many concurrent requests (the shared one
        # queues past 10 and times queued requests out).
        self.client = AsyncHTTPClient(force_instance=True, max_clients=1000)

    async def request(self, method: str, path: str, body: bytes | str | None = None,
                      headers: dict[str, str] | None = None) -> HTTPResponse:
        if isinstance(body, str):
            body = body.encode()
        if body is None and method in ("POST", "PUT"):
            body = b""
        return await self.client.fetch(self.base_url + path, method=method, body=body, headers=headers,
                                       raise_error=False, allow_nonstandard_methods=True, request_timeout=30)

    async def book(self, payload: object | None = None, headers: dict[str, str] | None = None) -> HTTPResponse:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        body = b"" if payload is None else json.dumps(payload).encode()
        return await self.request("POST", "/book", body, all_headers)

    async def cancel(self, booking_id: str, token: str | None) -> HTTPResponse:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return await self.request("DELETE", f"/bookings/{booking_id}", None, headers)

    async def seats(self) -> dict:
        return json.loads((await self.request("GET", "/seats")).body)

    async def health(self) -> dict:
        return json.loads((await self.request("GET", "/healthz")).body)

    # -- Part 2 ------------------------------------------------------------------------

    async def post(self, path: str, payload: object | None = None, headers: dict[str, str] | None = None,
                   token: str | None = None) -> HTTPResponse:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        body = b"" if payload is None else json.dumps(payload).encode()
        return await self.request("POST", path, body, all_headers)

    async def delete(self, path: str, token: str | None = None) -> HTTPResponse:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return await self.request("DELETE", path, None, headers)

    async def get(self, path: str, token: str | None = None) -> HTTPResponse:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return await self.request("GET", path, None, headers)

    async def create_show(self, show_id: str, layout: dict | None = None, **fields: object) -> HTTPResponse:
        payload = {"id": show_id, "name": fields.pop("name", show_id.title()),
                   "layout": layout or small_layout(), **fields}
        return await self.post("/shows", payload, token=ADMIN_TOKEN)

    async def hold(self, show: str, payload: object | None = None, headers: dict[str, str] | None = None
                   ) -> HTTPResponse:
        return await self.post(f"/shows/{show}/holds", payload, headers)

    async def confirm(self, hold: dict, name: str = "Ada Lovelace", email: str = "ada@example.com",
                      headers: dict[str, str] | None = None) -> HTTPResponse:
        return await self.post(f"/holds/{hold['hold_id']}/confirm", {"name": name, "email": email}, headers,
                               token=hold["token"])

    async def compact(self, show: str) -> dict:
        return json.loads((await self.request("GET", f"/shows/{show}/seats")).body)


def small_layout() -> dict:
    """Two sections: Stalls rows A (6 seats, 1-2 accessible) and B (6), 4500 each;
    Balcony row BA (4), 2500 each."""
    return {"sections": [
        {"name": "Stalls", "price": 4500, "rows": [{"label": "A", "seats": 6, "accessible": [1, 2]},
                                                   {"label": "B", "seats": 6}]},
        {"name": "Balcony", "price": 2500, "rows": [{"label": "BA", "seats": 4}]},
    ]}


@pytest.fixture
def no_server_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """For tests of refusals: a refused request is an answer, not a fault, so the
    server logs nothing at ERROR while the test runs."""
    yield
    errors = [f"{r.name}: {r.getMessage()}" for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    assert not errors, f"the server logged errors: {errors}"


@pytest.fixture
def servers() -> Iterator[Callable[..., ServerProcess]]:
    """Starts `python server.py ARGS` processes (restarts, crashes); stops them all after."""
    started: list[ServerProcess] = []

    def start(*args: str) -> ServerProcess:
        server = ServerProcess(*args).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test."""
    with fresh_database() as url:
        yield url


@pytest.fixture
def api(http_server, base_url: str) -> Iterator[Api]:
    client = Api(base_url)
    yield client
    client.client.close()


def body_of(response: HTTPResponse) -> dict:
    return json.loads(response.body)
