"""Holds (a basket) and checkout: `POST /shows/{show}/holds` and `/holds/{id}…`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from app.contract_json import Reply
from app.show_sales import ShowSales
from handlers.base import JsonCommandHandler


class HoldsHandler(JsonCommandHandler):
    rate_limited = True
    decides = ("POST", "hold")

    async def post(self, show_id: str) -> None:
        sales = self.box_office.sales(show_id)
        body, key = self.json_body(), self.idempotency_key()
        self.write_reply(await sales.hold(body, self.request.remote_ip or "", key, self.scope))


class HoldHandler(JsonCommandHandler):
    """`GET /holds/{id}` reads the basket; `DELETE` releases it."""

    decides = ("DELETE", "release")

    async def get(self, hold_id: str) -> None:
        token = self.bearer_token("hold")
        sales = await self.box_office.sales_for_hold(hold_id)
        self.write_reply(await sales.basket(hold_id, token))

    async def delete(self, hold_id: str) -> None:
        self.json_body()
        token = self.bearer_token("hold")
        sales = await self.box_office.sales_for_hold(hold_id)
        self.write_reply(await sales.release(hold_id, token))


class KeyedHoldCommand(JsonCommandHandler):
    """A POST about a hold, with an optional idempotency key: a repeat about a hold
    since confirmed or released is answered from its stored reply, else the hold's
    show decides (`action`, a `ShowSales` method)."""

    action: Callable[..., Awaitable[Reply]]

    async def post(self, hold_id: str) -> None:
        body, key = self.json_body(), self.idempotency_key()
        token = self.bearer_token("hold")
        reply = await self.box_office.replay_for_hold(hold_id, token, body, key, self.scope)
        if reply is None:
            sales = await self.box_office.sales_for_hold(hold_id)
            reply = await self.action(sales, hold_id, token, body, key, self.scope)
        self.write_reply(reply)


class HoldSeatsHandler(KeyedHoldCommand):
    rate_limited = True
    decides = ("POST", "add_seats")
    action = staticmethod(ShowSales.add_to_hold)


class HoldSeatHandler(JsonCommandHandler):
    decides = ("DELETE", "remove_seat")

    async def delete(self, hold_id: str, seat_id: str) -> None:
        self.json_body()
        token = self.bearer_token("hold")
        sales = await self.box_office.sales_for_hold(hold_id)
        self.write_reply(await sales.remove_from_hold(hold_id, token, seat_id))


class ConfirmHandler(KeyedHoldCommand):
    decides = ("POST", "confirm")
    action = staticmethod(ShowSales.confirm)
