"""Idempotency-Key: a repeat gets the original answer and books nothing more."""

from __future__ import annotations

import asyncio

import pytest

from tests.http.conftest import body_of


@pytest.mark.req("idempotency")
@pytest.mark.gen_test
async def test_same_key_twice_books_once_and_answers_the_same(api):
    first = await api.book({"quantity": 2}, headers={"Idempotency-Key": "order-1"})
    second = await api.book({"quantity": 2}, headers={"Idempotency-Key": "order-1"})

    assert (first.code, second.code) == (200, 200)
    assert second.body == first.body
    assert body_of(second)["booking_id"] == body_of(first)["booking_id"]
    snapshot = await api.seats()
    assert (snapshot["version"], snapshot["available"]) == (1, 48)


@pytest.mark.req("idempotency")
@pytest.mark.gen_test
async def test_same_json_value_with_other_spacing_and_key_order_counts_as_the_same_body(api):
    headers = {"Content-Type": "application/json", "Idempotency-Key": "spacing"}
    first = await api.request("POST", "/book", b'{"seats":["A1","A2"]}', headers)
    second = await api.request("POST", "/book", b'{ "seats" : [ "A1", "A2" ] }\n', headers)

    assert (first.code, second.code) == (200, 200)
    assert second.body == first.body


@pytest.mark.req("idempotency")
@pytest.mark.gen_test
async def test_empty_body_and_empty_object_are_the_same_body(api):
    headers = {"Idempotency-Key": "empty"}
    first = await api.request("POST", "/book", b"", headers)
    second = await api.request("POST", "/book", b"{}", {**headers, "Content-Type": "application/json"})

    assert (first.code, second.code) == (200, 200)
    assert second.body == first.body


@pytest.mark.req("idempotency")
@pytest.mark.gen_test
async def test_same_key_with_another_body_is_422_and_changes_nothing(api):
    await api.book({"quantity": 1}, headers={"Idempotency-Key": "order-2"})

    reused = await api.book({"quantity": 2}, headers={"Idempotency-Key": "order-2"})

    assert reused.code == 422
    assert set(body_of(reused)) == {"error", "message"}
    snapshot = await api.seats()
    assert (snapshot["version"], snapshot["available"]) == (1, 49)


@pytest.mark.req("idempotency")
@pytest.mark.gen_test
async def test_a_409_is_replayed_as_409_even_after_the_seat_is_freed(api):
    holder = body_of(await api.book({"seats": ["A1"]}))
    refused = await api.book({"seats": ["A1"]}, headers={"Idempotency-Key": "late"})
    await api.cancel(holder["booking_id"], holder["token"])

    repeat = await api.book({"seats": ["A1"]}, headers={"Idempotency-Key": "late"})

    assert (refused.code, repeat.code) == (409, 409)
    assert repeat.body == refused.body
    assert (await api.seats())["available"] == 50


@pytest.mark.req("idempotency")
@pytest.mark.gen_test
async def test_concurrent_repeats_wait_for_the_first_and_share_its_answer(api):
    responses = await asyncio.gather(*(api.book({"quantity": 1}, headers={"Idempotency-Key": "burst"})
                                       for _ in range(5)))

    assert [r.code for r in responses] == [200] * 5
    assert len({r.body for r in responses}) == 1
    assert (await api.seats())["version"] == 1


@pytest.mark.req("idempotency")
@pytest.mark.gen_test
async def test_different_keys_are_different_bookings(api):
    first = await api.book({}, headers={"Idempotency-Key": "a"})
    second = await api.book({}, headers={"Idempotency-Key": "b"})

    assert body_of(first)["booking_id"] != body_of(second)["booking_id"]
    assert (await api.seats())["version"] == 2
