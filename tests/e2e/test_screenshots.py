"""The README's screenshot: a show with sections and prices, a basket with its
timer, a seat waiting for the server, a booking just confirmed with its reference.
Drawn from a known venue (the example jazz night), so it needs a server of its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import HeldRequests, check_out, seat

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "screenshot.png"
PHONE_SCREENSHOT = ROOT / "docs" / "screenshot-phone.png"
JAZZ = json.loads((ROOT / "examples" / "jazz-night.json").read_text())
pytestmark = pytest.mark.own_server("it draws docs/screenshot.png from the example show with chosen seats taken")


@pytest.fixture(scope="module")
def jazz(server) -> str:
    server.create_show(JAZZ)
    for taken in (["A9", "A10"], ["A11"], ["B12", "B13"], ["C4"], ["BA14", "BA15", "BA16"], ["D20"]):
        assert server.book({"seats": taken}, show=JAZZ["id"])[0] == 200
    assert server.hold({"seats": ["B6", "B7"]}, show=JAZZ["id"])[0] == 201
    return JAZZ["id"]


@pytest.mark.req("page-basket")
@pytest.mark.req("page-checkout")
def test_screenshot_of_the_page_for_the_readme(open_page, jazz):
    page = open_page(viewport={"width": 1280, "height": 800}, path=f"/?show={jazz}")
    seat(page, "C11").click()
    expect(seat(page, "C11")).to_have_attribute("data-state", "selected")
    check_out(page)
    expect(seat(page, "C11")).to_have_attribute("data-state", "mine")
    for chosen in ("B10", "B11"):
        seat(page, chosen).click()
        expect(seat(page, chosen)).to_have_attribute("data-state", "selected")
    HeldRequests(page, "**/holds/*/seats")
    seat(page, "B9").click()  # held back: shows as pending
    expect(seat(page, "B9")).to_have_attribute("data-state", "pending")
    page.locator("#seat-map").evaluate("box => { box.scrollLeft = 0; }")
    page.locator("body").click(position={"x": 5, "y": 5})

    page.screenshot(path=str(SCREENSHOT), animations="disabled")

    expect(page.locator("#hold-timer")).to_be_visible()
    expect(page.locator("[data-basket-seat]")).to_have_count(2)
    assert SCREENSHOT.stat().st_size > 10_000


@pytest.mark.req("page-access")
def test_screenshot_on_a_phone(open_page, jazz):
    page = open_page(viewport={"width": 360, "height": 740}, path=f"/?show={jazz}")
    seat(page, "A5").click()
    expect(seat(page, "A5")).to_have_attribute("data-state", "selected")

    page.screenshot(path=str(PHONE_SCREENSHOT), animations="disabled")

    expect(page.locator("#basket-bar")).to_be_in_viewport()
    assert PHONE_SCREENSHOT.stat().st_size > 10_000
