"""What the browser tests say to a page: its hooks, and requests held back on demand."""

from __future__ import annotations

import time

from playwright.sync_api import Locator, Page, Route

READY = '#app[data-ready="true"]'
NEW_HOLD = "**/shows/*/holds"  # POST: a new basket
ADD_TO_HOLD = "**/holds/*/seats"  # POST: more seats in a basket
CONFIRM = "**/holds/*/confirm"
CANCEL = "**/bookings/*"


def seat(page: Page, seat_id: str) -> Locator:
    return page.locator(f'[data-seat="{seat_id}"]')


def available(page: Page) -> int:
    text = page.locator("#available").inner_text()
    assert text.isdigit(), text
    return int(text)


def shown_states(page: Page) -> dict[str, str]:
    """Seat id -> data-state of every seat the page draws now."""
    return page.locator("[data-seat]").evaluate_all(
        "els => Object.fromEntries(els.map(e => [e.dataset.seat, e.dataset.state]))")


def basket_seats(page: Page) -> list[str]:
    return page.locator("[data-basket-seat]").evaluate_all("els => els.map(e => e.dataset.basketSeat)")


def expect_basket(page: Page, seats: list[str], timeout: float = 10_000) -> None:
    """Waits until `#basket` lists exactly these seats (in any order): the panel is
    drawn just after the frame that paints the seats themselves."""
    page.wait_for_function(
        """expected => {
            const shown = [...document.querySelectorAll('#basket [data-basket-seat]')].map(e => e.dataset.basketSeat);
            return JSON.stringify(shown.sort()) === JSON.stringify(expected);
        }""", arg=sorted(seats), timeout=timeout)


def check_out(page: Page, name: str = "Ada Lovelace", email: str = "ada@example.com") -> None:
    page.click("#checkout")
    page.fill("#buyer-name", name)
    page.fill("#buyer-email", email)
    page.click("#confirm")


class HeldRequests:
    """`page.route` that parks matching requests until the test releases them."""

    def __init__(self, page: Page, pattern: str = NEW_HOLD) -> None:
        self.routes: list[Route] = []
        self.page = page
        self.pattern = pattern
        page.route(pattern, self._hold)

    def _hold(self, route: Route) -> None:
        self.routes.append(route)

    def wait_for(self, count: int = 1) -> None:
        self.page.wait_for_function("() => true")  # a round trip, so the route callbacks have run
        deadline = time.monotonic() + 10
        while len(self.routes) < count and time.monotonic() < deadline:
            self.page.wait_for_timeout(10)
        assert len(self.routes) >= count, f"expected {count} held requests, got {len(self.routes)}"

    def take(self) -> Route:
        self.wait_for(1)
        return self.routes.pop(0)

    def stop(self) -> None:
        """Let later requests through (those already held stay held until released)."""
        self.page.unroute(self.pattern, self._hold)
