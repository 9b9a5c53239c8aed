"""Two tabs of one browser share this show's holds and bookings through
localStorage without overwriting each other: each books, both bookings survive a
reload and either tab can cancel either; a seat held in one tab is in the other's
basket too. Seats are chosen among the free ones, so any venue will do."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import READY, check_out, expect_basket, seat

VENUE = (100, 10)


def book(page, seat_id: str) -> str:
    seat(page, seat_id).click()
    expect(seat(page, seat_id)).to_have_attribute("data-state", "selected")
    check_out(page)
    expect(seat(page, seat_id)).to_have_attribute("data-state", "mine")
    return page.locator("#confirmation [data-reference]").get_attribute("data-reference")


@pytest.mark.req("page-multi-tab")
@pytest.mark.req("never-lose-booking")
@pytest.mark.req("cancellation")
def test_two_tabs_each_book_and_both_bookings_survive_a_reload_cancellable_from_either(open_page, server):
    first, second = server.free_seats(2)
    tab1 = open_page()
    tab2 = open_page(context=tab1.context)  # already open before either books

    reference1 = book(tab1, first)
    reference2 = book(tab2, second)

    for tab in (tab1, tab2):
        expect(tab.locator("#my-bookings [data-booking]")).to_have_count(2)
        expect(seat(tab, first)).to_have_attribute("data-state", "mine")
        expect(seat(tab, second)).to_have_attribute("data-state", "mine")
    for tab in (tab1, tab2):
        tab.reload()
        tab.wait_for_selector(READY)
        expect(tab.locator("#my-bookings [data-booking]")).to_have_count(2)
        expect(tab.locator("#my-bookings")).to_contain_text(reference1)
        expect(tab.locator("#my-bookings")).to_contain_text(reference2)
        expect(seat(tab, first)).to_have_attribute("data-state", "mine")
        expect(seat(tab, second)).to_have_attribute("data-state", "mine")

    tab2.locator("#my-bookings [data-booking]", has_text=reference1).locator("[data-cancel]").click()
    tab2.click("#confirm-cancel")
    expect(seat(tab2, first)).to_have_attribute("data-state", "free")
    expect(seat(tab1, first)).to_have_attribute("data-state", "free")
    expect(tab1.locator("#my-bookings [data-booking]")).to_have_count(1)
    tab1.locator("#my-bookings [data-booking]", has_text=reference2).locator("[data-cancel]").click()
    tab1.click("#confirm-cancel")
    expect(seat(tab1, second)).to_have_attribute("data-state", "free")
    expect(tab2.locator("#my-bookings [data-booking]")).to_have_count(0)
    assert server.seat_states()[first] == "free" and server.seat_states()[second] == "free"


@pytest.mark.req("page-multi-tab")
@pytest.mark.req("page-basket")
def test_a_seat_held_in_one_tab_is_in_the_other_tabs_basket(open_page, server):
    first, second = server.free_seats(2)
    tab1 = open_page()
    tab2 = open_page(context=tab1.context)

    seat(tab1, first).click()
    expect(seat(tab2, first)).to_have_attribute("data-state", "selected")
    seat(tab2, second).click()  # added to the same basket
    expect(seat(tab1, second)).to_have_attribute("data-state", "selected")

    for tab in (tab1, tab2):
        expect_basket(tab, [first, second])
        expect(tab.locator("#hold-timer")).to_be_visible()
    seat(tab2, first).click()  # out again, from the other tab
    expect(seat(tab1, first)).to_have_attribute("data-state", "free")
    expect_basket(tab1, [second])
