"""Deciding for a show that several server processes sell at once (PostgreSQL).

`SharedDesk` takes the place of the group commit for one show: requests queue
while a transaction is in flight, and the next transaction takes them all. It
holds the show's row lock, first applies what other processes committed since
this process last looked (the change log carries each whole decision), then
decides every queued request with the same pure core, writes, bumps the version
and commits; only then are the answers given and the changes announced.

`ChangeFollower` keeps every show of this process current between its own
decisions: it LISTENs for the other processes' wake-ups and, once a second and
after any reconnection, compares versions with the database, so a lost
notification costs at most a second.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.committer import StorageFailed
from app.contract_json import Reply
from app.keyed_replies import KeyedReplies, KeyedReply
from app.postgres_store import CommitUnknown, DatabaseDown, LockTimeout, PostgresStore
from app.show_sales import SalesRules, TooManyHolds
from app.store import Record, StoredReply
from booking.errors import BookingError
from booking.inventory import Inventory

if TYPE_CHECKING:
    from app.box_office import BoxOffice
    from app.show_sales import Decision, ShowSales

log = logging.getLogger("seats.shared")

POLL_SECONDS = 1.0
RECONNECT_SECONDS = 0.5


class Busy(Exception):
    """Another process held the show's lock too long: try again shortly (503)."""


class DatabaseUnavailable(Exception):
    """PostgreSQL could not be reached: nothing was decided (503)."""


@dataclass
class Pending:
    decide: Decision | None  # None: only the expiries that are due
    body_print: str = ""
    key: str | None = None
    scope: str = ""
    owner: str = ""
    arrived: float = field(default_factory=time.perf_counter)
    answer: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class SharedDesk:
    def __init__(self, sales: ShowSales, store: PostgresStore, replies: KeyedReplies, rules: SalesRules,
                 reload: Callable[[], Inventory]) -> None:
        self._sales = sales
        self._store = store
        self._replies = replies
        self._rules = rules
        self._reload = reload
        self._queue: list[Pending] = []
        self._running = False
        self._stale = False  # the inventory holds decisions a failed transaction did not keep
        self._wanted = 0  # the highest version another process told us it committed
        self._catching_up = False

    async def decide(self, decide: Decision | None, body_print: str = "", key: str | None = None,
                     scope: str = "", owner: str = "") -> Reply | None:
        if key is not None:
            # Only this process's recent replies here: the database is asked under
            # the show's lock, for the whole batch at once.
            earlier = self._replies.recent(scope, key)
            if earlier is not None:
                return await earlier.again(body_print, owner)
        pending = Pending(decide, body_print, key, scope, owner)
        self._queue.append(pending)
        if not self._running:
            self._running = True
            asyncio.get_running_loop().create_task(self._run())
        return await pending.answer

    def woken(self, version: int) -> None:
        """Another process committed `version`. One catch-up at a time, however
        many wake-ups arrive meanwhile: a burst of them costs one query each time
        the lock comes free, not one each."""
        self._wanted = max(self._wanted, version)
        if not self._catching_up:
            self._catching_up = True
            asyncio.get_running_loop().create_task(self._follow())

    async def _follow(self) -> None:
        try:
            while self._sales.inventory.version < self._wanted:
                before = self._sales.inventory.version
                async with self._sales.lock:
                    if self._sales.inventory.version < self._wanted:  # a batch may have caught up meanwhile
                        await self._catch_up_unlocked()
                if self._sales.inventory.version == before:
                    break  # nothing readable yet (or the database is down): the poll retries
        except DatabaseDown as error:
            log.warning("show %s: catching up: %s", self._sales.show.id, error)
        finally:
            self._catching_up = False

    async def catch_up(self) -> None:
        """Apply and announce what other processes committed (no row lock needed:
        committed changes only grow, in version order)."""
        async with self._sales.lock:
            await self._catch_up_unlocked()

    async def _catch_up_unlocked(self) -> None:
        sales = self._sales
        if self._stale:
            self._reset()
        for result in await self._store.results_after(sales.show.id, sales.inventory.version):
            if result.change is not None and result.change.version == sales.inventory.version + 1:
                sales.inventory.apply(result)
                sales.hub.publish(result.change)

    async def _run(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                async with self._sales.lock:
                    await self._decide_batch(batch)
        finally:
            self._running = False

    async def _decide_batch(self, batch: list[Pending]) -> None:
        refused = self._rules.refusing()
        if refused is not None:
            for pending in batch:
                _fail(pending, refused)
            return
        sales = self._sales
        answers: list[tuple[Pending, object]] = []
        records: list[Record] = []
        keys = list({(p.scope, p.key) for p in batch if p.key is not None and p.decide is not None})
        metrics = self._rules.metrics
        started = time.perf_counter()
        try:
            if self._stale:
                self._reset()
            async with self._store.locked(sales.show.id, sales.inventory.version, keys) as transaction:
                for result in transaction.missed:
                    sales.inventory.apply(result)
                    sales.hub.publish(result.change)
                now = self._rules.clock()
                expired = sales.inventory.expire_due(now)
                records.extend(expired)
                decided: dict[tuple[str, str], StoredReply] = dict(transaction.replies)
                for pending in batch:
                    answers.append((pending, await self._one(decided, pending, now, records)))
                transaction.write(records, sales.inventory.version)
        except (DatabaseDown, LockTimeout) as error:
            # The decisions above were made in memory; reload from what the database kept.
            self._stale = True
            failure: Exception
            if isinstance(error, LockTimeout):
                failure = Busy(str(error))
            elif isinstance(error, CommitUnknown):  # the answer is "unknown": a keyed retry tells which
                failure = StorageFailed(str(error))
            else:  # rolled back: nothing was changed
                failure = DatabaseUnavailable(str(error))
            log.warning("show %s: %s", sales.show.id, error)
            if metrics is not None and not isinstance(error, LockTimeout):
                metrics.storage_failures.value += 1
            for pending in batch:
                _fail(pending, failure)
            return
        if metrics is not None and records:
            # On PostgreSQL "the commit" is the whole transaction, its row lock
            # included; one that wrote nothing (only refusals or replays) is not one.
            metrics.commit_seconds.observe(time.perf_counter() - started)
            metrics.commit_batch_records.observe(len(records))
            if expired:
                metrics.expiries.inc((sales.show.id,), len(expired))
        for record in records:
            change = getattr(record, "change", None)
            if change is not None:
                sales.hub.publish(change)
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        for pending, answer in answers:
            if isinstance(answer, BaseException):
                _fail(pending, answer)
            elif isinstance(answer, tuple):  # (reply, stored reply)
                reply, stored = answer
                if stored is not None:
                    self._replies.remember(stored, reply, done)
                pending.answer.set_result(reply)
            else:  # an earlier answer to this key
                pending.answer.set_result(answer)

    async def _one(self, decided: dict[tuple[str, str], StoredReply], pending: Pending, now: float,
                   records: list[Record]) -> object:
        """One request inside the locked transaction: an earlier answer to its key
        (stored by any process, or given earlier in this batch), a new answer (and
        its records), or a refusal."""
        if pending.decide is None:
            return (None, None)
        if pending.key is not None:
            earlier = decided.get((pending.scope, pending.key))
            if earlier is not None:
                try:
                    done = asyncio.get_running_loop().create_future()
                    done.set_result(None)
                    entry = KeyedReply(earlier.fingerprint, Reply(earlier.status, earlier.body), done, earlier.owner)
                    return await entry.again(pending.body_print, pending.owner)
                except Exception as error:  # 403 or 422, as on one process
                    return error
        try:
            reply, new_records = pending.decide(now)
        except (BookingError, TooManyHolds) as error:
            return error
        finally:
            if self._rules.metrics is not None:
                self._rules.metrics.decision_seconds.observe(time.perf_counter() - pending.arrived)
        stored = None
        if pending.key is not None:
            stored = StoredReply(pending.scope, pending.key, pending.body_print, reply.status, reply.body,
                                 pending.owner)
            new_records.append(stored)
            decided[(pending.scope, pending.key)] = stored
        records.extend(new_records)
        return (reply, stored)

    def _reset(self) -> None:
        """Back to what the database holds, after a transaction that did not commit."""
        self._sales.inventory = self._reload()
        self._stale = False


def _fail(pending: Pending, error: BaseException) -> None:
    if not pending.answer.done():
        pending.answer.set_exception(error)


class ChangeFollower:
    """Keeps this process's shows current with what the other processes commit."""

    def __init__(self, box_office: BoxOffice, store: PostgresStore) -> None:
        self._box_office = box_office
        self._store = store
        self._tasks: list[asyncio.Task] = []
        self.database_error: str | None = None

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._listen()), loop.create_task(self._poll())]

    def stop(self) -> None:
        for task in self._tasks:
            task.cancel()

    async def _listen(self) -> None:
        while True:
            try:
                async for payload in self._store.listen():
                    self._woken(payload)
            except DatabaseDown as error:
                log.warning("listening for changes: %s; reconnecting", error)
            await asyncio.sleep(RECONNECT_SECONDS)
            await self.check()  # what was missed while not listening

    def _woken(self, payload: str) -> None:
        show_id, _, version = payload.partition(" ")
        sales = self._box_office.shows.get(show_id)
        if sales is None or not version.isdigit():
            asyncio.get_running_loop().create_task(self.check())  # a new show, or a wake-up to check
            return
        if int(version) > sales.inventory.version:
            sales.desk.woken(int(version))

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            await self.check()

    async def check(self) -> None:
        """Compare every show's version with the database; catch up, or open new
        shows. Reports the database unreachable (health) while it is."""
        try:
            versions = await asyncio.get_running_loop().run_in_executor(None, self._store.versions)
        except Exception as error:  # psycopg errors, or a closed connection
            self.database_error = f"database unreachable: {error}"
            await asyncio.get_running_loop().run_in_executor(None, self._reconnect)
            return
        self.database_error = None
        for show_id, version in versions.items():
            sales = self._box_office.shows.get(show_id)
            if sales is None:
                self._box_office.open_new_show(show_id)
            elif version > sales.inventory.version:
                await sales.desk.catch_up()

    def _reconnect(self) -> None:
        try:
            self._store.reopen()
        except Exception as error:  # still down
            log.debug("database still unreachable: %s", error)
