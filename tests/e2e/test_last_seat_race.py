"""Five people, five browsers, one seat left, all clicking at once (REQ-9 seen
from the page): exactly one ends with the seat, four are rolled back with a
notice, and all five agree with the server afterwards."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import HeldRequests, available, seat

VENUE = (6, 3)  # A1-A3, B1-B3
LAST_SEAT = "A2"


@pytest.mark.req("REQ-9")
@pytest.mark.req("browser-concurrency")
def test_five_pages_click_the_last_seat_at_once_and_exactly_one_gets_it(open_page, server):
    for taken in ("A1", "A3", "B1", "B2", "B3"):
        assert server.book({"seats": [taken]})[0] == 200
    pages = [open_page() for _ in range(5)]  # each its own browser context
    for page in pages:
        expect(seat(page, LAST_SEAT)).to_have_attribute("data-state", "free")
    holds = [HeldRequests(page) for page in pages]

    for page in pages:
        seat(page, LAST_SEAT).click()
    routes = [held.take() for held in holds]
    for page in pages:
        expect(seat(page, LAST_SEAT)).to_have_attribute("data-state", "pending")
        assert available(page) == 0
    for route in routes:  # all five reach the server together
        route.continue_()

    for page in pages:
        expect(seat(page, LAST_SEAT)).not_to_have_attribute("data-state", "pending")
    final = [seat(page, LAST_SEAT).get_attribute("data-state") for page in pages]
    assert sorted(final) == ["booked", "booked", "booked", "booked", "mine"]
    for page, state in zip(pages, final, strict=True):
        if state == "booked":
            expect(page.locator("#message")).to_have_text(f"{LAST_SEAT} was just taken by someone else.")
        else:
            expect(page.locator("#message")).to_have_text("")
    truth = server.get("/seats")
    assert truth["available"] == 0
    assert {s["id"]: s["state"] for s in truth["seats"]}[LAST_SEAT] == "booked"
    for page in pages:
        expect(page.locator("#available")).to_have_text("0")
        shown = page.locator("[data-seat]").evaluate_all(
            "els => Object.fromEntries(els.map(e => [e.dataset.seat, e.dataset.state]))")
        assert {s: ("booked" if v == "mine" else v) for s, v in shown.items()} == server.seat_states()
