"""Optimistic booking in a real browser: the change shows before the answer
(REQ-6), and a failed answer undoes only its own action, with a notice (REQ-5,
REQ-7, REQ-10). The server's answers are held or faked with `page.route`.
Seats are chosen among the free ones, so any venue in any state will do."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import HeldRequests, available, seat

CLICK_TO_PAINT = """seatId => new Promise(resolve => {
    const button = document.querySelector(`[data-seat="${seatId}"]`);
    const started = performance.now();
    button.click();
    // Read straight after the click handler ran, before any task or paint.
    const state = button.dataset.state;
    const count = document.querySelector('#available').textContent;
    requestAnimationFrame(() => resolve({ms: performance.now() - started, state, count}));
})"""


@pytest.mark.req("REQ-6")
def test_req6_a_clicked_seat_and_the_count_change_before_the_booking_answer(open_page, server, record_property):
    [chosen] = server.free_seats(1)
    page = open_page()
    held = HeldRequests(page)
    before = available(page)

    painted = page.evaluate(CLICK_TO_PAINT, chosen)
    route = held.take()

    assert painted["state"] == "pending"
    assert painted["count"] == str(before - 1)
    expect(seat(page, chosen)).to_have_attribute("data-state", "pending")
    assert available(page) == before - 1
    assert json.loads(route.request.post_data) == {"seats": [chosen]}
    assert route.request.headers["content-type"] == "application/json"
    assert route.request.headers.get("idempotency-key")
    record_property("click_to_paint_ms", round(painted["ms"], 2))
    print(f"click -> requestAnimationFrame: {painted['ms']:.2f} ms")

    route.continue_()
    expect(seat(page, chosen)).to_have_attribute("data-state", "mine")
    assert available(page) == server.get("/seats")["available"]
    expect(page.locator("#message")).to_have_text("")


@pytest.mark.req("REQ-6")
@pytest.mark.req("best-available")
def test_req6_the_book_button_shows_its_guess_then_the_seat_the_server_gave(open_page, server):
    page = open_page()
    held = HeldRequests(page)
    before = available(page)
    free_before = [s for s, state in server.seat_states().items() if state == "free"]

    page.click("#book")
    route = held.take()

    assert page.locator('[data-seat][data-state="pending"]').count() == 1
    assert available(page) == before - 1
    assert route.request.post_data in (None, "", "{}")
    route.continue_()
    expect(page.locator('[data-seat][data-state="pending"]')).to_have_count(0)
    mine = page.locator('[data-seat][data-state="mine"]').evaluate_all("els => els.map(e => e.dataset.seat)")
    given = [s for s, state in server.seat_states().items() if state == "booked" and s in free_before]
    assert set(given) <= set(mine) and len(given) == 1
    assert available(page) == server.get("/seats")["available"]


@pytest.mark.req("REQ-10")
@pytest.mark.req("REQ-7")
def test_req10_a_500_shows_the_change_at_once_then_reverts_it_with_a_notice(open_page, server):
    [chosen] = server.free_seats(1)
    page = open_page()
    held = HeldRequests(page)
    before = available(page)

    seat(page, chosen).click()
    expect(seat(page, chosen)).to_have_attribute("data-state", "pending")
    assert available(page) == before - 1
    held.take().fulfill(status=500, content_type="application/json",
                        body='{"error": "internal_error", "message": "internal server error"}')

    expect(seat(page, chosen)).to_have_attribute("data-state", "free")
    expect(page.locator("#message")).to_have_text("Server error, your booking was undone. Please try again.")
    assert available(page) == before
    assert server.seat_states()[chosen] == "free"


@pytest.mark.req("REQ-7")
def test_req7_a_409_reverts_the_seat_and_says_who_took_it(open_page, server):
    [chosen] = server.free_seats(1)
    page = open_page()
    held = HeldRequests(page)

    seat(page, chosen).click()
    expect(seat(page, chosen)).to_have_attribute("data-state", "pending")
    held.take().fulfill(status=409, content_type="application/json", body=json.dumps({
        "error": "seats_taken", "message": f"already booked: {chosen}", "unavailable": [chosen],
        "available": 0, "version": 0}))

    expect(page.locator("#message")).to_have_text(f"{chosen} was just taken by someone else.")
    expect(seat(page, chosen)).to_have_attribute("data-state", "free")  # the stream says it is free
    assert available(page) == server.get("/seats")["available"]


@pytest.mark.req("REQ-7")
def test_req7_a_failed_request_reverts_with_a_network_notice(open_page, server):
    [chosen] = server.free_seats(1)
    page = open_page()
    held = HeldRequests(page)
    before = available(page)

    seat(page, chosen).click()
    expect(seat(page, chosen)).to_have_attribute("data-state", "pending")
    held.take().abort("connectionreset")

    expect(seat(page, chosen)).to_have_attribute("data-state", "free")
    expect(page.locator("#message")).to_have_text(
        f"Network problem: your booking of {chosen} was undone. Please try again.")
    assert available(page) == before


@pytest.mark.req("REQ-5")
@pytest.mark.req("REQ-7")
def test_req5_a_failure_undoes_only_its_own_action_in_the_page(open_page, server):
    kept, failed = server.free_seats(2)
    page = open_page()
    held = HeldRequests(page)
    before = available(page)

    seat(page, kept).click()
    seat(page, failed).click()
    held.wait_for(2)
    first, second = held.routes
    assert available(page) == before - 2
    second.fulfill(status=500, body="")

    expect(seat(page, failed)).to_have_attribute("data-state", "free")
    expect(seat(page, kept)).to_have_attribute("data-state", "pending")
    assert available(page) == before - 1
    first.continue_()
    expect(seat(page, kept)).to_have_attribute("data-state", "mine")
    assert available(page) == server.get("/seats")["available"]


@pytest.mark.req("REQ-7")
@pytest.mark.req("cancellation")
def test_req7_a_failed_cancel_gives_the_seat_back_and_a_later_one_frees_it(open_page, server):
    [chosen] = server.free_seats(1)
    page = open_page()
    seat(page, chosen).click()
    expect(seat(page, chosen)).to_have_attribute("data-state", "mine")
    held = HeldRequests(page, "**/bookings/*")
    before = available(page)

    seat(page, chosen).click()
    expect(seat(page, chosen)).to_have_attribute("data-state", "pending")
    assert available(page) == before + 1
    route = held.take()
    assert route.request.method == "DELETE"
    assert route.request.headers["authorization"].startswith("Bearer ")
    route.fulfill(status=503, content_type="application/json", body='{"error": "unavailable", "message": "x"}')
    expect(seat(page, chosen)).to_have_attribute("data-state", "mine")
    expect(page.locator("#message")).to_have_text("Server error, your cancellation was undone. Please try again.")

    page.unroute("**/bookings/*")
    seat(page, chosen).click()
    expect(seat(page, chosen)).to_have_attribute("data-state", "free")
    assert server.seat_states()[chosen] == "free"
    assert available(page) == server.get("/seats")["available"]


@pytest.mark.req("REQ-7")
def test_req7_a_booking_with_no_answer_is_aborted_after_its_timeout_and_undone(open_page, server):
    [chosen] = server.free_seats(1)
    page = open_page()
    page.clock.install()  # the page's setTimeout now runs on the test's clock
    held = HeldRequests(page)
    before = available(page)

    seat(page, chosen).click()
    route = held.take()
    expect(seat(page, chosen)).to_have_attribute("data-state", "pending")
    page.clock.run_for(9_000)  # past the page's 8 s request timeout

    expect(seat(page, chosen)).to_have_attribute("data-state", "free")
    expect(page.locator("#message")).to_have_text(
        f"No answer from the server in time: your booking of {chosen} was undone. Please try again.")
    assert available(page) == before
    assert route.request.post_data == json.dumps({"seats": [chosen]}, separators=(",", ":"))
