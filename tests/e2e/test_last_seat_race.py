"""Five people, five browsers, one seat left, all choosing it at once (REQ-9 seen
from the page, through holds): exactly one ends with the seat in the basket, four
are rolled back with a notice on screen, and all five agree with the server.

Any venue will do: every free seat but one is booked through the API first."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import HeldRequests, available, expect_basket, seat, shown_states

VENUE = (6, 3)  # A1-A3, B1-B3 when the tests start their own server
CHUNK = 10  # seats per API booking: the contract's default --max-per-booking


def book_all_but_one_free_seat(server) -> str:
    """Books every free seat except one, returns that one, and checks it is the last."""
    free = [seat_id for seat_id, state in server.seat_states().items() if state == "free"]
    assert free, f"{server.url} has no free seat left"
    last_seat, others = free[0], free[1:]
    for start in range(0, len(others), CHUNK):
        status, reply = server.book({"seats": others[start:start + CHUNK]})
        assert status == 200, reply
    assert server.available() == 1
    assert server.seat_states()[last_seat] == "free"
    return last_seat


@pytest.mark.req("REQ-9")
@pytest.mark.req("browser-concurrency")
@pytest.mark.req("holds")
def test_five_pages_hold_the_last_seat_at_once_and_exactly_one_gets_it(open_page, server):
    last_seat = book_all_but_one_free_seat(server)
    pages = [open_page() for _ in range(5)]  # each its own browser context
    for page in pages:
        expect(seat(page, last_seat)).to_have_attribute("data-state", "free")
    holds = [HeldRequests(page) for page in pages]

    for page in pages:
        seat(page, last_seat).click()
    routes = [held.take() for held in holds]
    for page in pages:
        expect(seat(page, last_seat)).to_have_attribute("data-state", "pending")
        assert available(page) == 0
    for route in routes:  # all five reach the server together
        route.continue_()

    for page in pages:
        expect(seat(page, last_seat)).not_to_have_attribute("data-state", "pending")
    final = [seat(page, last_seat).get_attribute("data-state") for page in pages]
    assert sorted(final) == ["held", "held", "held", "held", "selected"]
    for page, state in zip(pages, final, strict=True):
        if state == "held":
            expect(page.locator("#message")).to_have_text(f"{last_seat} was just taken by someone else.")
            expect(page.locator("#message")).to_be_in_viewport()  # the notice is on screen, not above it
            expect_basket(page, [])
        else:
            expect(page.locator("#message")).to_have_text("")
            expect_basket(page, [last_seat])
    assert server.available() == 0
    assert server.seat_states()[last_seat] == "held"
    truth = server.seat_states()
    for page in pages:
        expect(page.locator("#available")).to_have_text("0")
        shown = shown_states(page)
        assert {s: ("held" if v == "selected" else v) for s, v in shown.items()} == {s: truth[s] for s in shown}
