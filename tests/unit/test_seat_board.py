"""The committed picture of the venue that `GET /seats` and stream snapshots show."""

from __future__ import annotations

import json

import pytest

from app.seat_board import SeatBoard
from app.sse import encode_event
from booking.inventory import Change
from booking.venue import Venue


def empty_board(seats: int = 3, row_size: int = 2) -> SeatBoard:
    venue = Venue(seats, row_size)
    return SeatBoard(venue, ["free"] * venue.total, 0)


@pytest.mark.req("versions")
def test_snapshot_lists_every_seat_in_layout_order_with_version_total_and_available():
    # Arrange
    venue = Venue(3, 2)
    board = SeatBoard(venue, ["free", "booked", "free"], 7)

    # Act
    snapshot = json.loads(board.snapshot_json())

    # Assert
    assert snapshot == {
        "version": 7,
        "total": 3,
        "available": 2,
        "seats": [
            {"id": "A1", "row": "A", "number": 1, "state": "free"},
            {"id": "A2", "row": "A", "number": 2, "state": "booked"},
            {"id": "B1", "row": "B", "number": 1, "state": "free"},
        ],
    }


@pytest.mark.req("versions")
def test_applying_a_committed_change_updates_seats_version_and_available():
    # Arrange
    board = empty_board()
    board.snapshot_json()  # cached at version 0

    # Act
    board.apply(Change(1, {"A2": "booked", "B1": "booked"}, 1))
    board.apply(Change(2, {"B1": "free"}, 2))

    # Assert
    snapshot = json.loads(board.snapshot_json())
    assert (board.version, board.available) == (2, 2)
    assert (snapshot["version"], snapshot["available"]) == (2, 2)
    assert [seat["state"] for seat in snapshot["seats"]] == ["free", "booked", "free"]


@pytest.mark.req("sse-format")
def test_snapshot_event_is_the_snapshot_json_with_its_version_as_id():
    # Arrange
    board = empty_board()
    board.apply(Change(4, {"A1": "booked"}, 2))

    # Act
    event = board.snapshot_event()

    # Assert
    assert event == encode_event(board.snapshot_json(), "snapshot", "4")


@pytest.mark.req("REQ-4")
def test_snapshot_is_encoded_once_per_version_and_shared():
    # Arrange
    board = empty_board()
    first = board.snapshot_event()

    # Act
    again = board.snapshot_event()
    board.apply(Change(1, {"A1": "booked"}, 2))
    after_change = board.snapshot_event()

    # Assert
    assert again is first
    assert after_change != first
    assert b"id: 1\n" in after_change
