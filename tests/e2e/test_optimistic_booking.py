"""Optimistic booking in a real browser: the change shows before the answer
(REQ-6), and a failed answer undoes only its own action, with a notice (REQ-5,
REQ-7, REQ-10). The server's answers are held or faked with `page.route`."""

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
    page = open_page()
    held = HeldRequests(page)
    before = available(page)

    painted = page.evaluate(CLICK_TO_PAINT, "A3")
    route = held.take()

    assert painted["state"] == "pending"
    assert painted["count"] == str(before - 1)
    expect(seat(page, "A3")).to_have_attribute("data-state", "pending")
    assert available(page) == before - 1
    assert json.loads(route.request.post_data) == {"seats": ["A3"]}
    assert route.request.headers["content-type"] == "application/json"
    assert route.request.headers.get("idempotency-key")
    record_property("click_to_paint_ms", round(painted["ms"], 2))
    print(f"click -> requestAnimationFrame: {painted['ms']:.2f} ms")

    route.continue_()
    expect(seat(page, "A3")).to_have_attribute("data-state", "mine")
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
    page = open_page()
    held = HeldRequests(page)
    before = available(page)

    seat(page, "B2").click()
    expect(seat(page, "B2")).to_have_attribute("data-state", "pending")
    assert available(page) == before - 1
    held.take().fulfill(status=500, content_type="application/json",
                        body='{"error": "internal_error", "message": "internal server error"}')

    expect(seat(page, "B2")).to_have_attribute("data-state", "free")
    expect(page.locator("#message")).to_have_text("Server error, your booking was undone. Please try again.")
    assert available(page) == before
    assert server.seat_states()["B2"] == "free"


@pytest.mark.req("REQ-7")
def test_req7_a_409_reverts_the_seat_and_says_who_took_it(open_page, server):
    page = open_page()
    held = HeldRequests(page)

    seat(page, "B3").click()
    expect(seat(page, "B3")).to_have_attribute("data-state", "pending")
    held.take().fulfill(status=409, content_type="application/json", body=json.dumps({
        "error": "seats_taken", "message": "already booked: B3", "unavailable": ["B3"],
        "available": 0, "version": 0}))

    expect(page.locator("#message")).to_have_text("B3 was just taken by someone else.")
    expect(seat(page, "B3")).to_have_attribute("data-state", "free")  # the stream says it is free
    assert available(page) == server.get("/seats")["available"]


@pytest.mark.req("REQ-7")
def test_req7_a_failed_request_reverts_with_a_network_notice(open_page, server):
    page = open_page()
    held = HeldRequests(page)
    before = available(page)

    seat(page, "B4").click()
    expect(seat(page, "B4")).to_have_attribute("data-state", "pending")
    held.take().abort("connectionreset")

    expect(seat(page, "B4")).to_have_attribute("data-state", "free")
    expect(page.locator("#message")).to_have_text("Network problem: your booking of B4 was undone. Please try again.")
    assert available(page) == before


@pytest.mark.req("REQ-5")
@pytest.mark.req("REQ-7")
def test_req5_a_failure_undoes_only_its_own_action_in_the_page(open_page, server):
    page = open_page()
    held = HeldRequests(page)
    before = available(page)

    seat(page, "B5").click()
    seat(page, "B6").click()
    held.wait_for(2)
    first, second = held.routes
    assert available(page) == before - 2
    second.fulfill(status=500, body="")

    expect(seat(page, "B6")).to_have_attribute("data-state", "free")
    expect(seat(page, "B5")).to_have_attribute("data-state", "pending")
    assert available(page) == before - 1
    first.continue_()
    expect(seat(page, "B5")).to_have_attribute("data-state", "mine")
    assert available(page) == server.get("/seats")["available"]


@pytest.mark.req("REQ-7")
@pytest.mark.req("cancellation")
def test_req7_a_failed_cancel_gives_the_seat_back_and_a_later_one_frees_it(open_page, server):
    page = open_page()
    seat(page, "C1").click()
    expect(seat(page, "C1")).to_have_attribute("data-state", "mine")
    held = HeldRequests(page, "**/bookings/*")
    before = available(page)

    seat(page, "C1").click()
    expect(seat(page, "C1")).to_have_attribute("data-state", "pending")
    assert available(page) == before + 1
    route = held.take()
    assert route.request.method == "DELETE"
    assert route.request.headers["authorization"].startswith("Bearer ")
    route.fulfill(status=503, content_type="application/json", body='{"error": "unavailable", "message": "x"}')
    expect(seat(page, "C1")).to_have_attribute("data-state", "mine")
    expect(page.locator("#message")).to_have_text("Server error, your cancellation was undone. Please try again.")

    page.unroute("**/bookings/*")
    seat(page, "C1").click()
    expect(seat(page, "C1")).to_have_attribute("data-state", "free")
    assert server.seat_states()["C1"] == "free"
    assert available(page) == server.get("/seats")["available"]


@pytest.mark.req("REQ-7")
def test_req7_a_booking_with_no_answer_is_aborted_after_its_timeout_and_undone(open_page, server):
    page = open_page()
    page.clock.install()  # the page's setTimeout now runs on the test's clock
    held = HeldRequests(page)
    before = available(page)

    seat(page, "C9").click()
    route = held.take()
    expect(seat(page, "C9")).to_have_attribute("data-state", "pending")
    page.clock.run_for(9_000)  # past the page's 8 s request timeout

    expect(seat(page, "C9")).to_have_attribute("data-state", "free")
    expect(page.locator("#message")).to_have_text(
        "No answer from the server in time: your booking of C9 was undone. Please try again.")
    assert available(page) == before
    assert route.request.post_data == '{"seats":["C9"]}'
