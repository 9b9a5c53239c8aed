"""HTTP tests run the real application in the test's event loop (pytest-tornado)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPResponse

from app.config import Config
from application import SeatServer


@pytest.fixture
def config() -> Config:
    return Config(db=":memory:", seats=50, row_size=10)


@pytest.fixture
def seat_server(config: Config) -> Iterator[SeatServer]:
    server = SeatServer(config)
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


@pytest.fixture
def api(http_server, base_url: str) -> Iterator[Api]:
    client = Api(base_url)
    yield client
    client.client.close()


def body_of(response: HTTPResponse) -> dict:
    return json.loads(response.body)
