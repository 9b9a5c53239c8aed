"""Holds (a basket) and checkout: `POST /shows/{show}/holds` and `/holds/{id}…`."""

from __future__ import annotations

from handlers.base import JsonCommandHandler


class HoldsHandler(JsonCommandHandler):
    rate_limited = True

    async def post(self, show_id: str) -> None:
        sales = self.box_office.sales(show_id)
        body, key = self.json_body(), self.idempotency_key()
        self.write_reply(await sales.hold(body, self.request.remote_ip or "", key, self.scope))


class HoldHandler(JsonCommandHandler):
    """`GET /holds/{id}` reads the basket; `DELETE` releases it."""

    def prepare(self) -> None:
        if self.request.method == "GET":
            return  # a read: no origin check, no body
        super().prepare()

    async def get(self, hold_id: str) -> None:
        token = self.bearer_token("hold")
        self.write_reply(await self.box_office.sales_for_hold(hold_id).basket(hold_id, token))

    async def delete(self, hold_id: str) -> None:
        self.json_body()
        token = self.bearer_token("hold")
        self.write_reply(await self.box_office.sales_for_hold(hold_id).release(hold_id, token))


class HoldSeatsHandler(JsonCommandHandler):
    rate_limited = True

    async def post(self, hold_id: str) -> None:
        body, key = self.json_body(), self.idempotency_key()
        token = self.bearer_token("hold")
        replay = await self.box_office.replay_for_hold(hold_id, token, body, key, self.scope)
        if replay is None:
            sales = self.box_office.sales_for_hold(hold_id)
            replay = await sales.add_to_hold(hold_id, token, body, key, self.scope)
        self.write_reply(replay)


class HoldSeatHandler(JsonCommandHandler):
    async def delete(self, hold_id: str, seat_id: str) -> None:
        self.json_body()
        token = self.bearer_token("hold")
        sales = self.box_office.sales_for_hold(hold_id)
        self.write_reply(await sales.remove_from_hold(hold_id, token, seat_id))


class ConfirmHandler(JsonCommandHandler):
    async def post(self, hold_id: str) -> None:
        body, key = self.json_body(), self.idempotency_key()
        token = self.bearer_token("hold")
        replay = await self.box_office.replay_for_hold(hold_id, token, body, key, self.scope)
        if replay is None:
            sales = self.box_office.sales_for_hold(hold_id)
            replay = await sales.confirm(hold_id, token, body, key, self.scope)
        self.write_reply(replay)
