"""Fan-out of one show's committed changes to every open event stream of that show."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from app.contract_json import seats_event_data
from app.event_log import EventLog
from app.event_stream import Piece
from app.seat_board import SeatBoard
from app.sse import PING, encode_event, encode_retry
from booking.inventory import Change

MAX_ID_DIGITS = 20


PING_PIECE = Piece(PING)


class Subscriber(Protocol):
    def advance(self) -> bool:
        """The log has new events: send what can be sent without waiting. False
        means the client is gone or too far behind and was cut off: the hub
        forgets it."""

    def ping(self, piece: Piece) -> bool:
        """A heartbeat (sent only when the stream has nothing else to send)."""

    def end(self) -> None:
        """End the stream cleanly (server shutting down)."""


class Opening:
    """What a new stream starts with, and the version it then follows the log from."""

    __slots__ = ("cursor", "pieces")

    def __init__(self, pieces: list[Piece], cursor: int) -> None:
        self.pieces, self.cursor = pieces, cursor


def encode_change(change: Change) -> bytes:
    return encode_event(seats_event_data(change), "seats", str(change.version))


class EventHub:
    """Each committed change is encoded once into the show's `EventLog`, and every
    stream is told to advance: each sends it (and anything before it that it has
    not sent) without waiting, so a slow reader never delays the others. The log
    keeps the last `replay_limit` events, so a reconnecting client can resume."""

    def __init__(
        self, board: SeatBoard, history: Iterable[Change] = (), replay_limit: int = 10_000, retry_ms: int = 2_000
    ) -> None:
        self.board = board
        self._retry = Piece(encode_retry(retry_ms))
        self._subscribers: set[Subscriber] = set()
        self.log = EventLog(replay_limit, ((change.version, Piece(encode_change(change))) for change in history))

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def opening(self, last_event_id: str | None, compact: bool = False,
                max_replay_bytes: int | None = None) -> Opening:
        """What a new stream starts with: `retry:`, then the missed events if we still
        have them all and they come to at most `max_replay_bytes` (a stream's
        backlog), else a snapshot (Part 2's compact one for `/shows/{show}/events`,
        Part 1's verbose one for `/events`). The missed events are not copied: the
        stream follows the log from `cursor`. Open the stream with it, then `add`
        it, with no await in between, so no event falls in the gap. The pieces are
        the hub's own: thousands of streams opening at one version share one
        snapshot in memory."""
        after = self._resumable_after(last_event_id)
        if (after is not None and max_replay_bytes is not None
                and self.log.bytes_after(after) > max_replay_bytes):
            after = None
        if after is not None:
            return Opening([self._retry], after)
        return Opening([self._retry, self.board.snapshot_piece(compact)], self.board.version)

    def add(self, subscriber: Subscriber) -> None:
        self._subscribers.add(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    def publish(self, change: Change) -> None:
        """A change is durable: the board takes it, then every stream, in version order."""
        self.board.apply(change)
        self.log.append(change.version, Piece(encode_change(change)))
        lost = [subscriber for subscriber in self._subscribers if not subscriber.advance()]
        for subscriber in lost:
            self._subscribers.discard(subscriber)

    def ping(self) -> None:
        lost = [subscriber for subscriber in self._subscribers if not subscriber.ping(PING_PIECE)]
        for subscriber in lost:
            self._subscribers.discard(subscriber)

    def end_all(self) -> None:
        subscribers, self._subscribers = self._subscribers, set()
        for subscriber in subscribers:
            subscriber.end()

    def events_after(self, last_event_id: str | None) -> list[Piece] | None:
        """The events after `last_event_id`, or None when a snapshot is needed."""
        after = self._resumable_after(last_event_id)
        return None if after is None else self.log.pieces_after(after)

    def _resumable_after(self, last_event_id: str | None) -> int | None:
        """The version a stream can resume after, or None when a snapshot is needed
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
        if after == current or self.log.covers(after):
            return after
        return None
