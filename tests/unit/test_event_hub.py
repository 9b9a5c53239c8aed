"""Fan-out of committed changes to `/events` streams, and resume after `Last-Event-ID`."""

from __future__ import annotations

import json

import pytest

from app.event_hub import EventHub, encode_change
from app.event_stream import Piece
from app.seat_board import SeatBoard
from app.sse import PING, encode_retry
from booking.inventory import Change, Inventory, hash_token
from booking.layout import Layout
from booking.requests import BookRequest


class FakeSubscriber:
    """Follows a hub's log as a stream does and records what it would send;
    `accepting=False` plays a client that was cut off."""

    def __init__(self, accepting: bool = True) -> None:
        self.accepting = accepting
        self.received: list[bytes] = []
        self.pieces: list[Piece] = []
        self.ended = False
        self.log = None
        self.cursor = 0

    def following(self, hub: EventHub) -> FakeSubscriber:
        self.log, self.cursor = hub.log, hub.board.version
        return self

    def advance(self) -> bool:
        if not self.accepting:
            return False
        while (piece := self.log.next_after(self.cursor)) is not None:
            self.cursor += 1
            self.received.append(piece.data)
            self.pieces.append(piece)
        return True

    def ping(self, piece: Piece) -> bool:
        if self.accepting:
            self.received.append(piece.data)
        return self.accepting

    def end(self) -> None:
        self.ended = True


def data_of(pieces: list[Piece] | None) -> list[bytes] | None:
    return None if pieces is None else [piece.data for piece in pieces]


def opened_with(hub: EventHub, last_event_id: str | None, **options) -> list[bytes]:
    """What a new stream sends first: its opening pieces, then the log from its cursor."""
    opening = hub.opening(last_event_id, **options)
    return [piece.data for piece in opening.pieces] + [piece.data for piece in hub.log.pieces_after(opening.cursor)]


def committed_changes(count: int) -> tuple[Layout, list[Change]]:
    """`count` real one-seat bookings, versions 1..count."""
    venue = Layout.grid(20, 5)
    inventory = Inventory("main", venue)
    changes = [inventory.book(BookRequest(1), f"b{n}", hash_token("t"), lambda n=n: f"R{n}").change
               for n in range(count)]
    return venue, changes


def hub_at(version: int, replay_limit: int = 100) -> tuple[EventHub, list[Change]]:
    """A hub whose board and history are at `version`, as after a restart."""
    venue, changes = committed_changes(version)
    board = SeatBoard(venue, b"f" * venue.total, 0)
    for change in changes:
        board.apply(change)
    return EventHub(board, history=changes, replay_limit=replay_limit), changes


def commit(hub: EventHub, change: Change) -> None:
    """What the broadcast does once a batch is durable (the hub updates its board
    first, then the streams)."""
    hub.publish(change)


@pytest.mark.req("sse-format")
def test_seats_event_carries_version_available_and_changed_seats_with_the_version_as_id():
    # Arrange
    change = Change("main", 8, {"A5": "booked"}, 92)

    # Act
    event = encode_change(change)

    # Assert
    assert event == b'event: seats\nid: 8\ndata: {"version":8,"available":92,"changed":{"A5":"booked"}}\n\n'


@pytest.mark.req("resume")
@pytest.mark.parametrize("last_event_id", [None, "", "abc", "-1", "1.5", " 3", "3 ", "+3", "٣", "0x3", "11", "999"])
def test_new_stream_without_a_usable_last_event_id_opens_with_retry_then_a_snapshot(last_event_id):
    # Arrange
    hub, _ = hub_at(10)

    # Act
    opening = opened_with(hub, last_event_id)

    # Assert
    assert opening == [encode_retry(2000), hub.board.snapshot_event(compact=False)]
    assert opening[1].startswith(b"event: snapshot\nid: 10\ndata: ")


@pytest.mark.req("resume")
@pytest.mark.parametrize(("last_event_id", "replayed"), [("7", [8, 9, 10]), ("0", list(range(1, 11))),
                                                         ("007", [8, 9, 10]), ("9", [10]), ("10", [])])
def test_stream_resuming_after_a_version_the_log_covers_gets_exactly_the_later_events_in_order(
    last_event_id, replayed
):
    # Arrange
    hub, changes = hub_at(10)

    # Act
    opening = opened_with(hub, last_event_id)

    # Assert
    assert opening == [encode_retry(2000), *(encode_change(changes[v - 1]) for v in replayed)]


@pytest.mark.req("resume")
@pytest.mark.parametrize(("last_event_id", "expected"), [("5", None), ("6", [7, 8, 9, 10]), ("10", [])])
def test_stream_further_behind_than_the_replay_log_needs_a_snapshot(last_event_id, expected):
    # Arrange: only versions 7..10 are still in the log
    hub, changes = hub_at(10, replay_limit=4)

    # Act
    missed = data_of(hub.events_after(last_event_id))

    # Assert
    assert missed == (None if expected is None else [encode_change(changes[v - 1]) for v in expected])


@pytest.mark.req("resume")
def test_events_published_since_start_are_replayed_on_resume():
    # Arrange
    venue = Layout.grid(4, 4)
    hub = EventHub(SeatBoard(venue, b"f" * 4, 0))
    changes = [Change("main", 1, {"A2": "booked"}, 3), Change("main", 2, {"A3": "booked"}, 2),
               Change("main", 3, {"A2": "free"}, 3)]
    for change in changes:
        commit(hub, change)

    # Act
    missed = data_of(hub.events_after("1"))

    # Assert
    assert missed == [encode_change(changes[1]), encode_change(changes[2])]


@pytest.mark.req("resume")
def test_resume_with_an_empty_log_behind_the_board_needs_a_snapshot():
    # Arrange: restarted at version 5 with no history kept
    venue, changes = committed_changes(5)
    board = SeatBoard(venue, b"f" * venue.total, 0)
    for change in changes:
        board.apply(change)
    hub = EventHub(board)

    # Act
    missed = data_of(hub.events_after("3"))

    # Assert
    assert missed is None


@pytest.mark.req("resume")
@pytest.mark.req("bad-input")
def test_absurdly_long_numeric_last_event_id_needs_a_snapshot_instead_of_failing():
    # Arrange
    hub, _ = hub_at(3)

    # Act
    missed = data_of(hub.events_after("1" * 5000))

    # Assert
    assert missed is None


@pytest.mark.req("REQ-4")
def test_publish_encodes_once_and_queues_the_same_piece_on_every_subscriber():
    # Arrange
    hub, _ = hub_at(0)
    subscribers = [FakeSubscriber() for _ in range(3)]
    for subscriber in subscribers:
        hub.add(subscriber.following(hub))
    change = Change("main", 1, {"A3": "booked"}, 19)

    # Act
    commit(hub, change)

    # Assert
    first = subscribers[0].pieces[0]
    assert first.data == encode_change(change)
    assert all(len(s.pieces) == 1 and s.pieces[0] is first for s in subscribers)


@pytest.mark.req("REQ-4")
def test_every_subscriber_receives_every_change_in_version_order():
    # Arrange
    hub, _ = hub_at(0)
    subscribers = [FakeSubscriber() for _ in range(3)]
    for subscriber in subscribers:
        hub.add(subscriber.following(hub))
    _, changes = committed_changes(4)

    # Act
    for change in changes:
        commit(hub, change)

    # Assert
    expected = [encode_change(change) for change in changes]
    assert [s.received for s in subscribers] == [expected] * 3


@pytest.mark.req("stalled-reader")
def test_subscriber_that_refuses_a_send_is_forgotten_while_the_others_keep_receiving():
    # Arrange
    hub, _ = hub_at(0)
    stalled, healthy = FakeSubscriber(), FakeSubscriber()
    hub.add(stalled.following(hub))
    hub.add(healthy.following(hub))
    _, changes = committed_changes(3)
    commit(hub, changes[0])
    stalled.accepting = False

    # Act
    commit(hub, changes[1])
    stalled.accepting = True  # it would take more, but it has been cut off
    commit(hub, changes[2])

    # Assert
    assert hub.subscriber_count == 1
    assert stalled.received == [encode_change(changes[0])]
    assert healthy.received == [encode_change(change) for change in changes]


@pytest.mark.req("stalled-reader")
def test_unsubscribed_stream_receives_nothing_more():
    # Arrange
    hub, _ = hub_at(0)
    gone, staying = FakeSubscriber(), FakeSubscriber()
    hub.add(gone.following(hub))
    hub.add(staying.following(hub))

    # Act
    hub.unsubscribe(gone)
    hub.unsubscribe(gone)  # twice is harmless
    commit(hub, Change("main", 1, {"A1": "booked"}, 19))

    # Assert
    assert (gone.received, len(staying.received), hub.subscriber_count) == ([], 1, 1)


@pytest.mark.req("sse-format")
def test_ping_goes_to_every_subscriber_and_drops_the_ones_that_are_gone():
    # Arrange
    hub, _ = hub_at(0)
    alive, dead = FakeSubscriber(), FakeSubscriber(accepting=False)
    hub.add(alive.following(hub))
    hub.add(dead.following(hub))

    # Act
    hub.ping()

    # Assert
    assert alive.received == [PING]
    assert hub.subscriber_count == 1


@pytest.mark.req("REQ-3")
def test_end_all_ends_every_stream_and_forgets_them():
    # Arrange
    hub, _ = hub_at(0)
    subscribers = [FakeSubscriber() for _ in range(3)]
    for subscriber in subscribers:
        hub.add(subscriber.following(hub))

    # Act
    hub.end_all()
    commit(hub, Change("main", 1, {"A1": "booked"}, 19))

    # Assert
    assert all(s.ended and s.received == [] for s in subscribers)
    assert hub.subscriber_count == 0


@pytest.mark.req("resume")
def test_snapshot_in_the_opening_shows_the_committed_state_at_the_boards_version():
    # Arrange
    hub, _ = hub_at(2)

    # Act
    snapshot = hub.opening(None).pieces[1].data

    # Assert
    data = json.loads(snapshot.split(b"data: ", 1)[1])
    assert (data["version"], data["available"], data["total"]) == (2, 18, 20)
    assert sorted(seat["id"] for seat in data["seats"] if seat["state"] == "booked") == ["A2", "A3"]


@pytest.mark.req("REQ-4")
def test_publishing_a_change_moves_the_board_before_any_stream_hears_of_it():
    # Arrange
    hub, _ = hub_at(0)
    seen_by_stream: list[int] = []

    class BoardWatcher(FakeSubscriber):
        def advance(self) -> bool:
            seen_by_stream.append(hub.board.version)
            return super().advance()

    hub.add(BoardWatcher().following(hub))

    # Act
    hub.publish(Change("main", 1, {"A1": "booked"}, 19))

    # Assert
    assert seen_by_stream == [1]
    assert (hub.board.version, hub.board.available) == (1, 19)


@pytest.mark.req("compact-snapshot")
def test_a_part_2_stream_opens_with_the_compact_snapshot_and_part_1_with_the_verbose_one():
    # Arrange
    hub, _ = hub_at(2)

    # Act
    compact = hub.opening(None, compact=True).pieces[1].data
    verbose = hub.opening(None, compact=False).pieces[1].data

    # Assert
    assert b'"rows":{"A":"fbbff"' in compact
    assert b'"seats":[{"id":"A1","row":"A","number":1,"state":"free"}' in verbose


@pytest.mark.req("stalled-reader")
@pytest.mark.req("resume")
def test_a_replay_larger_than_a_streams_backlog_is_a_snapshot_instead():
    # Arrange: 10 events after version 0, about 70 bytes each
    hub, changes = hub_at(10)
    replay_bytes = sum(len(encode_change(change)) for change in changes)

    # Act
    fits = opened_with(hub, "0", max_replay_bytes=replay_bytes)
    too_big = opened_with(hub, "0", max_replay_bytes=replay_bytes - 1)

    # Assert
    assert fits[1:] == [encode_change(change) for change in changes]
    assert too_big[1:] == [hub.board.snapshot_event(compact=False)]


@pytest.mark.req("stalled-reader")
def test_a_resuming_stream_gets_a_cursor_into_the_log_not_a_copy_of_it():
    # Arrange
    hub, _ = hub_at(5)

    # Act
    first, second = hub.opening("2"), hub.opening("2")

    # Assert: the opening is just `retry:`; the replay is the log's own pieces
    assert (first.cursor, second.cursor) == (2, 2)
    assert first.pieces[0] is second.pieces[0] and len(first.pieces) == 1
    assert all(a is b for a, b in zip(hub.log.pieces_after(2), hub.log.pieces_after(2), strict=True))
