"""When the disk refuses a commit, nothing in that batch is acknowledged or
broadcast, and the server carries on from what is really stored."""

from __future__ import annotations

import sqlite3

import pytest

from app.sqlite_store import SqliteStore as SeatStore
from application import SeatServer
from tests.http.conftest import body_of
from tests.support.sse import EventStreamClient


class FlakyDisk:
    def __init__(self) -> None:
        self.failures_left = 0


@pytest.fixture
def disk(monkeypatch) -> FlakyDisk:
    disk = FlakyDisk()
    real_commit = SeatStore.commit

    def commit(store: SeatStore, writes) -> None:
        if disk.failures_left:
            disk.failures_left -= 1
            raise sqlite3.OperationalError("disk I/O error")
        real_commit(store, writes)

    monkeypatch.setattr(SeatStore, "commit", commit)
    return disk


@pytest.fixture
def seat_server(config, disk):
    server = SeatServer(config)
    yield server
    server.close()


@pytest.mark.req("durability")
@pytest.mark.gen_test
async def test_a_failed_commit_answers_500_books_nothing_and_the_next_booking_works(api, disk, base_url):
    stream = await EventStreamClient.open(base_url + "/events")
    await stream.next_event()
    disk.failures_left = 1

    failed = await api.book({"seats": ["A1"]})
    retried = await api.book({"seats": ["A1"]})
    event = await stream.next_seats_event()
    stream.close()

    assert failed.code == 500
    assert body_of(failed)["error"] == "storage_failed"
    assert retried.code == 200, retried.body
    assert body_of(retried)["version"] == 1
    assert (event.id, event.json()["changed"]) == ("1", {"A1": "booked"})
    assert (await api.seats())["version"] == 1


@pytest.mark.req("idempotency")
@pytest.mark.gen_test
async def test_a_key_whose_first_try_failed_to_commit_can_be_retried(api, disk):
    disk.failures_left = 1

    failed = await api.book({}, headers={"Idempotency-Key": "retry-me"})
    retried = await api.book({}, headers={"Idempotency-Key": "retry-me"})
    repeat = await api.book({}, headers={"Idempotency-Key": "retry-me"})

    assert (failed.code, retried.code, repeat.code) == (500, 200, 200)
    assert repeat.body == retried.body
