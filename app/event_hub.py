"""Fan-out of one show's committed changes to every open event stream of that show."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from itertools import islice
from typing import Protocol

from app.contract_json import seats_event_data
from app.event_stream import Piece
from app.seat_board import SeatBoard
from app.sse import PING, encode_event, encode_retry
from booking.inventory import Change

MAX_ID_DIGITS = 20


PING_PIECE = Piece(PING)


class Subscriber(Protocol):
    def send(self, piece: Piece) -> bool:
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
        self._retry = Piece(encode_retry(retry_ms))
        self._subscribers: set[Subscriber] = set()
        self._log: deque[tuple[int, Piece]] = deque(
            ((change.version, Piece(encode_change(change))) for change in history), maxlen=replay_limit
        )

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def opening(self, last_event_id: str | None, compact: bool = False,
                max_replay_bytes: int | None = None) -> list[Piece]:
        """What a new stream starts with: `retry:`, then the missed events if we still
        have them all and they come to at most `max_replay_bytes` (a stream's
        backlog), else a snapshot (Part 2's compact one for `/shows/{show}/events`,
        Part 1's verbose one for `/events`), which is never larger than what a
        client far behind would otherwise be sent. Send it, then `add` the
        subscriber, with no await in between, so no event falls in the gap. The
        pieces are the hub's own, shared by every stream: thousands of streams
        opening at one version share one snapshot in memory."""
        missed = self.events_after(last_event_id)
        if (missed is not None and max_replay_bytes is not None
                and sum(len(piece.data) for piece in missed) > max_replay_bytes):
            missed = None
        return [self._retry, *(missed if missed is not None else [self.board.snapshot_piece(compact)])]

    def add(self, subscriber: Subscriber) -> None:
        self._subscribers.add(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    def publish(self, change: Change) -> None:
        """A change is durable: the board takes it, then every stream, in version order."""
        self.board.apply(change)
        event = Piece(encode_change(change))
        self._log.append((change.version, event))
        self._send_to_all(event)

    def ping(self) -> None:
        self._send_to_all(PING_PIECE)

    def end_all(self) -> None:
        subscribers, self._subscribers = self._subscribers, set()
        for subscriber in subscribers:
            subscriber.end()

    def events_after(self, last_event_id: str | None) -> list[Piece] | None:
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

    def _send_to_all(self, piece: Piece) -> None:
        lost = [subscriber for subscriber in self._subscribers if not subscriber.send(piece)]
        for subscriber in lost:
            self._subscribers.discard(subscriber)
