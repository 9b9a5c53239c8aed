"""The page itself: starts on Brython alone within its byte budget, obeys the CSP,
says it is loading until it is ready (never "0 seats free"), labels its seats and
marks the taken ones, fits a phone. Seats are taken from the server, so any
venue will do (tests/e2e/test_screenshots.py draws the README's screenshot)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import READY, HeldRequests, available, seat

VENUE = (100, 10)  # when the tests start their own server
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
    seat(page, page.locator('[data-seat][data-state="free"]').first.get_attribute("data-seat")).click()
    expect(page.locator('[data-seat][data-state="selected"]')).to_have_count(1)

    scripts = page.locator("script").evaluate_all(
        "els => els.map(e => ({type: e.type, src: e.getAttribute('src'), inline: e.textContent.trim() !== ''}))")

    javascript = [s for s in scripts if s["type"] in ("", "text/javascript")]
    assert [s["src"] for s in javascript] == ["/brython/brython.js"]
    assert all(s["type"] == "text/python" and s["src"] for s in scripts if s not in javascript)
    assert page.locator("[style]").count() == 0


@pytest.mark.req("page-honest-states")
def test_until_ready_the_page_says_it_is_loading_and_its_controls_are_disabled(open_page, server):
    page = open_page(wait_ready=None)  # a tab that has not navigated yet
    held = HeldRequests(page, "**/shows/main")  # the show's layout, held back

    page.goto(server.url + "/")
    route = held.take()

    expect(page.locator("#loading")).to_be_visible()
    expect(page.locator("#loading")).to_have_text("Loading the seat map…")
    expect(page.locator("#count")).to_be_hidden()
    assert "0 seats" not in page.locator("main").inner_text()
    expect(page.locator("#book")).to_be_disabled()
    expect(page.locator("#quantity")).to_be_disabled()
    expect(page.locator("#checkout")).to_be_disabled()
    assert page.locator("#app").get_attribute("aria-busy") == "true"
    route.continue_()
    page.wait_for_selector(READY)
    expect(page.locator("#loading")).to_be_hidden()
    expect(page.locator("#book")).to_be_enabled()
    assert available(page) == server.available()


@pytest.mark.req("page-access")
def test_every_seat_is_a_labelled_button_and_taken_ones_say_so(open_page, server):
    truth = server.seat_states()
    [chosen] = server.free_seats(1)
    status, _ = server.book({"seats": [chosen]})
    assert status == 200
    page = open_page()

    assert page.locator("button[data-seat]").count() == len(truth)
    label = seat(page, chosen).get_attribute("aria-label")
    assert label.startswith(f"Seat {chosen}, ") and label.endswith(", taken"), label
    expect(seat(page, chosen)).to_have_attribute("aria-disabled", "true")
    free = page.locator('[data-seat][data-state="free"]').first
    assert free.get_attribute("aria-disabled") is None
    assert free.get_attribute("aria-label").endswith(", free")
    expect(page.locator('[data-seat][tabindex="0"]')).to_have_count(1)  # one tab stop for the map
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(page.locator("#message")).to_have_text("")
    assert available(page) == server.available()
    expect(page.locator("#stage")).to_be_visible()
    assert "click" not in page.locator("main").inner_text().lower()


@pytest.mark.req("page-access")
def test_the_page_fits_a_phone_screen_with_seats_of_at_least_24_px(open_page, server):
    page = open_page(viewport={"width": 360, "height": 740})

    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    sizes = page.locator("[data-seat]").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })")
    book_box = page.locator("#book").bounding_box()

    assert overflow == 0
    assert min(w for w, _ in sizes) >= 24 and min(h for _, h in sizes) >= 24
    assert book_box["x"] + book_box["width"] <= 360


CONTRASTS = """() => {
    const channel = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    const luminance = rgb => {
        const [r, g, b] = rgb.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    const ratio = (a, b) => { const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
                              return (x + 0.05) / (y + 0.05); };
    const result = {};
    for (const seat of document.querySelectorAll('[data-seat]')) {
        const style = getComputedStyle(seat);
        const map = getComputedStyle(document.getElementById('seat-map')).backgroundColor;
        result[seat.dataset.state] = {text: ratio(style.color, style.backgroundColor),
                                      edge: ratio(style.borderTopColor, map),
                                      size: parseFloat(style.fontSize)};
    }
    return result;
}"""


@pytest.mark.req("page-access")
def test_seat_text_in_every_state_meets_wcag_aa_contrast(open_page, server):
    _free, to_hold, pending, to_book, theirs_held, theirs_booked = server.free_seats(6)
    assert server.hold({"seats": [theirs_held]})[0] == 201
    assert server.book({"seats": [theirs_booked]})[0] == 200
    page = open_page()
    seat(page, to_book).click()
    expect(seat(page, to_book)).to_have_attribute("data-state", "selected")
    page.click("#checkout")
    page.fill("#buyer-name", "Ada")
    page.fill("#buyer-email", "ada@example.com")
    page.click("#confirm")
    expect(seat(page, to_book)).to_have_attribute("data-state", "mine")
    seat(page, to_hold).click()
    expect(seat(page, to_hold)).to_have_attribute("data-state", "selected")
    HeldRequests(page, "**/holds/*/seats")
    seat(page, pending).click()
    expect(seat(page, pending)).to_have_attribute("data-state", "pending")
    page.emulate_media(reduced_motion="reduce")  # the pending pulse would dim it mid-animation

    contrasts = page.evaluate(CONTRASTS)

    assert set(contrasts) >= {"free", "selected", "pending", "mine", "held", "booked"}
    for state, figures in contrasts.items():
        assert figures["text"] >= 4.5, (state, figures)  # AA for text of any size
        assert figures["edge"] >= 3, (state, figures)  # AA for a control's outline
