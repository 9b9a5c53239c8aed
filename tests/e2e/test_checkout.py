"""Checkout and my bookings in a real browser: name and email confirm the basket,
the confirmation shows a reference a person can read out, "my bookings" lists it
and cancels it only after a confirmation step; an answer that comes after the
page gave up on it still ends with the seats mine, once; all of it by keyboard.
Seats are chosen among the free ones, so any venue in any state will do."""

from __future__ import annotations

import contextlib
import json
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import CONFIRM, HeldRequests, available, check_out, expect_basket, seat

REFERENCE = re.compile(r"^[A-Z0-9]{2,5}(-[A-Z0-9]{2,5})+$")


def hold(page, seat_id: str) -> None:
    seat(page, seat_id).click()
    expect(seat(page, seat_id)).to_have_attribute("data-state", "selected")


@pytest.mark.req("page-checkout")
@pytest.mark.req("checkout")
@pytest.mark.req("references")
def test_checkout_books_the_basket_and_shows_a_reference_to_read_out(open_page, server):
    first, second = server.free_seats(2)
    page = open_page()
    hold(page, first)
    hold(page, second)
    expect(page.locator("#checkout-form")).to_be_hidden()

    check_out(page)

    expect(page.locator("#confirmation")).to_be_visible()
    reference = page.locator("#confirmation [data-reference]").get_attribute("data-reference")
    assert REFERENCE.match(reference), reference
    expect(page.locator("#confirmation [data-reference]")).to_have_text(reference)
    expect(page.locator("#confirmation")).to_contain_text(" ".join(reference.split("-")[0]))  # spelled out
    expect(page.locator("#confirmation")).to_be_focused()
    for seat_id in (first, second):
        expect(seat(page, seat_id)).to_have_attribute("data-state", "mine")
        assert server.seat_states()[seat_id] == "booked"
    expect_basket(page, [])
    expect(page.locator("#hold-timer")).to_be_hidden()
    booking = page.locator("#my-bookings [data-booking]")
    expect(booking).to_have_count(1)
    expect(booking).to_contain_text(reference)
    expect(booking.locator("[data-cancel]")).to_be_visible()
    expect(page.locator("#announce")).to_contain_text(f"Your reference is {reference}")


@pytest.mark.req("REQ-6")
@pytest.mark.req("REQ-10")
@pytest.mark.req("page-checkout")
def test_a_confirm_shows_pending_at_once_and_a_500_gives_the_basket_back(open_page, server):
    [chosen] = server.free_seats(1)
    page = open_page()
    hold(page, chosen)
    held = HeldRequests(page, CONFIRM)

    check_out(page, "Grace Hopper", "grace@example.com")
    route = held.take()

    expect(seat(page, chosen)).to_have_attribute("data-state", "pending")
    assert json.loads(route.request.post_data) == {"name": "Grace Hopper", "email": "grace@example.com"}
    assert route.request.headers.get("idempotency-key")
    assert route.request.headers["authorization"].startswith("Bearer ")
    route.fulfill(status=500, content_type="application/json", body='{"error": "internal_error", "message": "x"}')
    expect(seat(page, chosen)).to_have_attribute("data-state", "selected")
    expect(page.locator("#message")).to_have_text("Server error: your booking was undone. Please try again.")
    expect_basket(page, [chosen])
    assert server.seat_states()[chosen] == "held"


@pytest.mark.req("page-checkout")
def test_checkout_asks_for_a_name_and_an_email_before_sending_anything(open_page, server):
    [chosen] = server.free_seats(1)
    page = open_page()
    hold(page, chosen)
    sent = []
    page.route(CONFIRM, lambda route: (sent.append(route.request), route.continue_()))

    check_out(page, "", "not-an-email")

    expect(page.locator("#message")).to_contain_text("Please fill in your name and an email address")
    expect(page.locator("#buyer-name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#buyer-name")).to_be_focused()
    assert sent == []
    expect(seat(page, chosen)).to_have_attribute("data-state", "selected")


@pytest.mark.req("cancellation")
@pytest.mark.req("page-checkout")
def test_a_cancel_needs_its_confirmation(open_page, server):
    [chosen] = server.free_seats(1)
    page = open_page()
    hold(page, chosen)
    check_out(page)
    expect(seat(page, chosen)).to_have_attribute("data-state", "mine")
    cancels = []
    page.route("**/bookings/*", lambda route: (cancels.append(route.request), route.continue_()))

    page.click("#my-bookings [data-cancel]")
    expect(page.locator("#confirm-cancel")).to_be_visible()
    expect(page.locator("#cancel-question")).to_contain_text(chosen)
    page.click("#keep-booking")
    expect(page.locator("#confirm-cancel")).to_be_hidden()
    seat(page, chosen).click()  # my seat on the map asks the same question
    expect(page.locator("#confirm-cancel")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#confirm-cancel")).to_be_hidden()
    assert cancels == []
    assert server.seat_states()[chosen] == "booked"
    expect(seat(page, chosen)).to_have_attribute("data-state", "mine")
    before = available(page)

    page.click("#my-bookings [data-cancel]")
    page.click("#confirm-cancel")

    expect(seat(page, chosen)).to_have_attribute("data-state", "free")
    assert [request.method for request in cancels] == ["DELETE"]
    assert server.seat_states()[chosen] == "free"
    expect(page.locator("#my-bookings [data-booking]")).to_have_count(0)
    assert available(page) == before + 1
    expect(page.locator("#announce")).to_contain_text("is cancelled")


@pytest.mark.req("never-lose-booking")
@pytest.mark.req("idempotency")
def test_a_confirm_answered_after_10_s_ends_with_the_seat_mine_and_one_booking(open_page, server):
    """The server booked the seats, but its answer took 10 s: the page gave up at 8 s
    and undid the view (REQ-7), kept asking with the same Idempotency-Key, and the
    answer to the same key made the seats mine. The server has one booking."""
    [chosen] = server.free_seats(1)
    page = open_page()
    page.clock.install()  # the page's timers now run on the test's clock
    hold(page, chosen)
    held = HeldRequests(page, CONFIRM)

    check_out(page)
    first = held.take()
    answer = first.fetch()  # the server books now; the page will hear it 10 s later
    assert answer.status == 200 and server.seat_states()[chosen] == "booked"
    expect(seat(page, chosen)).to_have_attribute("data-state", "pending")
    page.clock.run_for(8_500)  # past the page's 8 s timeout: the request is aborted, the view undone
    expect(page.locator("#message")).to_contain_text("No answer from the server in time: your booking")
    expect(seat(page, chosen)).not_to_have_attribute("data-state", "pending")
    page.clock.run_for(1_500)  # 10 s: the answer arrives, for a request already given up
    with contextlib.suppress(Exception):  # the browser aborted it already: nothing can be delivered
        first.fulfill(response=answer)
    page.clock.run_for(1_500)  # the page's retry, with the same key
    retry = held.take()
    assert retry.request.headers["idempotency-key"] == first.request.headers["idempotency-key"]
    assert retry.request.post_data == first.request.post_data
    retry.continue_()

    expect(seat(page, chosen)).to_have_attribute("data-state", "mine")
    expect(page.locator("#my-bookings [data-booking]")).to_have_count(1)
    reference = page.locator("#confirmation [data-reference]").get_attribute("data-reference")
    assert reference == answer.json()["reference"]
    assert server.seat_states()[chosen] == "booked"
    assert available(page) == server.available()


@pytest.mark.req("page-access")
@pytest.mark.req("page-checkout")
def test_booking_and_checkout_by_keyboard_alone(open_page, server):
    page = open_page()
    free = [s for s, state in server.seat_states().items() if state == "free"]
    map_stop = page.locator('[data-seat][tabindex="0"]')
    expect(map_stop).to_have_count(1)  # the whole map is one tab stop
    assert page.locator("[data-seat]").count() > 1

    page.locator("#book").focus()
    for _ in range(10):  # Tab along the page until the map
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.seat"):
            break
    start = page.evaluate("document.activeElement.dataset.seat")
    assert start
    page.keyboard.press("ArrowRight")
    moved = page.evaluate("document.activeElement.dataset.seat")
    assert moved != start
    page.keyboard.press("ArrowDown")
    below = page.evaluate("document.activeElement.dataset.seat")
    assert below != moved
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.dataset.seat") == moved
    expect(page.locator('[data-seat][tabindex="0"]')).to_have_count(1)
    page.keyboard.press("Tab")  # one Tab leaves the map
    assert not page.evaluate("document.activeElement.dataset.seat")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.dataset.seat") == moved
    target = moved
    for _ in range(30):  # (against a busy server: walk right to a free seat)
        if target in free:
            break
        page.keyboard.press("ArrowRight")
        target = page.evaluate("document.activeElement.dataset.seat")
    page.keyboard.press("Enter")
    expect(seat(page, target)).to_have_attribute("data-state", "selected")

    page.locator("#checkout").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#buyer-name")).to_be_focused()
    page.keyboard.type("Katherine Johnson")
    page.keyboard.press("Tab")
    expect(page.locator("#buyer-email")).to_be_focused()
    page.keyboard.type("katherine@example.com")
    page.keyboard.press("Enter")

    expect(seat(page, target)).to_have_attribute("data-state", "mine")
    expect(page.locator("#confirmation")).to_be_focused()
    assert REFERENCE.match(page.locator("#confirmation [data-reference]").get_attribute("data-reference"))
