"""Holding seats in a real browser: a click holds a seat into the basket at once
(REQ-6), a failed answer undoes only its own action with a notice next to the seat
and in a live region (REQ-5, REQ-7, REQ-10), `#quantity` + `#book` hold the best N
together, a basket seat chosen again comes out. The server's answers are held or
faked with `page.route`. Seats are chosen among the free ones, so any venue in any
state will do."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import NEW_HOLD, HeldRequests, available, expect_basket, seat

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
@pytest.mark.req("page-basket")
def test_req6_a_clicked_seat_shows_pending_before_the_hold_answer_then_joins_the_basket(open_page, server):
    [chosen] = server.free_seats(1)
    page = open_page()
    held = HeldRequests(page)
    before = available(page)

    painted = page.evaluate(CLICK_TO_PAINT, chosen)
    route = held.take()

    assert painted["state"] == "pending"
    assert painted["count"] == str(before - 1)
    assert json.loads(route.request.post_data) == {"seats": [chosen]}
    assert route.request.headers["content-type"] == "application/json"
    assert route.request.headers.get("idempotency-key")
    route.continue_()
    expect(seat(page, chosen)).to_have_attribute("data-state", "selected")
    expect(page.locator(f'#basket [data-basket-seat="{chosen}"]')).to_be_visible()
    assert int(page.locator("#hold-timer").get_attribute("data-seconds")) > 0
    expect(page.locator("#hold-timer")).to_be_visible()
    assert page.locator("#basket-total").inner_text().strip()
    assert available(page) == server.available()
    expect(page.locator("#message")).to_have_text("")
    expect(page.locator("#announce")).to_contain_text(f"{chosen} is in your basket")


@pytest.mark.req("REQ-11")
@pytest.mark.req("holds")
def test_req11_my_hold_is_seen_held_in_another_browser_without_reload(open_page, server):
    [chosen] = server.free_seats(1)
    alice, bob = open_page(), open_page()

    seat(alice, chosen).click()

    expect(seat(alice, chosen)).to_have_attribute("data-state", "selected")
    expect(seat(bob, chosen)).to_have_attribute("data-state", "held")
    expect(seat(bob, chosen)).to_have_attribute("aria-disabled", "true")
    expect(bob.locator("#available")).to_have_text(str(server.available()))


@pytest.mark.req("page-basket")
def test_choosing_a_basket_seat_again_takes_it_out(open_page, server):
    kept, dropped = server.free_seats(2)
    page = open_page()
    seat(page, kept).click()
    expect(seat(page, kept)).to_have_attribute("data-state", "selected")
    seat(page, dropped).click()
    expect(seat(page, dropped)).to_have_attribute("data-state", "selected")
    expect_basket(page, [kept, dropped])

    seat(page, dropped).click()

    expect(seat(page, dropped)).to_have_attribute("data-state", "free")
    expect_basket(page, [kept])
    assert server.seat_states()[dropped] == "free"
    assert server.seat_states()[kept] == "held"


@pytest.mark.req("REQ-6")
@pytest.mark.req("best-available")
@pytest.mark.req("page-basket")
def test_quantity_and_book_hold_the_best_seats_together_shown_at_once(open_page, server):
    page = open_page()
    held = HeldRequests(page)
    before = available(page)
    page.fill("#quantity", "3")

    page.click("#book")
    route = held.take()

    expect(page.locator('[data-seat][data-state="pending"]')).to_have_count(3)
    assert available(page) == before - 3
    assert json.loads(route.request.post_data) == {"quantity": 3}
    route.continue_()
    expect(page.locator('[data-seat][data-state="pending"]')).to_have_count(0)
    chosen = page.locator('[data-seat][data-state="selected"]').evaluate_all("els => els.map(e => e.dataset.seat)")
    assert len(chosen) == 3
    expect_basket(page, chosen)
    assert all(server.seat_states()[s] == "held" for s in chosen)
    expect(page.locator("#announce")).to_contain_text("are in your basket")  # the seats are named
    assert available(page) == server.available()


@pytest.mark.req("REQ-10")
@pytest.mark.req("REQ-7")
def test_req10_a_500_shows_the_hold_at_once_then_undoes_it_with_a_notice_by_the_seat(open_page, server):
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
    expect(page.locator("#message")).to_have_text("Server error: your hold was undone. Please try again.")
    expect(seat(page, chosen)).to_have_attribute("data-notice", "Server error: your hold was undone.")
    assert page.locator("#message").get_attribute("aria-live") == "polite"
    assert available(page) == before
    assert server.seat_states()[chosen] == "free"


@pytest.mark.req("REQ-7")
@pytest.mark.req("REQ-9")
def test_req7_a_409_undoes_the_hold_and_says_who_took_it(open_page, server):
    [chosen] = server.free_seats(1)
    page = open_page()
    held = HeldRequests(page)

    seat(page, chosen).click()
    expect(seat(page, chosen)).to_have_attribute("data-state", "pending")
    held.take().fulfill(status=409, content_type="application/json", body=json.dumps({
        "error": "seats_taken", "message": f"not available: {chosen}", "unavailable": [chosen],
        "available": 0, "version": 0}))

    expect(page.locator("#message")).to_have_text(f"{chosen} was just taken by someone else.")
    expect(seat(page, chosen)).to_have_attribute("data-state", "free")  # the stream says it is free
    assert available(page) == server.available()
    expect_basket(page, [])


@pytest.mark.req("REQ-5")
@pytest.mark.req("REQ-7")
def test_req5_a_failure_undoes_only_its_own_action(open_page, server):
    kept, failed = server.free_seats(2)
    page = open_page()
    seat(page, kept).click()  # the basket exists: more seats are added to it
    expect(seat(page, kept)).to_have_attribute("data-state", "selected")
    held = HeldRequests(page, "**/holds/*/seats")
    before = available(page)
    [other] = [s for s in server.free_seats(3) if s not in (kept, failed)][:1]

    seat(page, other).click()
    seat(page, failed).click()
    held.wait_for(2)
    first, second = held.routes
    assert available(page) == before - 2
    second.fulfill(status=500, body="")

    expect(seat(page, failed)).to_have_attribute("data-state", "free")
    expect(seat(page, other)).to_have_attribute("data-state", "pending")
    expect(seat(page, kept)).to_have_attribute("data-state", "selected")
    assert available(page) == before - 1
    first.continue_()
    expect(seat(page, other)).to_have_attribute("data-state", "selected")
    expect_basket(page, [kept, other])
    assert available(page) == server.available()


@pytest.mark.req("REQ-7")
@pytest.mark.req("never-lose-booking")
def test_a_lost_answer_rolls_back_then_the_same_key_brings_the_seat_back(open_page, server):
    """The hold reached the server but its answer was lost: the page undoes the
    seat at once, asks again with the same key, and the late answer puts the seat
    back in the basket: one hold, not two."""
    [chosen] = server.free_seats(1)
    page = open_page()
    requests = []

    def lose_the_first_answer(route):
        requests.append(route.request)
        if len(requests) == 1:
            route.fetch()  # the server decides...
            route.abort("connectionreset")  # ...and the page never hears it
        else:
            route.continue_()

    page.route(NEW_HOLD, lose_the_first_answer)

    seat(page, chosen).click()

    expect(page.locator("#message")).to_contain_text(f"Network problem: your hold of {chosen} was undone for now")
    expect(seat(page, chosen)).to_have_attribute("data-state", "selected")  # the retry's answer: the same hold
    assert len(requests) == 2
    assert requests[0].headers["idempotency-key"] == requests[1].headers["idempotency-key"]
    assert requests[0].post_data == requests[1].post_data
    expect(page.locator("#announce")).to_contain_text(f"The server held {chosen} for you after all")
    expect_basket(page, [chosen])
    assert server.seat_states()[chosen] == "held"


@pytest.mark.req("page-basket")
@pytest.mark.req("idempotency")
def test_impatient_taps_on_book_send_one_request(open_page, server):
    page = open_page()
    held = HeldRequests(page)
    page.fill("#quantity", "2")

    page.click("#book")
    page.click("#book", force=True)  # tapped again while the first is on its way
    page.click("#book", force=True)
    route = held.take()

    expect(page.locator("#book")).to_be_disabled()
    page.wait_for_timeout(300)
    assert held.routes == []
    route.continue_()
    expect(page.locator("#book")).to_be_enabled()
    expect(page.locator('[data-seat][data-state="selected"]')).to_have_count(2)
    expect(page.locator("[data-basket-seat]")).to_have_count(2)
