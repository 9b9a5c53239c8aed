"""The booking service: one lock around every decision, durable before answered.

Inside `async with self._lock` a request is decided in memory and its writes are
queued for the next group commit; nothing else happens there (no I/O, no
sending). The reply is sent once the batch holding it, and everything decided
before it, is on disk. Subscribers hear about a change only after that commit.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections import OrderedDict
from dataclasses import dataclass

from tornado.locks import Lock

from app.committer import GroupCommitter
from app.store import BookingWrite, CancelWrite, ReplyWrite, SeatStore, Write
from booking.idempotency import fingerprint
from booking.inventory import Booked, Inventory, hash_token
from booking.requests import BookRequest, parse_book_request

log = logging.getLogger("seats.reservations")


@dataclass(frozen=True)
class Reply:
    status: int
    body: str  # JSON text, kept as text so an idempotent repeat is byte-identical


@dataclass
class _KeyedReply:
    fingerprint: str
    reply: Reply
    durable: asyncio.Future[None]


class ShuttingDown(Exception):
    """The server is stopping and takes no new bookings."""


class IdempotencyConflict(Exception):
    """The key was used before with a different body."""


class ReservationService:
    def __init__(
        self,
        inventory: Inventory,
        store: SeatStore,
        committer: GroupCommitter,
        max_per_booking: int,
        remembered_keys: int = 100_000,
    ) -> None:
        self.inventory = inventory
        self._store = store
        self._committer = committer
        self._max_per_booking = max_per_booking
        self._lock = Lock()
        self._keys: OrderedDict[str, _KeyedReply] = OrderedDict()
        self._remembered_keys = remembered_keys
        self.closing = False

    async def book(self, body: object, key: str | None) -> Reply:
        """Book per the decoded body. Raises InvalidRequest (400, never stored),
        IdempotencyConflict (422), ShuttingDown (503) or StorageFailed (500)."""
        request = parse_book_request(body, self.inventory.venue, self._max_per_booking)
        body_print = fingerprint(body) if key is not None else ""
        async with self._lock:
            if self.closing:
                raise ShuttingDown()
            earlier = self._earlier_reply(key) if key is not None else None
            if earlier is None:
                reply, durable = self._decide_booking(request, key, body_print)
        if earlier is not None:
            if earlier.fingerprint != body_print:
                raise IdempotencyConflict()
            await earlier.durable
            return earlier.reply
        await durable
        return reply

    def _decide_booking(
        self, request: BookRequest, key: str | None, body_print: str
    ) -> tuple[Reply, asyncio.Future[None]]:
        booking_id, token = secrets.token_urlsafe(12), secrets.token_urlsafe(24)
        outcome = self.inventory.book(request, booking_id, hash_token(token))
        writes: list[Write] = []
        changes = []
        if isinstance(outcome, Booked):
            reply = Reply(200, _json({
                "booking_id": booking_id, "token": token, "seats": list(outcome.booking.seats),
                "available": outcome.change.available, "version": outcome.change.version,
            }))
            writes.append(BookingWrite(outcome.booking, outcome.change))
            changes.append(outcome.change)
        else:
            reply = Reply(409, _json({
                "error": outcome.error, "message": outcome.message, "unavailable": list(outcome.unavailable),
                "available": outcome.available, "version": outcome.version,
            }))
        if key is not None:
            writes.append(ReplyWrite(key, body_print, reply.status, reply.body))
        durable = self._committer.submit(writes, changes)
        if key is not None:
            self._remember(key, _KeyedReply(body_print, reply, durable))
        return reply, durable

    async def cancel(self, booking_id: str, token: str) -> Reply:
        """Raises UnknownBooking (404), WrongToken (403), ShuttingDown or StorageFailed."""
        async with self._lock:
            if self.closing:
                raise ShuttingDown()
            cancelled = self.inventory.cancel(booking_id, token)
            durable = self._committer.submit([CancelWrite(booking_id, cancelled.change)], [cancelled.change])
        await durable
        return Reply(200, _json({
            "released": list(cancelled.booking.seats),
            "available": cancelled.change.available,
            "version": cancelled.change.version,
        }))

    async def reload_after_storage_failure(self) -> None:
        """Forget decisions the disk did not take: rebuild from what is committed."""
        async with self._lock:
            self.inventory = self._store.load_inventory(self.inventory.venue)
            self._keys.clear()
            self._committer.reset()
            log.warning("state reloaded from storage at version %d", self.inventory.version)

    async def close(self) -> None:
        """Refuse new bookings, then wait until every accepted one is durable."""
        async with self._lock:
            self.closing = True
        await self._committer.drain()

    def _earlier_reply(self, key: str) -> _KeyedReply | None:
        entry = self._keys.get(key)
        if entry is not None and not (entry.durable.done() and entry.durable.exception() is not None):
            return entry
        stored = self._store.find_reply(key)
        if stored is None:
            return None
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return _KeyedReply(stored.fingerprint, Reply(stored.status, stored.body), done)

    def _remember(self, key: str, entry: _KeyedReply) -> None:
        self._keys[key] = entry
        self._keys.move_to_end(key)
        # Oldest first: those are durable first, and only durable ones may be
        # forgotten (the database answers for them from then on).
        while len(self._keys) > self._remembered_keys:
            oldest = next(iter(self._keys.values()))
            if not oldest.durable.done():
                break
            self._keys.popitem(last=False)


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))

