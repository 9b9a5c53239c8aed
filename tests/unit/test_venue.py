"""The venue layout (`--seats N --row-size R`) and its best-available order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking.venue import Venue, row_label


@pytest.mark.req("best-available")
@pytest.mark.parametrize(
    ("index", "label"),
    [(0, "A"), (1, "B"), (25, "Z"), (26, "AA"), (27, "AB"), (51, "AZ"), (52, "BA"), (701, "ZZ"), (702, "AAA")],
)
def test_rows_are_named_a_to_z_then_aa_ab_like_spreadsheet_columns(index, label):
    # Act
    name = row_label(index)

    # Assert
    assert name == label


@pytest.mark.req("best-available")
@pytest.mark.parametrize(
    ("seats", "row_size", "row_lengths", "last_ids"),
    [
        (100, 10, [10] * 10, ("J1", "J10")),
        (25, 10, [10, 10, 5], ("C1", "C5")),
        (1, 10, [1], ("A1", "A1")),
        (3, 1, [1, 1, 1], ("C1", "C1")),
        (28, 1, [1] * 28, ("AB1", "AB1")),
    ],
)
def test_layout_fills_rows_of_row_size_front_to_back_and_the_last_row_may_be_shorter(
    seats, row_size, row_lengths, last_ids
):
    # Act
    venue = Venue(seats, row_size)

    # Assert
    assert [len(row) for row in venue.rows] == row_lengths
    assert (venue.seats[venue.rows[-1][0]].id, venue.seats[-1].id) == last_ids
    assert venue.seats[0].id == "A1"


@pytest.mark.req("best-available")
def test_seat_records_carry_id_row_letter_and_number():
    # Arrange
    venue = Venue(25, 10)

    # Act
    seat = venue.seats[venue.index["B3"]]

    # Assert
    assert (seat.id, seat.row, seat.number, seat.row_index) == ("B3", "B", 3, 1)


@pytest.mark.req("best-available")
@pytest.mark.parametrize(
    ("seats", "row_size", "best_first"),
    [
        # Even row: middle is between 5 and 6; left before right on a tie.
        (10, 10, ["A5", "A6", "A4", "A7", "A3", "A8", "A2", "A9", "A1", "A10"]),
        # Odd row: the middle seat first.
        (5, 5, ["A3", "A2", "A4", "A1", "A5"]),
        # Front row always before the row behind, however central.
        (6, 3, ["A2", "A1", "A3", "B2", "B1", "B3"]),
        # A short last row is centred on itself, not on the full rows' middle.
        (13, 5, ["A3", "A2", "A4", "A1", "A5", "B3", "B2", "B4", "B1", "B5", "C2", "C1", "C3"]),
        (12, 5, ["A3", "A2", "A4", "A1", "A5", "B3", "B2", "B4", "B1", "B5", "C1", "C2"]),
    ],
)
def test_best_order_is_front_row_first_then_closest_to_the_rows_own_middle_left_before_right(
    seats, row_size, best_first
):
    # Arrange
    venue = Venue(seats, row_size)

    # Act
    order = [venue.seats[i].id for i in venue.best_order]

    # Assert
    assert order == best_first


@pytest.mark.req("bad-input")
@pytest.mark.parametrize(("seats", "row_size"), [(0, 10), (10, 0), (-1, 5), (5, -1)])
def test_venue_without_seats_or_with_empty_rows_is_refused(seats, row_size):
    # Act / Assert
    with pytest.raises(ValueError, match="at least one seat"):
        Venue(seats, row_size)


@pytest.mark.req("best-available")
@given(seats=st.integers(1, 400), row_size=st.integers(1, 40))
def test_any_layout_has_every_seat_once_full_rows_and_one_possibly_shorter_last_row(seats, row_size):
    # Act
    venue = Venue(seats, row_size)

    # Assert
    ids = [seat.id for seat in venue.seats]
    assert len(ids) == len(set(ids)) == seats
    assert all(len(row) == row_size for row in venue.rows[:-1])
    assert 1 <= len(venue.rows[-1]) <= row_size
    assert sum(len(row) for row in venue.rows) == seats
    assert all(venue.index[seat_id] == i for i, seat_id in enumerate(ids))
    assert all(seat.id == f"{seat.row}{seat.number}" for seat in venue.seats)


@pytest.mark.req("best-available")
@given(seats=st.integers(1, 400), row_size=st.integers(1, 40))
def test_any_best_order_is_a_permutation_ranked_by_row_then_distance_to_middle(seats, row_size):
    # Arrange
    venue = Venue(seats, row_size)

    # Act
    ranked = [venue.seats[i] for i in venue.best_order]

    # Assert
    assert sorted(venue.best_order) == list(range(seats))
    assert all(venue.best_order[venue.rank_of[i]] == i for i in range(seats))
    keys = [
        (seat.row_index, abs(seat.number - (len(venue.rows[seat.row_index]) + 1) / 2), seat.number)
        for seat in ranked
    ]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
