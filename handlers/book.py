"""`POST /book`, `POST /shows/{show}/book` and `DELETE /bookings/{id}`."""

from __future__ import annotations

from booking.show import DEFAULT_SHOW
from handlers.base import JsonCommandHandler


class BookHandler(JsonCommandHandler):
    rate_limited = True
    decides = ("POST", "book")

    async def post(self, show_id: str = DEFAULT_SHOW) -> None:
        sales = self.box_office.sales(show_id)
        body, key = self.json_body(), self.idempotency_key()
        self.write_reply(await sales.book(body, key, self.scope))


class BookingHandler(JsonCommandHandler):
    decides = ("DELETE", "cancel")

    async def delete(self, booking_id: str) -> None:
        self.json_body()  # a body is not needed, but one that is not JSON is refused
        token = self.bearer_token("booking")
        sales = await self.box_office.sales_for_booking(booking_id)
        self.write_reply(await sales.cancel(booking_id, token))
