"""Holds and checkout survive a crash: a SIGKILL during a burst of holds and confirms
loses nothing acknowledged, and every hold still expires after the restart; a
database of the single-venue version opens as show `main` in a real process."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from datetime import datetime
from pathlib import Path

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from tests.support.servers import ServerProcess

SEATS = 400
HOLD_SECONDS = 3
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


async def post(client: AsyncHTTPClient, url: str, payload: dict, token: str | None = None):
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return await client.fetch(url, method="POST", body=json.dumps(payload), headers=headers, raise_error=False,
                              request_timeout=30)


def seat_states(server: ServerProcess) -> dict[str, str]:
    rows = server.get("/shows/main/seats")["rows"]
    names = {"f": "free", "h": "held", "b": "booked"}
    return {f"{label}{n}": names[code] for label, codes in rows.items() for n, code in enumerate(codes, 1)}


@pytest.mark.req("durability")
@pytest.mark.req("hold-expiry")
@pytest.mark.gen_test(timeout=120)
async def test_sigkill_during_holds_and_confirms_loses_nothing_acknowledged_and_every_hold_still_expires(
        servers, tmp_path):
    # Arrange
    db = str(tmp_path / "seats.db")
    flags = ("--db", db, "--hold-seconds", str(HOLD_SECONDS), "--max-holds-per-client", "100000")
    server = servers(*flags, "--seats", str(SEATS), "--row-size", "20")
    client = AsyncHTTPClient(force_instance=True, max_clients=64)
    holds: list[dict] = []
    bookings: list[dict] = []

    async def buyer(n: int) -> None:
        try:
            held = await post(client, f"{server.url}/shows/main/holds", {"quantity": 1 + n % 2})
            if held.code != 201:
                return
            hold = json.loads(held.body)
            holds.append(hold)
            if n % 3:
                confirmed = await post(client, f"{server.url}/holds/{hold['hold_id']}/confirm",
                                       {"name": f"Buyer {n}", "email": f"b{n}@example.com"}, hold["token"])
                if confirmed.code == 200:
                    bookings.append(json.loads(confirmed.body))
        except (HTTPClientError, OSError):
            return  # cut off by the crash: never acknowledged

    burst = [asyncio.ensure_future(buyer(n)) for n in range(300)]
    while len(bookings) < 40:  # kill while holds and confirms are still streaming in
        await asyncio.sleep(0.002)

    # Act
    server.kill()
    await asyncio.gather(*burst)
    client.close()
    restarted = servers(*flags)
    after_restart = seat_states(restarted)

    # Assert: every acknowledged booking is booked; every acknowledged hold that was
    # not confirmed is still held (or already expired, if the clock passed it).
    booked_seats = {seat for booking in bookings for seat in booking["seats"]}
    assert all(after_restart[seat] == "booked" for seat in booked_seats), "an acknowledged booking was lost"
    confirmed_holds = {tuple(b["seats"]) for b in bookings}
    for hold in holds:
        if tuple(hold["seats"]) in confirmed_holds:
            continue
        expired = datetime.fromisoformat(hold["expires_at"].replace("Z", "+00:00")).timestamp() <= time.time()
        assert all(after_restart[s] in ("held", "booked") for s in hold["seats"]) or expired, hold
    # No hold lives without its expiry: once HOLD_SECONDS have passed, nothing is held.
    deadline = time.monotonic() + HOLD_SECONDS + 10
    while "held" in seat_states(restarted).values() and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    final = seat_states(restarted)
    assert "held" not in final.values()
    assert {seat for seat, state in final.items() if state == "booked"} >= booked_seats
    snapshot = restarted.get("/shows/main/seats")
    assert snapshot["available"] == list(final.values()).count("free")


@pytest.mark.req("migration")
@pytest.mark.gen_test(timeout=60)
async def test_a_single_venue_database_serves_its_bookings_as_show_main(servers, tmp_path):
    # Arrange
    db = tmp_path / "v1.db"
    shutil.copy(FIXTURES / "v1-seats.db", db)

    # Act
    server = servers("--db", str(db), "--seats", "999")
    shows = server.get("/shows")
    client = AsyncHTTPClient(force_instance=True)
    repeat = await client.fetch(f"{server.url}/book", method="POST", body=json.dumps({"quantity": 2}),
                                headers={"Content-Type": "application/json", "Idempotency-Key": "old-key-1"},
                                raise_error=False)
    cancel = await client.fetch(f"{server.url}/bookings/EdwZGVLeHkjgZa9a", method="DELETE",
                                headers={"Authorization": "Bearer j4b8AuWQ9azrMC8aD8szwKYdYdPRPEyR"},
                                raise_error=False)
    client.close()

    # Assert
    assert [(s["id"], s["total"], s["version"]) for s in shows] == [("main", 30, 4)]
    assert repeat.code == 200
    assert json.loads(repeat.body) == json.loads((FIXTURES / "v1-old-key-1-reply.json").read_text())
    assert cancel.code == 200
    assert json.loads(cancel.body) == {"released": ["C1", "C2", "C3"], "available": 28, "version": 5}
    booked = [s["id"] for s in server.get("/seats")["seats"] if s["state"] == "booked"]
    assert booked == ["A5", "A6"]
