"""A hold's time runs out: the buyer's basket empties with a clear message, and
another browser sees the seat free again, live. The server holds for two seconds
here, so the test needs a server of its own."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import expect_basket, seat

VENUE = (20, 10)
SERVER_ARGS = ("--hold-seconds", "3")


@pytest.mark.own_server("it needs holds that expire in seconds (--hold-seconds 3)")
@pytest.mark.req("hold-expiry")
@pytest.mark.req("page-basket")
@pytest.mark.req("REQ-11")
def test_at_expiry_the_basket_empties_and_another_browser_sees_the_seat_free(open_page, server):
    [chosen] = server.free_seats(1)
    buyer, other = open_page(), open_page()

    seat(buyer, chosen).click()
    expect(seat(buyer, chosen)).to_have_attribute("data-state", "selected")
    expect(seat(other, chosen)).to_have_attribute("data-state", "held")
    seconds = int(buyer.locator("#hold-timer").get_attribute("data-seconds"))
    assert 0 < seconds <= 3

    expect(buyer.locator("#message")).to_have_text(
        f"Your hold expired: {chosen} was let go. Pick your seats again.", timeout=10_000)
    expect_basket(buyer, [])
    expect(buyer.locator("#hold-timer")).to_be_hidden()
    expect(seat(other, chosen)).to_have_attribute("data-state", "free")
    expect(seat(buyer, chosen)).to_have_attribute("data-state", "free")
    assert server.seat_states()[chosen] == "free"
