"""Durability: what the server acknowledged survives a crash (SIGKILL) and a
restart, idempotency keys included, and versions continue from where they were."""

from __future__ import annotations

import asyncio
import json

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

SEATS = 300


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "seats.db")


async def post_book(client: AsyncHTTPClient, url: str, payload: dict, key: str | None = None):
    headers = {"Content-Type": "application/json", **({"Idempotency-Key": key} if key else {})}
    return await client.fetch(url + "/book", method="POST", body=json.dumps(payload), headers=headers,
                              raise_error=False, request_timeout=30)


@pytest.mark.req("durability")
@pytest.mark.gen_test(timeout=90)
async def test_sigkill_mid_burst_loses_no_acknowledged_booking_and_versions_continue(servers, db_path):
    server = servers("--db", db_path, "--seats", str(SEATS), "--row-size", "20")
    client = AsyncHTTPClient(force_instance=True, max_clients=64)
    acknowledged: list[dict] = []

    async def one_booking() -> None:
        try:
            response = await post_book(client, server.url, {})
        except (HTTPClientError, OSError):
            return  # the crash cut this one off: it was never acknowledged
        if response.code == 200:
            acknowledged.append(json.loads(response.body))

    burst = [asyncio.ensure_future(one_booking()) for _ in range(SEATS + 100)]
    while len(acknowledged) < 60:  # kill while bookings are still streaming in
        await asyncio.sleep(0.002)
    server.kill()
    await asyncio.gather(*burst)
    client.close()

    restarted = servers("--db", db_path)
    snapshot = restarted.get("/seats")
    booked = {seat["id"] for seat in snapshot["seats"] if seat["state"] == "booked"}
    acknowledged_seats = {seat for booking in acknowledged for seat in booking["seats"]}
    assert acknowledged_seats <= booked, "an acknowledged booking was lost"
    assert len(booked) <= SEATS and snapshot["total"] == SEATS
    assert snapshot["version"] == len(booked) >= max(b["version"] for b in acknowledged)
    assert snapshot["available"] == SEATS - len(booked)

    client = AsyncHTTPClient(force_instance=True)
    next_booking = json.loads((await post_book(client, restarted.url, {})).body)
    client.close()
    assert next_booking["version"] == snapshot["version"] + 1


@pytest.mark.req("idempotency")
@pytest.mark.req("durability")
@pytest.mark.gen_test(timeout=60)
async def test_an_idempotency_key_is_honoured_across_a_restart(servers, db_path):
    server = servers("--db", db_path, "--seats", "20", "--row-size", "5")
    client = AsyncHTTPClient(force_instance=True)
    first = await post_book(client, server.url, {"quantity": 2}, key="checkout-42")
    server.kill()

    restarted = servers("--db", db_path)
    repeat = await post_book(client, restarted.url, {"quantity": 2}, key="checkout-42")
    other_body = await post_book(client, restarted.url, {"quantity": 3}, key="checkout-42")
    client.close()

    assert (first.code, repeat.code, other_body.code) == (200, 200, 422)
    assert repeat.body == first.body
    assert restarted.get("/healthz")["version"] == 1
    assert restarted.get("/seats")["available"] == 18


@pytest.mark.req("durability")
@pytest.mark.gen_test(timeout=60)
async def test_an_existing_database_keeps_its_venue_whatever_the_flags_say(servers, db_path):
    first = servers("--db", db_path, "--seats", "12", "--row-size", "4")
    first.kill()

    again = servers("--db", db_path, "--seats", "500", "--row-size", "50")

    snapshot = again.get("/seats")
    assert snapshot["total"] == 12
    assert [s["id"] for s in snapshot["seats"]][-4:] == ["C1", "C2", "C3", "C4"]
