"""Group commit, on a real asyncio loop with an executor the test steps by hand.

`ManualExecutor` never runs anything by itself: a test waits for the committer
to hand it a batch (`next_job`), looks at the state while that batch is "on
disk", then lets it finish (`job.run()`). No threads, no sleeps.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from app.committer import GroupCommitter, StorageFailed
from booking.inventory import Change


class Job:
    def __init__(self, fn: Callable[..., object], args: tuple[object, ...]) -> None:
        self.fn, self.args = fn, args
        self.future: concurrent.futures.Future[object] = concurrent.futures.Future()

    def run(self) -> None:
        try:
            self.future.set_result(self.fn(*self.args))
        except Exception as error:
            self.future.set_exception(error)


class ManualExecutor(concurrent.futures.Executor):
    def __init__(self) -> None:
        self.jobs: asyncio.Queue[Job] = asyncio.Queue()

    def submit(self, fn, /, *args, **kwargs):
        job = Job(fn, args)
        self.jobs.put_nowait(job)
        return job.future

    async def next_job(self) -> Job:
        return await asyncio.wait_for(self.jobs.get(), timeout=5)


class Recorder:
    """The fake commit and callbacks, writing one shared timeline."""

    def __init__(self) -> None:
        self.timeline: list[tuple[str, object]] = []
        self.batches: list[list[str]] = []
        self.fail_next = False

    def commit(self, records) -> None:
        names = [record.name for record in records]
        if self.fail_next:
            self.fail_next = False
            self.timeline.append(("commit failed", names))
            raise OSError("disk full")
        self.batches.append(names)
        self.timeline.append(("committed", names))

    def on_committed(self, change: Change) -> None:
        self.timeline.append(("published", change.version))

    def on_failure(self, error: BaseException) -> None:
        self.timeline.append(("failure", type(error).__name__))


def change(version: int) -> Change:
    return Change("main", version, {f"A{version}": "booked"}, 100 - version)


@dataclass(frozen=True)
class Written:
    """A record to commit, named so the test can see which batch took it."""

    name: str
    change: Change | None


def written(name: str, version: int | None = None) -> Written:
    return Written(name, None if version is None else change(version))


def run(scenario: Callable[[], object]) -> None:
    """Runs a scenario on a fresh loop; a broken committer fails it instead of hanging."""
    asyncio.run(asyncio.wait_for(scenario(), timeout=10))


def committer_with(recorder: Recorder, executor: ManualExecutor) -> GroupCommitter:
    return GroupCommitter(recorder.commit, executor, recorder.on_committed, recorder.on_failure)


@pytest.mark.req("durability")
def test_writes_submitted_while_a_batch_is_in_flight_go_together_in_the_next_batch():
    async def scenario():
        # Arrange
        recorder, executor = Recorder(), ManualExecutor()
        committer = committer_with(recorder, executor)
        first = committer.submit([written("w1", 1)])
        first_job = await executor.next_job()

        # Act
        second = committer.submit([written("w2", 2)])
        third = committer.submit([written("w3", 3), written("w4", 4)])
        first_job.run()
        await first
        (await executor.next_job()).run()
        await second

        # Assert
        assert second is third
        assert recorder.batches == [["w1"], ["w2", "w3", "w4"]]
        assert (committer.batches, committer.largest_batch) == (2, 3)
        assert executor.jobs.empty()

    run(scenario)


@pytest.mark.req("durability")
def test_submit_resolves_only_after_its_batch_is_committed():
    async def scenario():
        # Arrange
        recorder, executor = Recorder(), ManualExecutor()
        committer = committer_with(recorder, executor)
        submitted = committer.submit([written("w1", 1)])

        # Act
        job = await executor.next_job()
        done_while_writing = submitted.done()
        job.run()
        await submitted

        # Assert
        assert done_while_writing is False
        assert recorder.timeline[0] == ("committed", ["w1"])

    run(scenario)


@pytest.mark.req("REQ-4")
@pytest.mark.req("versions")
def test_changes_are_published_in_order_after_their_commit_and_never_before():
    async def scenario():
        # Arrange
        recorder, executor = Recorder(), ManualExecutor()
        committer = committer_with(recorder, executor)
        first = committer.submit([written("w1", 1)])
        first_job = await executor.next_job()
        second = committer.submit([written("w2", 2), written("w3", 3)])

        # Act
        published_before_commit = list(recorder.timeline)
        first_job.run()
        await first
        second_job = await executor.next_job()
        published_while_second_in_flight = list(recorder.timeline)
        second_job.run()
        await second

        # Assert
        assert published_before_commit == []
        assert published_while_second_in_flight == [("committed", ["w1"]), ("published", 1)]
        assert recorder.timeline == [
            ("committed", ["w1"]), ("published", 1),
            ("committed", ["w2", "w3"]), ("published", 2), ("published", 3),
        ]

    run(scenario)


@pytest.mark.req("durability")
def test_a_failing_commit_fails_its_batch_the_queued_batch_and_every_submit_until_reset():
    async def scenario():
        # Arrange
        recorder, executor = Recorder(), ManualExecutor()
        committer = committer_with(recorder, executor)
        recorder.fail_next = True
        failing = committer.submit([written("w1", 1)])
        job = await executor.next_job()
        queued = committer.submit([written("w2", 2)])

        # Act
        job.run()
        outcomes = await asyncio.gather(failing, queued, return_exceptions=True)
        later = committer.submit([written("w3", 3)])
        barrier = committer.barrier()

        # Assert
        assert later.done() and barrier.done(), "refused at once, not queued"
        assert [type(outcome) for outcome in outcomes] == [StorageFailed, StorageFailed]
        assert "disk full" in str(outcomes[0])
        with pytest.raises(StorageFailed):
            await later
        with pytest.raises(StorageFailed):
            await barrier
        assert recorder.timeline == [("commit failed", ["w1"]), ("failure", "StorageFailed")]
        assert recorder.batches == []
        assert executor.jobs.empty()

    run(scenario)


@pytest.mark.req("durability")
def test_after_reset_writes_are_committed_again():
    async def scenario():
        # Arrange
        recorder, executor = Recorder(), ManualExecutor()
        committer = committer_with(recorder, executor)
        recorder.fail_next = True
        failing = committer.submit([written("lost", 1)])
        (await executor.next_job()).run()
        with pytest.raises(StorageFailed):
            await failing

        # Act
        committer.reset()
        retried = committer.submit([written("w1", 1)])
        (await executor.next_job()).run()
        await retried

        # Assert
        assert recorder.batches == [["w1"]]
        assert recorder.timeline[-1] == ("published", 1)

    run(scenario)


@pytest.mark.req("durability")
def test_barrier_waits_for_everything_queued_before_it():
    async def scenario():
        # Arrange
        recorder, executor = Recorder(), ManualExecutor()
        committer = committer_with(recorder, executor)
        idle_barrier = committer.barrier()
        in_flight = committer.submit([written("w1", 1)])
        first_job = await executor.next_job()
        during_first = committer.barrier()
        queued = committer.submit([written("w2", 2)])
        during_queue = committer.barrier()
        empty_submit = committer.submit([])

        # Act
        first_job.run()
        await during_first
        first_state = (in_flight.done(), queued.done(), during_queue.done())
        (await executor.next_job()).run()
        await during_queue

        # Assert
        assert idle_barrier.done()
        assert first_state == (True, False, False)
        assert empty_submit is queued
        assert recorder.batches == [["w1"], ["w2"]]

    run(scenario)


@pytest.mark.req("durability")
def test_drain_returns_once_everything_queued_is_durable_and_swallows_a_failure():
    async def scenario():
        # Arrange
        recorder, executor = Recorder(), ManualExecutor()
        committer = committer_with(recorder, executor)
        recorder.fail_next = True
        failing = committer.submit([written("w1", 1)])
        draining = asyncio.ensure_future(committer.drain())
        job = await executor.next_job()

        # Act
        job.run()
        await draining

        # Assert
        assert draining.exception() is None
        assert isinstance(failing.exception(), StorageFailed)

    run(scenario)
