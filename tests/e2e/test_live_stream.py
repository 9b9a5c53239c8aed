"""The page's event stream: one EventSource, opened at start and closed when the
page goes away (REQ-8); other people's holds and bookings arrive live (REQ-11); a
dropped stream reconnects and resumes, with a banner while it is down. Seats are
chosen among the free ones, so any venue in any state will do."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import available, seat

VENUE = (50, 10)  # rows A..E when the tests start their own server

# Counts EventSource constructions and close() calls, and keeps the instances,
# before any page script runs (Playwright's init scripts are not subject to the CSP).
COUNT_EVENT_SOURCES = """(() => {
    const Original = window.EventSource;
    window.__streams = [];
    window.__closed = 0;
    class CountedEventSource extends Original {
        constructor(url, options) {
            super(url, options);
            window.__streams.push(this);
        }
        close() {
            window.__closed += 1;
            super.close();
        }
    }
    window.EventSource = CountedEventSource;
})();"""


@pytest.mark.req("REQ-8")
def test_req8_the_page_opens_one_event_source_and_closes_it_when_left(open_page, server):
    baseline = server.get("/healthz")["subscribers"]

    page = open_page(COUNT_EVENT_SOURCES)

    assert page.evaluate("window.__streams.length") == 1
    assert page.evaluate("window.__streams[0].url").endswith("/shows/main/events")
    assert page.evaluate("window.__streams[0].readyState") == 1  # OPEN
    assert server.wait_for_subscribers(baseline + 1) == baseline + 1
    page.wait_for_timeout(300)  # settle: nothing may open a second stream later
    assert page.evaluate("window.__streams.length") == 1

    page.goto("about:blank")

    assert server.wait_for_subscribers(baseline) == baseline


@pytest.mark.req("REQ-8")
def test_req8_pagehide_closes_the_stream_itself(open_page, server):
    baseline = server.get("/healthz")["subscribers"]
    page = open_page(COUNT_EVENT_SOURCES)
    assert server.wait_for_subscribers(baseline + 1) == baseline + 1

    page.evaluate("window.dispatchEvent(new PageTransitionEvent('pagehide', {persisted: false}))")

    assert page.evaluate("window.__closed") == 1
    assert page.evaluate("window.__streams[0].readyState") == 2  # CLOSED
    assert server.wait_for_subscribers(baseline) == baseline
    page.close()


@pytest.mark.req("REQ-8")
def test_req8_closing_the_tab_releases_the_stream_on_the_server(open_page, server):
    baseline = server.get("/healthz")["subscribers"]
    page = open_page()
    assert server.wait_for_subscribers(baseline + 1) == baseline + 1

    page.close(run_before_unload=True)

    assert server.wait_for_subscribers(baseline) == baseline


@pytest.mark.req("REQ-11")
@pytest.mark.req("REQ-4")
def test_req11_a_booking_in_one_page_appears_in_another_without_reload(open_page, server):
    [chosen] = server.free_seats(1)
    alice, bob = open_page(), open_page()
    bob.evaluate("window.__not_reloaded = true")

    seat(alice, chosen).click()
    expect(seat(bob, chosen)).to_have_attribute("data-state", "held")
    alice.click("#checkout")
    alice.fill("#buyer-name", "Alice")
    alice.fill("#buyer-email", "alice@example.com")
    alice.click("#confirm")
    expect(seat(alice, chosen)).to_have_attribute("data-state", "mine")

    expect(seat(bob, chosen)).to_have_attribute("data-state", "booked")
    truth = server.available()
    expect(bob.locator("#available")).to_have_text(str(truth))
    assert available(alice) == truth
    assert bob.evaluate("window.__not_reloaded") is True


@pytest.mark.req("REQ-11")
def test_req11_holds_and_bookings_made_outside_any_page_appear_live(open_page, server):
    held_seat, booked_seat = server.free_seats(2)
    page = open_page()
    expect(seat(page, held_seat)).to_have_attribute("data-state", "free")

    status, hold = server.hold({"seats": [held_seat]})
    assert status == 201
    expect(seat(page, held_seat)).to_have_attribute("data-state", "held")
    status, body = server.book({"seats": [booked_seat]})
    assert status == 200
    expect(seat(page, booked_seat)).to_have_attribute("data-state", "booked")
    expect(page.locator("#available")).to_have_text(str(body["available"]))
    assert server.release(hold["hold_id"], hold["token"]) == 200
    expect(seat(page, held_seat)).to_have_attribute("data-state", "free")


@pytest.mark.req("resume")
@pytest.mark.req("page-honest-states")
def test_a_dropped_stream_shows_a_banner_then_resumes_from_the_last_version(open_page, server):
    [chosen] = server.free_seats(1)
    page = open_page(COUNT_EVENT_SOURCES)
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(seat(page, chosen)).to_have_attribute("data-state", "free")
    version = server.get("/shows/main/seats")["version"]
    expect(page.locator("#offline")).to_be_hidden()
    page.route("**/shows/main/events*", lambda route: route.abort("connectionrefused"))

    page.evaluate("window.__streams[0].dispatchEvent(new Event('error'))")
    expect(page.locator("#connection")).to_have_attribute("data-state", "reconnecting")
    status, _ = server.book({"seats": [chosen]})  # made while the page is not listening
    assert status == 200
    banner = page.locator("#offline")
    expect(banner).to_be_visible()  # after a few seconds down
    expect(banner).to_contain_text("Bookings may fail. Last heard from the server at")
    page.unroute("**/shows/main/events*")

    expect(page.locator("#connection")).to_have_attribute("data-state", "live", timeout=20_000)
    expect(banner).to_be_hidden()
    urls = page.evaluate("window.__streams.map(s => s.url)")
    assert urls[-1].endswith(f"/shows/main/events?lastEventId={version}")
    expect(seat(page, chosen)).to_have_attribute("data-state", "booked")
    expect(page.locator("#available")).to_have_text(str(server.available()))
