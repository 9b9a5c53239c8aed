"""The page itself: starts fast and small, obeys the CSP, works by keyboard and on
a phone-sized screen, and leaves a screenshot in docs/ for the README. Only the
screenshot needs a venue of its own; the rest take their seats from the server."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import READY, HeldRequests, available, seat

VENUE = (100, 10)  # when the tests start their own server
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot.png"
PAGE_BYTES_BUDGET = 500 * 1024

# Notes when #app turns ready, so the start time can be read from the page's own clock.
NOTE_READY_TIME = """(() => {
    new MutationObserver((changes, observer) => {
        const app = document.getElementById('app');
        if (app && app.dataset.ready === 'true') {
            window.__readyAt = performance.now();
            observer.disconnect();
        }
    }).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-ready']});
})();"""

START_FIGURES = """() => {
    const navigation = performance.getEntriesByType('navigation')[0];
    const resources = performance.getEntriesByType('resource');
    return {
        readyMs: window.__readyAt - navigation.responseStart,
        bytes: navigation.transferSize + resources.reduce((sum, entry) => sum + entry.transferSize, 0),
        urls: resources.map(entry => entry.name),
    };
}"""


@pytest.mark.req("page-budget")
def test_the_page_starts_on_brython_alone_within_its_byte_budget(open_page, record_property):
    page = open_page(NOTE_READY_TIME)

    figures = page.evaluate(START_FIGURES)

    record_property("first_byte_to_ready_ms", round(figures["readyMs"]))
    record_property("page_bytes", figures["bytes"])
    print(f"first byte -> ready: {figures['readyMs']:.0f} ms, {figures['bytes']} bytes on the wire")
    assert figures["bytes"] <= PAGE_BYTES_BUDGET
    assert not any("brython_stdlib" in url for url in figures["urls"])


@pytest.mark.req("REQ-1")
def test_the_page_uses_no_javascript_of_its_own_and_no_inline_styles(open_page):
    page = open_page()

    scripts = page.locator("script").evaluate_all(
        "els => els.map(e => ({type: e.type, src: e.getAttribute('src'), inline: e.textContent.trim() !== ''}))")

    javascript = [s for s in scripts if s["type"] in ("", "text/javascript")]
    assert [s["src"] for s in javascript] == ["/brython/brython.js"]
    assert all(s["type"] == "text/python" and s["src"] for s in scripts if s not in javascript)
    assert page.locator("[style]").count() == 0


@pytest.mark.req("page-access")
def test_the_seat_map_has_one_labelled_button_per_seat_and_the_hooks(open_page, server):
    truth = server.get("/seats")
    [chosen] = server.free_seats(1)
    page = open_page()

    assert page.locator("button[data-seat]").count() == truth["total"] == len(truth["seats"])
    shown = page.locator("button[data-seat]").evaluate_all("els => els.map(e => e.dataset.seat)")
    assert sorted(shown) == sorted(s["id"] for s in truth["seats"])
    assert seat(page, chosen).get_attribute("aria-label") == f"Seat {chosen}, free"
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(page.locator("#message")).to_have_text("")
    assert available(page) == server.get("/seats")["available"]
    assert page.locator(".stage").is_visible()


@pytest.mark.req("page-access")
def test_a_seat_can_be_booked_with_the_keyboard(open_page, server):
    [chosen] = server.free_seats(1)
    page = open_page()

    seat(page, chosen).focus()
    page.keyboard.press("Enter")

    expect(seat(page, chosen)).to_have_attribute("data-state", "mine")
    expect(seat(page, chosen)).to_have_attribute("aria-label", f"Seat {chosen}, yours, click to cancel")


@pytest.mark.req("page-access")
def test_the_page_fits_a_phone_screen(open_page, server):
    seats = server.get("/seats")["seats"]
    first_row = [s for s in seats if s["row"] == seats[0]["row"]]  # a full row: only the last may be shorter
    rightmost = max(first_row, key=lambda s: s["number"])["id"]
    page = open_page(viewport={"width": 360, "height": 740})

    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    seat_box = seat(page, rightmost).bounding_box()
    book_box = page.locator("#book").bounding_box()

    assert overflow == 0
    assert seat_box["x"] + seat_box["width"] <= 360
    assert seat_box["width"] >= 20 and seat_box["height"] >= 20
    assert book_box["x"] + book_box["width"] <= 360


@pytest.mark.own_server("it draws docs/screenshot.png from a known 100-seat venue with chosen seats taken")
@pytest.mark.req("REQ-6")
def test_screenshot_of_the_page_for_the_readme(open_page, server):
    for taken in (["A3"], ["A4"], ["B5", "B6"], ["C1"], ["E7"]):
        assert server.book({"seats": taken})[0] == 200
    page = open_page(viewport={"width": 900, "height": 760})
    seat(page, "B4").click()
    expect(seat(page, "B4")).to_have_attribute("data-state", "mine")
    HeldRequests(page)
    seat(page, "C5").click()  # held: shows as pending
    expect(seat(page, "C5")).to_have_attribute("data-state", "pending")
    page.wait_for_selector(READY)

    page.screenshot(path=str(SCREENSHOT), full_page=True, animations="disabled")

    assert SCREENSHOT.stat().st_size > 10_000
