"""Large shows in a real browser, at 1280×800 and on a 360×740 phone: a 5,000- and a
50,000-seat show open as an overview of their sections; "hold the best seats"
zooms into the section and brings the seats into view, with the stage and the row
labels; only the rows near the visible part of the map are drawn; seats stay at
least 24 px on a phone. The shows are created here (admin token), so these tests
need a server of their own. They also draw the screenshots in docs/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import READY, basket_seats, seat

DOCS = Path(__file__).resolve().parents[2] / "docs"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
pytestmark = pytest.mark.own_server("it creates 5,000- and 50,000-seat shows with the admin token")


def row_labels(count: int, start: int = 0) -> list[str]:
    """A, B, …, Z, AA, AB, …"""
    labels = []
    for index in range(start, start + count):
        label, index = "", index + 1
        while index:
            index, remainder = divmod(index - 1, 26)
            label = chr(65 + remainder) + label
        labels.append(label)
    return labels


def show(show_id: str, name: str, sections: list[tuple[str, int, int, int]]) -> dict:
    """sections: (name, price in cents, rows, seats a row)."""
    layout, start = [], 0
    for section_name, price, rows, seats in sections:
        labels = row_labels(rows, start)
        start += rows
        layout.append({"name": section_name, "price": price,
                       "rows": [{"label": label, "seats": seats, **({"accessible": [1, 2]} if i == 0 else {})}
                                for i, label in enumerate(labels)]})
    return {"id": show_id, "name": name, "starts_at": "2027-09-01T19:30:00Z", "currency": "EUR",
            "layout": {"sections": layout}}


SHOWS = {
    "arena-5k": show("arena-5k", "Arena concert", [("Stalls", 6000, 20, 50), ("Circle", 4000, 30, 60),
                                                     ("Balcony", 2500, 40, 55)]),
    "stadium-50k": show("stadium-50k", "Stadium final", [("Floor", 9000, 200, 100), ("Lower tier", 6000, 150, 100),
                                                          ("Upper tier", 3500, 150, 100)]),
}
TOTALS = {"arena-5k": 5000, "stadium-50k": 50000}


@pytest.fixture(scope="module")
def shows(server) -> dict:
    """The two shows, with the front of each partly sold so the maps look lived in."""
    for show_id, detail in SHOWS.items():
        server.create_show(detail)
        for quantity in (6, 4, 8, 2, 10, 3, 7, 5, 9, 6, 4, 2):
            status, _ = server.book({"quantity": quantity}, show=show_id)
            assert status == 200
        assert server.hold({"quantity": 4, "section": detail["layout"]["sections"][1]["name"]}, show=show_id)[0] == 201
    return SHOWS


def box_of(page, selector: str) -> dict:
    return page.locator(selector).bounding_box()


def inside(inner: dict, outer: dict) -> bool:
    return (inner["x"] >= outer["x"] - 1 and inner["y"] >= outer["y"] - 1
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 1
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 1)


@pytest.mark.req("page-large-venue")
@pytest.mark.req("page-access")
@pytest.mark.parametrize("screen", ["desktop", "phone"])
@pytest.mark.parametrize("show_id", ["arena-5k", "stadium-50k"])
def test_a_large_show_opens_as_an_overview_and_brings_my_seats_into_view(open_page, shows, show_id, screen):
    viewport = DESKTOP if screen == "desktop" else PHONE
    page = open_page(viewport=viewport, path=f"/?show={show_id}")

    expect(page.locator(".band").first).to_be_visible()
    assert page.locator("[data-seat]").count() == 0  # an overview: no seat drawn yet
    expect(page.locator("#section")).to_have_value("")
    assert page.locator("#section option").count() == 4
    assert int(page.locator("#available").inner_text()) < TOTALS[show_id]
    if screen == "desktop" and show_id == "stadium-50k":
        page.screenshot(path=str(DOCS / "large-50k-overview-desktop.png"), animations="disabled")
    page.fill("#quantity", "3")

    page.click("#book")

    selected = page.locator('[data-seat][data-state="selected"]')
    expect(selected).to_have_count(3)
    expect(page.locator("[data-basket-seat]")).to_have_count(3)
    chosen = sorted(basket_seats(page))
    expect(page.locator("#section")).not_to_have_value("")  # zoomed into the seats' section
    expect(page.locator("#announce")).to_contain_text(" and ".join([", ".join(chosen[:-1]), chosen[-1]]))
    map_box = box_of(page, "#seat-map")
    stage = box_of(page, "#stage")
    assert inside(stage, map_box) and stage["y"] <= map_box["y"] + 2  # the stage at the top of the map
    for seat_id in chosen:
        expect(seat(page, seat_id)).to_be_in_viewport()
        seat_box = seat(page, seat_id).bounding_box()
        assert inside(seat_box, map_box)
        assert seat_box["y"] >= stage["y"] + stage["height"] - 1  # not under the stage
    row = page.locator(f'.row:has([data-seat="{chosen[0]}"])')
    label = row.locator(".row-label").bounding_box()
    assert inside(label, map_box) and label["x"] + label["width"] <= seat(page, chosen[0]).bounding_box()["x"] + 1
    expect(row.locator(".row-label")).to_have_text(chosen[0].rstrip("0123456789"))
    drawn = page.locator("[data-seat]").count()
    assert 0 < drawn <= 100 * 60 and drawn < TOTALS[show_id] / 4, drawn
    sizes = page.locator("[data-seat]").evaluate_all(
        "els => els.slice(0, 300).map(e => e.getBoundingClientRect()).map(r => Math.min(r.width, r.height))")
    assert min(sizes) >= 24
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow == 0
    page.locator("#buyer-name").blur()
    page.screenshot(path=str(DOCS / f"large-{show_id.split('-')[1]}-{screen}.png"), animations="disabled")
    page.click("#empty-basket")
    expect(page.locator("[data-basket-seat]")).to_have_count(0)


@pytest.mark.req("page-large-venue")
def test_scrolling_a_large_section_draws_rows_as_they_come_and_keeps_stage_and_labels_in_view(open_page, shows):
    page = open_page(viewport=DESKTOP, path="/?show=stadium-50k")
    page.locator("#section").select_option("Floor")
    expect(seat(page, "A1")).to_be_visible()
    last_row = row_labels(200)[-1]  # the Floor's back row
    assert seat(page, f"{last_row}100").count() == 0

    page.locator("#seat-map").evaluate("box => { box.scrollTop = box.scrollHeight; box.scrollLeft = box.scrollWidth; }")

    expect(seat(page, f"{last_row}100")).to_be_in_viewport()
    expect(seat(page, "C1")).to_have_count(0)  # far rows are forgotten (A keeps the tab stop)
    map_box = box_of(page, "#seat-map")
    assert inside(box_of(page, "#stage"), map_box)
    label = page.locator(f'.row:has([data-seat="{last_row}100"]) .row-label')
    expect(label).to_be_in_viewport()
    assert label.bounding_box()["x"] <= map_box["x"] + 2  # stuck to the left edge
    assert page.locator("[data-seat]").count() <= 100 * 60


@pytest.mark.req("page-large-venue")
def test_the_overview_zooms_by_band_by_section_picker_and_by_pinch_and_comes_back(open_page, shows):
    page = open_page(viewport=DESKTOP, path="/?show=arena-5k")

    page.locator(".band").nth(2).click()  # a band of the Stalls
    expect(page.locator("#section")).to_have_value("Stalls")
    expect(page.locator("[data-seat]").first).to_be_visible()
    page.click("#to-overview")
    expect(page.locator(".band").first).to_be_visible()
    assert page.locator("[data-seat]").count() == 0
    page.locator("#section").select_option("Balcony")
    expect(page.locator("#section")).to_have_value("Balcony")
    balcony_first = row_labels(1, 50)[0]
    expect(seat(page, f"{balcony_first}1")).to_be_attached()
    page.locator("#section").select_option("")
    expect(page.locator(".band").first).to_be_visible()
    band = page.locator('.band[data-zoom-section="1"]').first  # the Circle
    band.hover()
    page.keyboard.down("Control")  # a trackpad pinch arrives as ctrl + wheel
    page.mouse.wheel(0, -120)
    page.keyboard.up("Control")
    expect(page.locator("#section")).to_have_value("Circle")


@pytest.mark.req("page-large-venue")
@pytest.mark.req("page-access")
def test_the_overview_is_one_tab_stop_with_arrow_keys(open_page, shows):
    page = open_page(viewport=DESKTOP, path="/?show=stadium-50k")
    expect(page.locator('.overview [tabindex="0"]')).to_have_count(1)

    page.locator('.overview [tabindex="0"]').focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("document.activeElement.id")
    page.keyboard.press("Enter")

    assert focused.startswith("band-0-")
    expect(page.locator("#section")).to_have_value("Floor")
    expect(page.locator('[data-seat][tabindex="0"]')).to_have_count(1)
    expect(page.locator('[data-seat][tabindex="0"]')).to_be_focused()
    page.wait_for_selector(READY)
