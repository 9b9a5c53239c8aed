"""What the browser tests say to a page: its hooks, and requests held back on demand."""

from __future__ import annotations

import time

from playwright.sync_api import Locator, Page, Route

READY = '#app[data-ready="true"]'


def seat(page: Page, seat_id: str) -> Locator:
    return page.locator(f'[data-seat="{seat_id}"]')


def available(page: Page) -> int:
    text = page.locator("#available").inner_text()
    assert text.isdigit(), text
    return int(text)


class HeldRequests:
    """`page.route` that parks matching requests until the test releases them."""

    def __init__(self, page: Page, pattern: str = "**/book") -> None:
        self.routes: list[Route] = []
        self.page = page
        page.route(pattern, self._hold)

    def _hold(self, route: Route) -> None:
        self.routes.append(route)

    def wait_for(self, count: int = 1) -> None:
        self.page.wait_for_function("() => true")  # a round trip, so the route callbacks have run
        deadline = time.monotonic() + 5
        while len(self.routes) < count and time.monotonic() < deadline:
            self.page.wait_for_timeout(10)
        assert len(self.routes) >= count, f"expected {count} held requests, got {len(self.routes)}"

    def take(self) -> Route:
        self.wait_for(1)
        return self.routes.pop(0)
