"""Group commit: many decisions, one SQLite transaction, one fsync.

Decisions are made in memory under their show's lock, which then hands the
domain's results here and releases the lock without waiting for the disk. Writes queue up
while the previous batch is being committed on the writer thread; the next
batch takes all of them at once. Each caller awaits the future of its batch and
answers only once that batch is durable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor

from app.metrics import Metrics
from app.store import Record
from booking.inventory import Change

log = logging.getLogger("seats.commit")


class StorageFailed(Exception):
    """A batch could not be made durable; nothing in it was acknowledged."""


class GroupCommitter:
    def __init__(
        self,
        commit: Callable[[Sequence[Record]], None],
        executor: Executor,
        on_committed: Callable[[Change], None],
        on_failure: Callable[[BaseException], None],
        metrics: Metrics | None = None,
    ) -> None:
        self._commit = commit
        self._executor = executor
        self._on_committed = on_committed
        self._on_failure = on_failure
        self._metrics = metrics
        self._records: list[Record] = []
        self._next: asyncio.Future[None] | None = None  # the batch being filled
        self._in_flight: asyncio.Future[None] | None = None  # the batch being written
        self._broken: BaseException | None = None
        self.batches = 0
        self.largest_batch = 0

    def submit(self, records: Sequence[Record]) -> asyncio.Future[None]:
        """Queue records (call this under the show's lock, in decision order).
        The future resolves once they, and everything queued before, are durable;
        then each record's change, if it has one, goes to `on_committed`."""
        if self._broken is not None:
            return _failed(self._broken)
        if not records:
            return self.barrier()
        self._records.extend(records)
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
            if self._in_flight is None:
                asyncio.get_running_loop().create_task(self._write_batches())
        return self._next

    def barrier(self) -> asyncio.Future[None]:
        """Resolves once everything queued so far is durable: a reply that depends on
        state decided earlier (a 409, say) waits for it, so nothing is answered from
        state that might still be lost."""
        if self._broken is not None:
            return _failed(self._broken)
        pending = self._next or self._in_flight
        if pending is not None:
            return pending
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    def reset(self) -> None:
        """Accept writes again, once the caller has reloaded its state from disk."""
        self._broken = None

    async def drain(self) -> None:
        """Wait until everything queued is durable (or has failed)."""
        with contextlib.suppress(StorageFailed):
            await self.barrier()

    async def _write_batches(self) -> None:
        loop = asyncio.get_running_loop()
        while self._next is not None:
            batch, self._in_flight, self._next = self._records, self._next, None
            self._records = []
            self.batches += 1
            self.largest_batch = max(self.largest_batch, len(batch))
            try:
                started = time.perf_counter()
                await loop.run_in_executor(self._executor, self._commit, batch)
                if self._metrics is not None:
                    self._metrics.commit_seconds.observe(time.perf_counter() - started)
                    self._metrics.commit_batch_records.observe(len(batch))
            except Exception as error:
                log.exception("commit of %d writes failed", len(batch))
                self._fail_everything(error)
                return
            for record in batch:
                change = getattr(record, "change", None)
                if change is not None:
                    self._on_committed(change)
            self._in_flight.set_result(None)
            self._in_flight = None

    def _fail_everything(self, error: Exception) -> None:
        """Later batches were decided on top of the failed one: they fail too, and
        every submit fails until `reset`, so no decision builds on lost state."""
        failure = StorageFailed(str(error) or type(error).__name__)
        self._broken = failure
        for future in (self._in_flight, self._next):
            if future is not None and not future.done():
                future.set_exception(failure)
        self._in_flight = self._next = None
        self._records = []
        self._on_failure(failure)


def _failed(error: BaseException) -> asyncio.Future[None]:
    future = asyncio.get_running_loop().create_future()
    future.set_exception(error)
    return future
