"""Holds as a basket: create, add, remove one seat, release, read; what others see;
expiry as a change like any other (contract Part 2, "Holds and checkout")."""

from __future__ import annotations

import asyncio
import time

import pytest

from app.config import Config
from app.sqlite_store import SqliteStore
from application import SeatServer
from tests.http.conftest import ADMIN_TOKEN, body_of
from tests.support.sse import EventStreamClient

HOLD_SECONDS = 600  # the default


@pytest.mark.req("holds")
@pytest.mark.gen_test
async def test_a_hold_answers_201_with_the_basket_its_token_expiry_and_total(api, clock):
    # Act
    response = await api.hold("main", {"quantity": 2})

    # Assert
    assert response.code == 201, response.body
    basket = body_of(response)
    assert list(basket) == ["hold_id", "token", "seats", "expires_at", "expires_in", "total_price", "available",
                            "version"]
    assert basket["seats"] == ["A5", "A6"]
    assert basket["expires_in"] == HOLD_SECONDS
    assert basket["expires_at"] == "2027-01-15T08:10:00.000Z"  # FakeClock 1.8e9 s + 600 s
    assert (basket["total_price"], basket["available"], basket["version"]) == (0, 48, 1)


@pytest.mark.req("holds")
@pytest.mark.req("REQ-11")
@pytest.mark.gen_test
async def test_held_seats_are_held_for_everyone_in_snapshots_and_streams(api, base_url):
    # Arrange
    stream = await EventStreamClient.open(base_url + "/shows/main/events")
    await stream.next_event()

    # Act
    basket = body_of(await api.hold("main", {"seats": ["C3", "C4"]}))
    event = await stream.next_seats_event()
    stream.close()

    # Assert
    assert event.json() == {"version": 1, "available": 48, "changed": {"C3": "held", "C4": "held"}}
    assert (await api.compact("main"))["rows"]["C"] == "ffhhffffff"
    verbose = {seat["id"]: seat["state"] for seat in (await api.seats())["seats"]}
    assert (verbose["C3"], verbose["C4"], verbose["C5"]) == ("held", "held", "free")
    assert basket["available"] == 48


@pytest.mark.req("holds")
@pytest.mark.req("all-or-nothing")
@pytest.mark.gen_test
async def test_seats_held_by_someone_else_cannot_be_held_or_booked(api):
    # Arrange
    await api.hold("main", {"seats": ["A1"]})

    # Act
    held = await api.hold("main", {"seats": ["A1", "A2"]})
    booked = await api.book({"seats": ["A1"]})

    # Assert
    assert (held.code, booked.code) == (409, 409)
    assert body_of(held)["error"] == "seats_taken"
    assert body_of(held)["unavailable"] == ["A1"]
    assert (await api.compact("main"))["rows"]["A"] == "hfffffffff"


@pytest.mark.req("holds")
@pytest.mark.req("REQ-9")
@pytest.mark.gen_test
async def test_five_clients_racing_for_the_last_seat_one_hold_wins_four_get_409(api):
    # Arrange
    await api.book({"quantity": 10})
    for _ in range(3):
        await api.book({"quantity": 10})
    await api.book({"quantity": 9})

    # Act
    answers = await asyncio.gather(*(api.hold("main", {}) for _ in range(5)))

    # Assert
    assert sorted(a.code for a in answers) == [201, 409, 409, 409, 409]
    assert {body_of(a)["error"] for a in answers if a.code == 409} == {"sold_out"}
    assert (await api.compact("main"))["available"] == 0


@pytest.mark.req("holds")
@pytest.mark.gen_test
async def test_adding_to_a_basket_returns_the_whole_basket_without_the_token_and_keeps_its_expiry(api, clock):
    # Arrange
    basket = body_of(await api.hold("main", {"seats": ["B1"]}))
    clock.advance(100)

    # Act
    added = await api.post(f"/holds/{basket['hold_id']}/seats", {"seats": ["B2", "B3"]}, token=basket["token"])
    more = await api.post(f"/holds/{basket['hold_id']}/seats", {"quantity": 1}, token=basket["token"])

    # Assert
    assert added.code == 200, added.body
    assert "token" not in body_of(added)
    assert body_of(added)["seats"] == ["B1", "B2", "B3"]
    assert body_of(added)["expires_at"] == basket["expires_at"]
    assert body_of(added)["expires_in"] == HOLD_SECONDS - 100
    assert body_of(more)["seats"] == ["B1", "B2", "B3", "A5"]
    assert (body_of(more)["available"], body_of(more)["version"]) == (46, 3)


@pytest.mark.req("holds")
@pytest.mark.req("all-or-nothing")
@pytest.mark.gen_test
async def test_adding_seats_someone_else_has_adds_none_of_them(api):
    # Arrange
    mine = body_of(await api.hold("main", {"seats": ["B1"]}))
    await api.hold("main", {"seats": ["B3"]})

    # Act
    response = await api.post(f"/holds/{mine['hold_id']}/seats", {"seats": ["B2", "B3"]}, token=mine["token"])

    # Assert
    assert response.code == 409
    assert body_of(response)["unavailable"] == ["B3"]
    current = body_of(await api.get(f"/holds/{mine['hold_id']}", mine["token"]))
    assert current["seats"] == ["B1"]


@pytest.mark.req("holds")
@pytest.mark.gen_test
async def test_a_basket_never_holds_more_than_max_per_booking(api):
    # Arrange
    basket = body_of(await api.hold("main", {"quantity": 8}))

    # Act
    response = await api.post(f"/holds/{basket['hold_id']}/seats", {"quantity": 3}, token=basket["token"])

    # Assert
    assert response.code == 400
    assert "at most 10" in body_of(response)["message"]
    assert len(body_of(await api.get(f"/holds/{basket['hold_id']}", basket["token"]))["seats"]) == 8


@pytest.mark.req("holds")
@pytest.mark.gen_test
async def test_taking_one_seat_out_frees_it_for_everyone_and_returns_the_basket(api, base_url):
    # Arrange
    basket = body_of(await api.hold("main", {"seats": ["D1", "D2"]}))
    stream = await EventStreamClient.open(base_url + "/shows/main/events")
    await stream.next_event()

    # Act
    response = await api.delete(f"/holds/{basket['hold_id']}/seats/D1", basket["token"])
    event = await stream.next_seats_event()
    stream.close()

    # Assert
    assert response.code == 200
    assert body_of(response)["seats"] == ["D2"]
    assert event.json() == {"version": 2, "available": 49, "changed": {"D1": "free"}}


@pytest.mark.req("holds")
@pytest.mark.gen_test
async def test_releasing_a_basket_frees_every_seat_and_ends_the_hold(api):
    # Arrange
    basket = body_of(await api.hold("main", {"quantity": 3}))

    # Act
    released = await api.delete(f"/holds/{basket['hold_id']}", basket["token"])
    read = await api.get(f"/holds/{basket['hold_id']}", basket["token"])

    # Assert
    assert released.code == 200
    assert body_of(released) == {"released": basket["seats"], "available": 50, "version": 2}
    assert read.code == 404


@pytest.mark.req("holds")
@pytest.mark.gen_test
async def test_reading_a_basket_needs_its_token(api):
    # Arrange
    basket = body_of(await api.hold("main", {}))
    path = f"/holds/{basket['hold_id']}"

    # Act
    missing, wrong, right = await api.get(path), await api.get(path, "not-it"), await api.get(path, basket["token"])

    # Assert
    assert (missing.code, wrong.code, right.code) == (401, 403, 200)
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert body_of(right)["seats"] == basket["seats"]


@pytest.mark.req("hold-expiry")
@pytest.mark.req("REQ-4")
@pytest.mark.gen_test
async def test_a_hold_expires_after_hold_seconds_as_one_announced_change(api, clock, seat_server, base_url):
    # Arrange
    basket = body_of(await api.hold("main", {"seats": ["E1", "E2"]}))
    stream = await EventStreamClient.open(base_url + "/shows/main/events")
    await stream.next_event()

    # Act
    clock.advance(HOLD_SECONDS - 1)
    seat_server.box_office.sweep()
    still_open = await api.get(f"/holds/{basket['hold_id']}", basket["token"])
    clock.advance(1)
    seat_server.box_office.sweep()
    event = await stream.next_seats_event()
    stream.close()
    gone = await api.get(f"/holds/{basket['hold_id']}", basket["token"])

    # Assert
    assert still_open.code == 200
    assert body_of(still_open)["expires_in"] == 1
    assert event.json() == {"version": 2, "available": 50, "changed": {"E1": "free", "E2": "free"}}
    assert gone.code == 404
    assert (await api.compact("main"))["version"] == 2


@pytest.mark.req("hold-expiry")
@pytest.mark.gen_test
async def test_adding_seats_does_not_extend_a_hold(api, clock, seat_server):
    # Arrange
    basket = body_of(await api.hold("main", {"seats": ["E1"]}))
    clock.advance(HOLD_SECONDS - 10)
    await api.post(f"/holds/{basket['hold_id']}/seats", {"seats": ["E2"]}, token=basket["token"])

    # Act
    clock.advance(10)
    seat_server.box_office.sweep()
    await asyncio.sleep(0.05)

    # Assert
    assert (await api.compact("main"))["rows"]["E"] == "f" * 10


@pytest.mark.req("hold-expiry")
@pytest.mark.gen_test
async def test_a_due_hold_expires_before_the_next_decision_even_without_the_sweeper(api, clock):
    # Arrange
    await api.hold("main", {"seats": ["E9"]})
    clock.advance(HOLD_SECONDS)

    # Act
    booked = await api.book({"seats": ["E9"]})

    # Assert
    assert booked.code == 200, booked.body
    assert body_of(booked)["version"] == 3  # 1 hold, 2 its expiry, 3 this booking


@pytest.mark.req("hold-expiry")
@pytest.mark.req("resume")
@pytest.mark.gen_test
async def test_an_expiry_is_replayed_to_a_stream_that_resumes_after_it(api, clock, seat_server, base_url):
    # Arrange
    await api.hold("main", {"seats": ["D9"]})
    clock.advance(HOLD_SECONDS)
    seat_server.box_office.sweep()
    await asyncio.sleep(0.05)

    # Act
    stream = await EventStreamClient.open(base_url + "/shows/main/events", headers={"Last-Event-ID": "1"})
    replayed = await stream.next_event()
    stream.close()

    # Assert
    assert (replayed.event, replayed.id) == ("seats", "2")
    assert replayed.json()["changed"] == {"D9": "free"}


class TestHoldsPerClient:
    @pytest.fixture
    def config(self) -> Config:
        return Config(db=":memory:", seats=50, row_size=10, admin_token=ADMIN_TOKEN, max_holds_per_client=2)

    @pytest.mark.req("holds")
    @pytest.mark.gen_test
    async def test_past_max_holds_per_client_a_new_hold_is_429_until_one_ends(self, api, clock):
        # Arrange
        first = body_of(await api.hold("main", {}))
        clock.advance(60)
        await api.post("/shows/main/book", {})
        await api.hold("main", {})

        # Act
        refused = await api.hold("main", {})
        await api.delete(f"/holds/{first['hold_id']}", first["token"])
        allowed = await api.hold("main", {})

        # Assert
        assert refused.code == 429
        assert body_of(refused)["error"] == "rate_limited"
        assert refused.headers["Retry-After"] == str(HOLD_SECONDS - 60)
        assert allowed.code == 201

    @pytest.mark.req("hold-expiry")
    @pytest.mark.gen_test
    async def test_a_hold_past_its_expiry_no_longer_counts_as_open(self, api, clock):
        # Arrange
        await api.hold("main", {})
        await api.hold("main", {})
        clock.advance(HOLD_SECONDS)

        # Act
        response = await api.hold("main", {})

        # Assert
        assert response.code == 201


class TestSlowDisk:
    """Commits that take 0.3 s on the writer thread, once `slow_disk` is set."""

    @pytest.fixture
    def slow_disk(self, monkeypatch) -> dict:
        switch = {"on": False}
        real_commit = SqliteStore.commit

        def commit(store, records) -> None:
            if switch["on"]:
                time.sleep(0.3)
            real_commit(store, records)

        monkeypatch.setattr(SqliteStore, "commit", commit)
        return switch

    @pytest.fixture
    def seat_server(self, config, clock, slow_disk):
        server = SeatServer(config, clock=clock)
        yield server
        server.close()

    @pytest.mark.req("hold-expiry")
    @pytest.mark.req("durability")
    @pytest.mark.gen_test
    async def test_a_refusal_that_rests_on_an_expiry_waits_until_the_expiry_is_durable(
            self, api, clock, seat_server, slow_disk):
        # Arrange: the sweeper decides the expiry; its commit is under way
        basket = body_of(await api.hold("main", {"seats": ["E5"]}))
        slow_disk["on"] = True
        clock.advance(HOLD_SECONDS)
        seat_server.box_office.sweep()
        for _ in range(5):
            await asyncio.sleep(0)
        assert seat_server.box_office.sales("main").inventory.holds == {}

        # Act
        gone = await api.get(f"/holds/{basket['hold_id']}", basket["token"])

        # Assert: answered 404 only once the expiry it rests on is on disk and announced
        assert gone.code == 404
        assert seat_server.box_office.sales("main").hub.board.version == 2
