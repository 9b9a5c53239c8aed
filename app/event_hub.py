"""Fan-out of one show's committed changes to every open event stream of that show."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from itertools import islice
from typing import Protocol

from app.contract_json import seats_event_data
from app.seat_board import SeatBoard
from app.sse import PING, encode_event, encode_retry
from booking.inventory import Change

MAX_ID_DIGITS = 20


class Subscriber(Protocol):
    def send(self, data: bytes) -> bool:
        """Queue bytes for the client without waiting. False means the client is gone
        or has fallen too far behind and was cut off: the hub forgets it."""

    def end(self) -> None:
        """End the stream cleanly (server shutting down)."""


def encode_change(change: Change) -> bytes:
    return encode_event(seats_event_data(change), "seats", str(change.version))


class EventHub:
    """Each committed change is encoded once and the same bytes are queued on every
    stream; no stream is awaited, so a slow reader never delays the others. The last
    `replay_limit` events are kept so a reconnecting client can resume."""

    def __init__(
        self, board: SeatBoard, history: Iterable[Change] = (), replay_limit: int = 10_000, retry_ms: int = 2_000
    ) -> None:
        self.board = board
        self._retry = encode_retry(retry_ms)
        self._subscribers: set[Subscriber] = set()
        self._log: deque[tuple[int, bytes]] = deque(
            ((change.version, encode_change(change)) for change in history), maxlen=replay_limit
        )

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def opening(self, last_event_id: str | None, compact: bool = False) -> list[bytes]:
        """What a new stream starts with: `retry:`, then the missed events if we still
        have them all, else a snapshot (Part 2's compact one for `/shows/{show}/events`,
        Part 1's verbose one for `/events`). Send it, then `add` the subscriber, with no
        await in between, so no event falls in the gap. The pieces are the hub's
        own shared bytes objects, so thousands of streams opening at one version
        share one snapshot in memory."""
        missed = self.events_after(last_event_id)
        return [self._retry, *(missed if missed is not None else [self.board.snapshot_event(compact)])]

    def add(self, subscriber: Subscriber) -> None:
        self._subscribers.add(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    def publish(self, change: Change) -> None:
        """A change is durable: the board takes it, then every stream, in version order."""
        self.board.apply(change)
        event = encode_change(change)
        self._log.append((change.version, event))
        self._send_to_all(event)

    def ping(self) -> None:
        self._send_to_all(PING)

    def end_all(self) -> None:
        subscribers, self._subscribers = self._subscribers, set()
        for subscriber in subscribers:
            subscriber.end()

    def events_after(self, last_event_id: str | None) -> list[bytes] | None:
        """The events after `last_event_id`, or None when a snapshot is needed
        (no id, not a version number, newer than ours, or older than the log)."""
        # Twenty digits bound the id above any version we can reach and keep
        # int() away from its 4,300-digit limit on hostile headers.
        if (last_event_id is None or len(last_event_id) > MAX_ID_DIGITS
                or not last_event_id.isascii() or not last_event_id.isdigit()):
            return None
        after = int(last_event_id)
        current = self.board.version
        if after > current:
            return None
        if after == current:
            return []
        if not self._log or self._log[0][0] > after + 1:
            return None
        first = self._log[0][0]
        return [event for _, event in islice(self._log, after + 1 - first, None)]

    def _send_to_all(self, data: bytes) -> None:
        lost = [subscriber for subscriber in self._subscribers if not subscriber.send(data)]
        for subscriber in lost:
            self._subscribers.discard(subscriber)
