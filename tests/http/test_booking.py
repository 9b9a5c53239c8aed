"""POST /book and DELETE /bookings/{id} over real HTTP, concurrency included."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from app.config import Config
from tests.http.conftest import body_of


@pytest.mark.req("REQ-2")
@pytest.mark.gen_test(timeout=30)
async def test_fifty_concurrent_bookings_on_fifty_seats_all_succeed_on_distinct_seats(api):
    responses = await asyncio.gather(*(api.book() for _ in range(50)))

    assert [r.code for r in responses] == [200] * 50
    seats = [seat for r in responses for seat in body_of(r)["seats"]]
    assert len(set(seats)) == 50
    assert sorted(body_of(r)["version"] for r in responses) == list(range(1, 51))
    snapshot = await api.seats()
    assert (snapshot["available"], snapshot["version"]) == (0, 50)
    assert all(seat["state"] == "booked" for seat in snapshot["seats"])


@pytest.mark.req("REQ-2")
@pytest.mark.gen_test(timeout=30)
async def test_hundred_concurrent_bookings_on_fifty_seats_give_fifty_successes_and_fifty_conflicts(api):
    responses = await asyncio.gather(*(api.book() for _ in range(100)))

    assert Counter(r.code for r in responses) == {200: 50, 409: 50}
    booked = [seat for r in responses if r.code == 200 for seat in body_of(r)["seats"]]
    assert len(set(booked)) == 50
    conflicts = [body_of(r) for r in responses if r.code == 409]
    assert {c["error"] for c in conflicts} == {"sold_out"}
    snapshot = await api.seats()
    assert (snapshot["available"], snapshot["version"]) == (0, 50)


@pytest.mark.req("REQ-9")
@pytest.mark.parametrize("config", [Config(db=":memory:", seats=1, row_size=1)])
@pytest.mark.gen_test(timeout=30)
async def test_last_seat_with_five_concurrent_bookings_goes_to_exactly_one(api, config):
    responses = await asyncio.gather(*(api.book() for _ in range(5)))

    assert sorted(r.code for r in responses) == [200, 409, 409, 409, 409]
    for conflict in (body_of(r) for r in responses if r.code == 409):
        assert conflict["error"] == "sold_out"
        assert conflict["unavailable"] == []
        assert conflict["available"] == 0
        assert conflict["version"] == 1
        assert conflict["message"]
    winner = next(body_of(r) for r in responses if r.code == 200)
    assert winner["seats"] == ["A1"]


@pytest.mark.req("REQ-9")
@pytest.mark.gen_test(timeout=30)
async def test_same_seat_requested_five_times_at_once_is_booked_once(api):
    responses = await asyncio.gather(*(api.book({"seats": ["C3"]}) for _ in range(5)))

    assert sorted(r.code for r in responses) == [200, 409, 409, 409, 409]
    for conflict in (body_of(r) for r in responses if r.code == 409):
        assert (conflict["error"], conflict["unavailable"]) == ("seats_taken", ["C3"])


@pytest.mark.req("best-available")
@pytest.mark.gen_test
async def test_best_available_fills_front_row_from_the_middle_outwards(api):
    picks = [body_of(await api.book())["seats"][0] for _ in range(4)]

    assert picks == ["A5", "A6", "A4", "A7"]


@pytest.mark.req("best-available")
@pytest.mark.gen_test
async def test_quantity_books_adjacent_seats_in_one_row(api):
    await api.book({"seats": ["A5"]})

    response = await api.book({"quantity": 3})

    assert response.code == 200
    assert body_of(response)["seats"] == ["A6", "A7", "A8"]


@pytest.mark.req("all-or-nothing")
@pytest.mark.gen_test
async def test_specific_seats_are_all_or_nothing(api):
    await api.book({"seats": ["B2"]})

    response = await api.book({"seats": ["B1", "B2", "B3"]})

    assert response.code == 409
    assert body_of(response)["unavailable"] == ["B2"]
    states = {s["id"]: s["state"] for s in (await api.seats())["seats"]}
    assert (states["B1"], states["B2"], states["B3"]) == ("free", "booked", "free")
    assert (await api.seats())["version"] == 1


@pytest.mark.req("all-or-nothing")
@pytest.mark.gen_test
async def test_quantity_larger_than_what_is_left_is_sold_out_and_books_nothing(api):
    await api.book({"quantity": 10})
    for _ in range(3):
        await api.book({"quantity": 10})
    await api.book({"quantity": 8})

    response = await api.book({"quantity": 3})

    assert response.code == 409
    assert body_of(response)["error"] == "sold_out"
    assert body_of(response)["available"] == 2
    assert (await api.seats())["available"] == 2


@pytest.mark.req("cancellation")
@pytest.mark.gen_test
async def test_booker_cancels_with_token_and_seats_are_free_again(api):
    booking = body_of(await api.book({"seats": ["D4", "D5"]}))

    response = await api.cancel(booking["booking_id"], booking["token"])

    assert response.code == 200
    assert body_of(response) == {"released": ["D4", "D5"], "available": 50, "version": 2}
    assert (await api.book({"seats": ["D4"]})).code == 200


@pytest.mark.req("cancellation")
@pytest.mark.gen_test
async def test_only_the_booker_can_cancel(api):
    booking = body_of(await api.book())
    path = f"/bookings/{booking['booking_id']}"

    missing = await api.request("DELETE", path)
    not_bearer = await api.request("DELETE", path, headers={"Authorization": f"Basic {booking['token']}"})
    wrong = await api.cancel(booking["booking_id"], "not-the-token")
    unknown = await api.cancel("no-such-booking", booking["token"])

    assert missing.code == not_bearer.code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert wrong.code == 403
    assert unknown.code == 404
    for response in (missing, not_bearer, wrong, unknown):
        assert set(body_of(response)) == {"error", "message"}
    assert (await api.seats())["available"] == 49


@pytest.mark.req("cancellation")
@pytest.mark.gen_test
async def test_cancelling_twice_is_not_found_the_second_time(api):
    booking = body_of(await api.book())

    first = await api.cancel(booking["booking_id"], booking["token"])
    second = await api.cancel(booking["booking_id"], booking["token"])

    assert (first.code, second.code) == (200, 404)
    assert (await api.seats())["version"] == 2


@pytest.mark.req("versions")
@pytest.mark.gen_test
async def test_every_response_carries_the_version_it_reflects(api):
    booked = body_of(await api.book({"seats": ["A1"]}))
    conflict = body_of(await api.book({"seats": ["A1"]}))
    cancelled = body_of(await api.cancel(booked["booking_id"], booked["token"]))
    health = await api.health()

    assert booked["version"] == 1
    assert conflict["version"] == 1
    assert cancelled["version"] == 2
    assert health == {"status": "ok", "version": 2, "subscribers": 0}
