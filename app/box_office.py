"""The box office: every show's sales desk, and what crosses between them.

It opens each show from the store, creates new ones, finds the show a hold or
a booking belongs to (ids are unique across shows), sweeps expired holds, and
owns *the broadcast*: `broadcast(change)` is what the group committer calls once
a batch is durable, in commit order, and it hands each change to its show's
event hub (board first, then every stream of that show).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from tornado.locks import Lock

from app import contract_json
from app.committer import GroupCommitter
from app.contract_json import Reply
from app.event_hub import EventHub
from app.keyed_replies import KeyedReplies
from app.metrics import Metrics
from app.seat_board import SeatBoard
from app.shared_sales import ChangeFollower, SharedDesk
from app.show_sales import SalesRules, ShowSales, ShuttingDown, StorageDown
from app.store import NewShow, StorageUnavailable, Store, StoredReply
from booking.errors import ShowExists, UnknownBooking, UnknownHold, UnknownShow
from booking.idempotency import fingerprint
from booking.inventory import Change, Policy, hash_token
from booking.show import Show, is_show_id, parse_show

log = logging.getLogger("seats.box_office")


class BoxOffice:
    def __init__(self, store: Store, committer_factory: Callable[[Callable[[Change], None]], GroupCommitter],
                 policy: Policy, max_holds_per_client: int, late_confirm_seconds: float, replay_limit: int,
                 clock: Callable[[], float], metrics: Metrics | None = None) -> None:
        self.store = store
        self.policy = policy
        self.closing = False  # the one shutdown flag: no new decisions, no new streams
        self.storage_error: str | None = None  # set from a failed commit until the store is reopened
        self._late_confirm_seconds = late_confirm_seconds
        self._replay_limit = replay_limit
        self._clock = clock
        self.committer = committer_factory(self.broadcast)
        self.replies = KeyedReplies(store)
        self._rules = SalesRules(policy.max_seats, max_holds_per_client, clock, self.open_holds_of,
                                 self.refusing, metrics)
        self._creating = Lock()
        # Several processes on one database (PostgreSQL): each show decides through
        # a SharedDesk, and a follower keeps every show current with the others.
        self.shared = getattr(store, "shared", False)
        self.follower = ChangeFollower(self, store) if self.shared else None
        self.shows: dict[str, ShowSales] = {}
        for show in store.shows():
            self.shows[show.id] = self._open(show)

    def _open(self, show: Show) -> ShowSales:
        inventory = self._load(show)
        board = SeatBoard(show.layout, inventory.state_codes(), inventory.version)
        hub = EventHub(board, self.store.recent_changes(show.id, self._replay_limit), self._replay_limit)
        sales = ShowSales(show, inventory, hub, self.committer, self.replies, self._rules)
        if self.shared:
            sales.desk = SharedDesk(sales, self.store, self.replies, self._rules, lambda: self._load(show))
        return sales

    def _load(self, show: Show):
        return self.store.load_inventory(show, self.policy, self._clock() - self._late_confirm_seconds)

    def open_new_show(self, show_id: str) -> None:
        """A show another process created."""
        show = self.store.show(show_id)
        if show is not None and show_id not in self.shows:
            self.shows[show_id] = self._open(show)
            log.info("show %s, created by another process, is open here too", show_id)

    # -- finding things ---------------------------------------------------------------------

    def sales(self, show_id: str) -> ShowSales:
        sales = self.shows.get(show_id)
        if sales is None:
            raise UnknownShow(f"no show {show_id[:64]!r}" if is_show_id(show_id) else "no such show")
        return sales

    async def sales_for_booking(self, booking_id: str) -> ShowSales:
        for sales in self.shows.values():
            if booking_id in sales.inventory.bookings:
                return sales
        found = await self._made_elsewhere("bookings", booking_id)
        if found is not None and booking_id in found.inventory.bookings:
            return found
        await self.committer.barrier()  # "no such booking" may rest on a cancel not yet durable
        raise UnknownBooking(f"no active booking {booking_id[:64]!r}")

    async def sales_for_hold(self, hold_id: str) -> ShowSales:
        for sales in self.shows.values():
            if sales.inventory.knows_hold(hold_id):
                return sales
        found = await self._made_elsewhere("holds", hold_id)
        if found is not None and found.inventory.knows_hold(hold_id):
            return found
        await self.committer.barrier()  # "no such hold" may rest on a confirm not yet durable
        raise UnknownHold(f"no hold {hold_id[:64]!r}")

    async def _made_elsewhere(self, table: str, record_id: str) -> ShowSales | None:
        """With several processes, a hold or booking another one just made: its
        show, caught up. None on one process, or when there is no such record."""
        if not self.shared or len(record_id) > 64:
            return None
        show_id = await asyncio.get_running_loop().run_in_executor(None, self.store.show_of, table, record_id)
        if show_id is None:
            return None
        if show_id not in self.shows:
            self.open_new_show(show_id)
        sales = self.shows.get(show_id)
        if sales is not None:
            await sales.desk.catch_up()
        return sales

    async def replay_for_hold(self, hold_id: str, token: str, body: object, key: str | None,
                              scope: str) -> Reply | None:
        """A keyed POST about a hold that this process no longer knows (it was
        confirmed or released since) may be a repeat: its stored answer, if any,
        to the same token only."""
        if key is None or any(s.inventory.knows_hold(hold_id) for s in self.shows.values()):
            return None
        earlier = self.replies.earlier(scope, key)
        return None if earlier is None else await earlier.again(fingerprint(body), hash_token(token))

    def open_holds_of(self, client: str, now: float) -> list[float]:
        """When each of this client's open holds expires, across every show."""
        return [at for sales in self.shows.values() for at in sales.inventory.open_holds_of(client, now)]

    def streams_open(self) -> int:
        return sum(sales.hub.subscriber_count for sales in self.shows.values())

    # -- shows ----------------------------------------------------------------------------

    async def create_show(self, body: object, key: str | None, scope: str) -> Reply:
        """`POST /shows`: the show exists (and is listed) once it is durable."""
        show = parse_show(body)
        body_print = fingerprint(body) if key is not None else ""
        async with self._creating:
            refused = self.refusing()
            if refused is not None:
                raise refused
            earlier = self.replies.earlier(scope, key) if key is not None else None
            if earlier is not None:
                return await earlier.again(body_print)
            if show.id in self.shows:
                raise ShowExists(f"a show with id {show.id!r} exists already")
            reply = contract_json.show_created(show)
            records: list = [NewShow(show)]
            if key is not None:
                stored = StoredReply(scope, key, body_print, reply.status, reply.body)
                records.append(stored)
            durable = self.committer.submit(records)
            if key is not None:
                self.replies.remember(stored, reply, durable)
            await durable
            self.shows[show.id] = self._open(show)
            log.info("new show %s: %d seats", show.id, show.layout.total)
        return reply

    # -- the broadcast ------------------------------------------------------------------------

    def broadcast(self, change: Change) -> None:
        """A change is durable: its show's board and streams get it (commit order)."""
        self.shows[change.show].hub.publish(change)

    # -- time ----------------------------------------------------------------------------

    def sweep(self) -> None:
        """Expire every hold whose time is up, in every show (called a few times a
        second); each show decides under its own lock."""
        now = self._clock()
        for sales in self.shows.values():
            due = sales.inventory.next_expiry()
            if due is not None and due <= now:
                asyncio.get_running_loop().create_task(sales.expire_due())

    def forget_old_expired_holds(self) -> None:
        before = self._clock() - self._late_confirm_seconds
        for sales in self.shows.values():
            sales.inventory.forget_expired(before)

    # -- failure and shutdown ---------------------------------------------------------------

    def refusing(self) -> Exception | None:
        """Why no decision can be taken now (shutting down, storage down), or None."""
        if self.closing:
            return ShuttingDown()
        if self.storage_error is not None:
            return StorageDown(self.storage_error)
        if self.follower is not None and self.follower.database_error is not None:
            return StorageDown(self.follower.database_error)
        return None

    def storage_failed(self, error: BaseException) -> None:
        """The committer's failure callback: refuse decisions at once, then recover."""
        self.storage_error = str(error) or type(error).__name__
        asyncio.get_running_loop().create_task(self.reload_after_storage_failure())

    async def reload_after_storage_failure(self) -> None:
        """A commit failed, and with it every decision built on it; whether its
        writes reached the disk is unknown. As PostgreSQL does since "fsyncgate",
        never retry on the same file handles and carry on: refuse decisions, reopen
        the store, reload every show from what is on disk, then decide again. A
        database that is gone or was replaced keeps the server refusing (and
        /healthz failing) until an operator restarts it."""
        self.replies.forget_all()
        try:
            self.store.reopen()
        except StorageUnavailable as lost:
            self.storage_error = str(lost)
            log.error("storage lost: %s; refusing every change until restarted", lost)
            return
        expired_since = self._clock() - self._late_confirm_seconds
        for sales in list(self.shows.values()):
            await sales.reload(lambda s=sales: self.store.load_inventory(s.show, self.policy, expired_since))
            # The failed batch may have reached the disk after all: then its changes
            # are announced now, from the change log, like any committed change.
            behind = sales.inventory.version - sales.hub.board.version
            if behind > 0:
                for change in self.store.recent_changes(sales.show.id, behind):
                    sales.hub.publish(change)
        self.committer.reset()
        self.storage_error = None
        log.warning("storage reopened; every show reloaded from disk")

    async def close(self) -> None:
        """Refuse new decisions, then wait until every accepted one is durable."""
        self.closing = True
        for sales in self.shows.values():
            async with sales.lock:
                pass  # a decision already inside has queued its records
        await self.committer.drain()
