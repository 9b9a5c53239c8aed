"""Checkout: confirming a basket with name and email, booking references, and the
race between a confirm and the hold's expiry (contract Part 2)."""

from __future__ import annotations

import asyncio
import random
import re

import pytest

from app.config import Config
from tests.http.conftest import ADMIN_TOKEN, body_of

HOLD_SECONDS = 600
REFERENCE = re.compile(r"[A-Z2-9]{3}-[A-Z2-9]{4}")


@pytest.fixture
def config() -> Config:
    return Config(db=":memory:", seats=200, row_size=20, admin_token=ADMIN_TOKEN, max_holds_per_client=1000)


@pytest.mark.req("checkout")
@pytest.mark.req("references")
@pytest.mark.gen_test
async def test_confirming_a_basket_books_its_seats_with_a_readable_reference(api):
    # Arrange
    await api.create_show("jazz")
    basket = body_of(await api.hold("jazz", {"seats": ["A1", "BA1"]}))

    # Act
    response = await api.confirm(basket)

    # Assert
    assert response.code == 200, response.body
    booking = body_of(response)
    assert list(booking) == ["booking_id", "token", "reference", "seats", "total_price", "available", "version"]
    assert REFERENCE.fullmatch(booking["reference"])
    assert booking["seats"] == ["A1", "BA1"]
    assert booking["total_price"] == 4500 + 2500
    assert (booking["available"], booking["version"]) == (14, 2)
    assert (await api.compact("jazz"))["rows"]["A"] == "bfffff"
    assert (await api.get(f"/holds/{basket['hold_id']}", basket["token"])).code == 404


@pytest.mark.req("checkout")
@pytest.mark.req("cancellation")
@pytest.mark.gen_test
async def test_a_confirmed_booking_is_cancelled_with_its_own_token_not_the_holds(api):
    # Arrange
    basket = body_of(await api.hold("main", {"quantity": 2}))
    booking = body_of(await api.confirm(basket))

    # Act
    with_hold_token = await api.cancel(booking["booking_id"], basket["token"])
    with_booking_token = await api.cancel(booking["booking_id"], booking["token"])

    # Assert
    assert (with_hold_token.code, with_booking_token.code) == (403, 200)
    assert body_of(with_booking_token)["released"] == booking["seats"]


@pytest.mark.req("references")
@pytest.mark.gen_test
async def test_references_are_unique_in_the_show(api):
    # Act
    bookings = []
    for _ in range(40):
        basket = body_of(await api.hold("main", {"quantity": 5}))
        bookings.append(body_of(await api.confirm(basket)))

    # Assert
    references = [b["reference"] for b in bookings]
    assert len(set(references)) == 40
    assert all(REFERENCE.fullmatch(r) for r in references)


@pytest.mark.req("checkout")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize("body", [{}, {"name": "Ada"}, {"email": "ada@example.com"},
                                  {"name": " ", "email": "ada@example.com"}, {"name": "Ada", "email": "nope"}])
@pytest.mark.gen_test
async def test_a_confirm_needs_a_name_and_an_email_and_keeps_the_hold_open_without_them(api, body):
    # Arrange
    basket = body_of(await api.hold("main", {}))

    # Act
    response = await api.post(f"/holds/{basket['hold_id']}/confirm", body, token=basket["token"])

    # Assert
    assert response.code == 400
    assert body_of(response)["error"] == "bad_request"
    assert (await api.get(f"/holds/{basket['hold_id']}", basket["token"])).code == 200


@pytest.mark.req("hold-expiry")
@pytest.mark.req("checkout")
@pytest.mark.gen_test
async def test_a_confirm_after_expiry_wins_when_nobody_took_the_seats(api, clock, seat_server):
    # Arrange
    basket = body_of(await api.hold("main", {"seats": ["C1", "C2"]}))
    clock.advance(HOLD_SECONDS + 30)
    seat_server.box_office.sweep()
    await asyncio.sleep(0.05)
    assert (await api.compact("main"))["rows"]["C"][:2] == "ff"

    # Act
    response = await api.confirm(basket)

    # Assert
    assert response.code == 200, response.body
    assert body_of(response)["seats"] == ["C1", "C2"]
    assert (await api.compact("main"))["rows"]["C"][:2] == "bb"


@pytest.mark.req("hold-expiry")
@pytest.mark.req("checkout")
@pytest.mark.gen_test
async def test_a_confirm_after_expiry_loses_when_a_seat_was_taken_and_names_it(api, clock):
    # Arrange
    basket = body_of(await api.hold("main", {"seats": ["C1", "C2"]}))
    clock.advance(HOLD_SECONDS)
    await api.book({"seats": ["C2"]})

    # Act
    response = await api.confirm(basket)

    # Assert
    assert response.code == 409
    assert body_of(response)["error"] == "hold_expired"
    assert body_of(response)["unavailable"] == ["C2"]
    assert (await api.compact("main"))["rows"]["C"][:2] == "fb"


@pytest.mark.req("hold-expiry")
@pytest.mark.req("checkout")
@pytest.mark.gen_test(timeout=60)
async def test_a_confirm_racing_the_expiry_and_a_rival_exactly_one_of_them_gets_the_seat(api, clock, seat_server):
    """A hundred times, with the clock just before, at, or just after the hold's
    expiry, the buyer's confirm, a rival's hold of the same seat and the sweeper go
    in a random order: exactly one of buyer and rival ends up with the seat, and the
    seat's state says which."""
    rng = random.Random(8)
    outcomes = {"buyer": 0, "rival": 0}
    for round_ in range(100):
        # Arrange
        seat = f"{'ABCDEFGHIJ'[round_ // 20]}{round_ % 20 + 1}"
        start = clock.now
        basket = body_of(await api.hold("main", {"seats": [seat]}))
        clock.now = start + HOLD_SECONDS + rng.choice([-0.001, 0.0, 0.001])
        contenders = [api.confirm(basket), api.hold("main", {"seats": [seat]}), _sweep(seat_server)]
        order = list(range(3))
        rng.shuffle(order)

        # Act
        answers = dict(zip(order, await asyncio.gather(*(contenders[i] for i in order)), strict=True))
        confirm, rival = answers[0], answers[1]

        # Assert
        state = (await api.compact("main"))["rows"][seat[0]][int(seat[1:]) - 1]
        assert sorted([confirm.code, rival.code]) in ([200, 409], [201, 409]), (round_, confirm.body, rival.body)
        if confirm.code == 200:
            outcomes["buyer"] += 1
            assert state == "b"
        else:
            outcomes["rival"] += 1
            assert body_of(confirm)["error"] == "hold_expired"
            assert body_of(confirm)["unavailable"] == [seat]
            assert state == "h"
        clock.now = start + 1
    assert outcomes["buyer"] + outcomes["rival"] == 100
    assert min(outcomes.values()) > 0, outcomes


async def _sweep(seat_server) -> None:
    seat_server.box_office.sweep()
    await asyncio.sleep(0)


@pytest.mark.req("checkout")
@pytest.mark.gen_test
async def test_confirming_an_empty_basket_is_409_basket_empty(api):
    # Arrange
    basket = body_of(await api.hold("main", {"seats": ["A1"]}))
    await api.delete(f"/holds/{basket['hold_id']}/seats/A1", basket["token"])

    # Act
    response = await api.confirm(basket)

    # Assert
    assert response.code == 409
    assert body_of(response)["error"] == "basket_empty"
