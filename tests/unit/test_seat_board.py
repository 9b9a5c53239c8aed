"""The committed picture of a show that snapshots show: Part 1's verbose form and
Part 2's compact one, each built once per version."""

from __future__ import annotations

import gzip
import json

import pytest

from app.seat_board import SeatBoard
from app.sse import encode_event
from booking.inventory import Change
from booking.layout import Layout


def empty_board(seats: int = 3, row_size: int = 2) -> SeatBoard:
    layout = Layout.grid(seats, row_size)
    return SeatBoard(layout, b"f" * layout.total, 0)


@pytest.mark.req("versions")
def test_verbose_snapshot_lists_every_seat_in_layout_order_with_version_total_and_available():
    # Arrange
    board = SeatBoard(Layout.grid(3, 2), b"fbh", 7)

    # Act
    snapshot = json.loads(board.snapshot_json(compact=False))

    # Assert
    assert snapshot == {
        "version": 7,
        "total": 3,
        "available": 1,
        "seats": [
            {"id": "A1", "row": "A", "number": 1, "state": "free"},
            {"id": "A2", "row": "A", "number": 2, "state": "booked"},
            {"id": "B1", "row": "B", "number": 1, "state": "held"},
        ],
    }


@pytest.mark.req("compact-snapshot")
def test_compact_snapshot_is_one_letter_a_seat_row_by_row():
    # Arrange
    board = SeatBoard(Layout.grid(5, 3), b"fbhff", 4)

    # Act
    body = board.snapshot_json(compact=True)

    # Assert
    assert body == b'{"version":4,"total":5,"available":3,"rows":{"A":"fbh","B":"ff"}}'


@pytest.mark.req("versions")
def test_applying_a_committed_change_updates_seats_version_and_available():
    # Arrange
    board = empty_board()
    board.snapshot_json(compact=False)  # cached at version 0

    # Act
    board.apply(Change("main", 1, {"A2": "booked", "B1": "held"}, 1))
    board.apply(Change("main", 2, {"B1": "free"}, 2))

    # Assert
    snapshot = json.loads(board.snapshot_json(compact=False))
    assert (board.version, board.available) == (2, 2)
    assert (snapshot["version"], snapshot["available"]) == (2, 2)
    assert [seat["state"] for seat in snapshot["seats"]] == ["free", "booked", "free"]
    assert json.loads(board.snapshot_json(compact=True))["rows"] == {"A": "fb", "B": "f"}


@pytest.mark.req("sse-format")
@pytest.mark.parametrize("compact", [False, True])
def test_snapshot_event_is_the_snapshot_json_with_its_version_as_id(compact):
    # Arrange
    board = empty_board()
    board.apply(Change("main", 4, {"A1": "booked"}, 2))

    # Act
    event = board.snapshot_event(compact)

    # Assert
    assert event == encode_event(board.snapshot_json(compact).decode(), "snapshot", "4")


@pytest.mark.req("compact-snapshot")
def test_gzipped_snapshot_unzips_to_the_same_bytes():
    # Arrange
    board = empty_board(2_000, 50)

    # Act
    zipped = board.snapshot_gzip(compact=True)

    # Assert
    assert gzip.decompress(zipped) == board.snapshot_json(compact=True)
    assert len(zipped) < len(board.snapshot_json(compact=True)) / 10


@pytest.mark.req("REQ-4")
def test_snapshot_is_encoded_once_per_version_and_shared():
    # Arrange
    board = empty_board()
    first = board.snapshot_event(compact=False)

    # Act
    again = board.snapshot_event(compact=False)
    board.apply(Change("main", 1, {"A1": "booked"}, 2))
    after_change = board.snapshot_event(compact=False)

    # Assert
    assert again is first
    assert after_change != first
    assert b"id: 1\n" in after_change
