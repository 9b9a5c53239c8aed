"""One show's sales desk: its lock around every decision, durable before answered.

Inside `async with self.lock` a request is decided in memory (after the holds
whose time is up have expired) and its results are queued for the next group
commit; nothing else happens there: no I/O, no sending. The reply goes out once
the batch holding it, and everything decided before it, is on disk.
Subscribers hear about a change only after that commit (`BoxOffice.broadcast`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tornado.locks import Lock

from app import contract_json
from app.committer import GroupCommitter
from app.contract_json import Reply
from app.event_hub import EventHub
from app.identifiers import new_id_and_token, new_reference
from app.keyed_replies import KeyedReplies
from app.metrics import Metrics
from app.store import Record, StoredReply
from booking.errors import BookingError
from booking.idempotency import fingerprint
from booking.inventory import Held, HoldUpdated, Inventory, Rejected, Released, hash_token
from booking.requests import parse_book_request, parse_buyer
from booking.show import Show

if TYPE_CHECKING:
    from app.shared_sales import SharedDesk

log = logging.getLogger("seats.sales")

Decision = Callable[[float], tuple[Reply, list[Record]]]


class ShuttingDown(Exception):
    """The server is stopping and takes no new decisions."""


class StorageDown(Exception):
    """A commit failed: no decisions until the store is reopened and every show
    reloaded from what is on disk."""


class TooManyHolds(Exception):
    """This client address has `--max-holds-per-client` open holds already."""

    def __init__(self, limit: int, retry_after: float) -> None:
        super().__init__(f"this address has {limit} open holds already; confirm or release one, "
                         "or wait for one to expire")
        self.retry_after = retry_after


@dataclass
class SalesRules:
    """What every show's desk shares: limits and the clock (seconds since the epoch)."""

    max_per_booking: int
    max_holds_per_client: int
    clock: Callable[[], float]
    open_holds_of: Callable[[str, float], list[float]]  # all shows' open holds of a client
    refusing: Callable[[], Exception | None]  # why no decision can be taken now, if so
    metrics: Metrics | None = None  # None: --metrics-address off, nothing counted


class ShowSales:
    def __init__(self, show: Show, inventory: Inventory, hub: EventHub, committer: GroupCommitter | None,
                 replies: KeyedReplies, rules: SalesRules) -> None:
        self.show = show
        self.inventory = inventory
        self.hub = hub
        self.lock = Lock()
        self._committer = committer
        self._replies = replies
        self._rules = rules
        # With several processes on one database, a `SharedDesk` decides instead
        # of the group commit (app/shared_sales.py).
        self.desk: SharedDesk | None = None

    # -- the decisions ------------------------------------------------------------------

    async def book(self, body: object, key: str | None, scope: str) -> Reply:
        """Book at once (Part 1's `POST /book`, and `POST /shows/{show}/book`)."""
        request = parse_book_request(body, self.inventory.layout, self._rules.max_per_booking)

        def decide(now: float) -> tuple[Reply, list[Record]]:
            booking_id, token = new_id_and_token()
            outcome = self.inventory.book(request, booking_id, hash_token(token), new_reference)
            if isinstance(outcome, Rejected):
                return contract_json.rejected(outcome), []
            return contract_json.booked(outcome.booking, token, outcome.change), [outcome]

        return await self._decide(decide, body, key, scope)

    async def hold(self, body: object, client: str, key: str | None, scope: str) -> Reply:
        request = parse_book_request(body, self.inventory.layout, self._rules.max_per_booking)

        def decide(now: float) -> tuple[Reply, list[Record]]:
            limit = self._rules.max_holds_per_client
            open_holds = self._rules.open_holds_of(client, now)
            if len(open_holds) >= limit:
                raise TooManyHolds(limit, min(open_holds) - now)
            hold_id, token = new_id_and_token()
            outcome = self.inventory.hold(request, hold_id, hash_token(token), client, now)
            if isinstance(outcome, Rejected):
                return contract_json.rejected(outcome), []
            return self._basket(outcome, now, token), [outcome]

        return await self._decide(decide, body, key, scope)

    async def add_to_hold(self, hold_id: str, token: str, body: object, key: str | None, scope: str) -> Reply:
        request = parse_book_request(body, self.inventory.layout, self._rules.max_per_booking)

        def decide(now: float) -> tuple[Reply, list[Record]]:
            outcome = self.inventory.add_to_hold(hold_id, token, request, now)
            if isinstance(outcome, Rejected):
                return contract_json.rejected(outcome), []
            return self._basket(outcome, now), [outcome]

        return await self._decide(decide, body, key, scope, hash_token(token))

    async def remove_from_hold(self, hold_id: str, token: str, seat_id: str) -> Reply:
        def decide(now: float) -> tuple[Reply, list[Record]]:
            outcome = self.inventory.remove_from_hold(hold_id, token, seat_id, now)
            if isinstance(outcome, Rejected):
                return contract_json.rejected(outcome), []
            return self._basket(outcome, now), [outcome]

        return await self._decide(decide)

    async def release(self, hold_id: str, token: str) -> Reply:
        def decide(now: float) -> tuple[Reply, list[Record]]:
            outcome = self.inventory.release(hold_id, token)
            return self._released(outcome), [outcome]

        return await self._decide(decide)

    async def basket(self, hold_id: str, token: str) -> Reply:
        """Read a basket; answered once everything decided before is durable."""
        def decide(now: float) -> tuple[Reply, list[Record]]:
            hold = self.inventory.basket(hold_id, token, now)
            return contract_json.basket(hold, self.inventory.available, self.inventory.version, now), []

        return await self._decide(decide)

    async def confirm(self, hold_id: str, token: str, body: object, key: str | None, scope: str) -> Reply:
        buyer = parse_buyer(body)

        def decide(now: float) -> tuple[Reply, list[Record]]:
            booking_id, booking_token = new_id_and_token()
            outcome = self.inventory.confirm(hold_id, token, buyer, booking_id, hash_token(booking_token),
                                             new_reference)
            if isinstance(outcome, Rejected):
                return contract_json.rejected(outcome), []
            return contract_json.confirmed(outcome.booking, booking_token, outcome.change), [outcome]

        return await self._decide(decide, body, key, scope, hash_token(token))

    async def cancel(self, booking_id: str, token: str) -> Reply:
        def decide(now: float) -> tuple[Reply, list[Record]]:
            outcome = self.inventory.cancel(booking_id, token)
            return contract_json.cancelled(outcome.booking, outcome.change), [outcome]

        return await self._decide(decide)

    async def expire_due(self) -> None:
        """The sweeper's turn: end the holds whose time is up, announced like any
        change (not once shutting down: the store is about to close)."""
        if self.desk is not None:
            if self._rules.refusing() is None:
                await self.desk.decide(None)
            return
        async with self.lock:
            if self._rules.refusing() is None:
                self._expire(self._rules.clock())

    # -- the one way a decision is made -----------------------------------------------------

    async def _decide(self, decide: Decision, body: object = None, key: str | None = None,
                      scope: str = "", owner: str = "") -> Reply:
        """Under the lock: the expiries that are due, then the earlier answer to this
        idempotency key if there is one, else the decision and its records queued
        for commit. Outside it: wait until that is durable. A domain error raised by
        `decide` changes nothing and is never stored. `owner` is the hash of the
        request's bearer token, which a repeat must match."""
        body_print = fingerprint(body) if key is not None else ""
        if self.desk is not None:
            return await self.desk.decide(decide, body_print, key, scope, owner)
        refusal: Exception | None = None
        arrived = time.perf_counter()
        async with self.lock:
            refused = self._rules.refusing()
            if refused is not None:
                raise refused
            now = self._rules.clock()
            self._expire(now)
            earlier = self._replies.earlier(scope, key) if key is not None else None
            if earlier is None:
                try:
                    reply, records = decide(now)
                except (BookingError, TooManyHolds) as error:
                    # A refusal rests on state too (a hold that just expired is
                    # 404): it waits, like any answer, until that state is durable.
                    refusal, durable = error, self._committer.barrier()
                else:
                    stored = None
                    if key is not None:
                        stored = StoredReply(scope, key, body_print, reply.status, reply.body, owner)
                        records.append(stored)
                    durable = self._committer.submit(records)
                    if stored is not None:
                        self._replies.remember(stored, reply, durable)
                if self._rules.metrics is not None:
                    self._rules.metrics.decision_seconds.observe(time.perf_counter() - arrived)
        if earlier is not None:
            return await earlier.again(body_print, owner)
        await durable
        if refusal is not None:
            raise refusal
        return reply

    def _expire(self, now: float) -> None:
        expired = self.inventory.expire_due(now)
        if expired:
            if self._rules.metrics is not None:
                self._rules.metrics.expiries.inc((self.show.id,), len(expired))
            # Not awaited: each expiry is a change of its own, committed and
            # announced like any other; a failure resets the whole store.
            self._committer.submit(expired)

    def _basket(self, outcome: Held | HoldUpdated, now: float, token: str | None = None) -> Reply:
        version = outcome.change.version if outcome.change is not None else self.inventory.version
        return contract_json.basket(outcome.hold, self.inventory.available, version, now, token)

    def _released(self, outcome: Released) -> Reply:
        return contract_json.released(outcome.hold, self.inventory.available, outcome.change.version)

    async def reload(self, load: Callable[[], Inventory]) -> None:
        """Forget decisions the disk did not take: rebuild from what is committed."""
        async with self.lock:
            self.inventory = load()
            log.warning("show %s reloaded from storage at version %d", self.show.id, self.inventory.version)

