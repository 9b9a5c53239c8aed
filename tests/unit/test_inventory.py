"""Booking decisions: best available, all or nothing, cancellation, versions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking.errors import UnknownBooking, WrongToken
from booking.inventory import BOOKED, FREE, Booked, Booking, Cancelled, Inventory, Rejected, hash_token
from booking.requests import BookRequest
from booking.venue import Venue

TOKEN = "secret-token"


def inventory_with(seats: int, row_size: int, booked: tuple[str, ...] = ()) -> Inventory:
    """A venue whose `booked` seats are taken, one booking per seat."""
    inventory = Inventory(Venue(seats, row_size))
    for n, seat_id in enumerate(booked):
        outcome = inventory.book(seats_request(inventory, seat_id), f"pre-{n}", hash_token(TOKEN))
        assert isinstance(outcome, Booked)
    return inventory


def seats_request(inventory: Inventory, *seat_ids: str) -> BookRequest:
    return BookRequest(quantity=len(seat_ids), seats=tuple(inventory.venue.index[s] for s in seat_ids))


def free_ids(inventory: Inventory) -> set[str]:
    return {seat.id for seat, state in zip(inventory.venue.seats, inventory.states(), strict=True) if state == FREE}


@pytest.mark.req("best-available")
@pytest.mark.parametrize(
    ("seats", "row_size", "booked", "quantity", "expected"),
    [
        pytest.param(100, 10, (), 1, ("A5",), id="one-seat-centre-of-front-row"),
        pytest.param(100, 10, ("A5",), 1, ("A6",), id="next-closest-to-middle"),
        pytest.param(100, 10, ("A5", "A6"), 1, ("A4",), id="left-before-right-on-a-tie"),
        pytest.param(100, 10, (), 2, ("A5", "A6"), id="pair-in-the-centre"),
        pytest.param(100, 10, (), 3, ("A4", "A5", "A6"), id="odd-block-on-even-row-leans-left"),
        pytest.param(9, 9, (), 3, ("A4", "A5", "A6"), id="odd-block-centred-on-odd-row"),
        pytest.param(100, 10, ("A5", "A6"), 2, ("A3", "A4"), id="closest-block-left-of-a-hole"),
        pytest.param(100, 10, ("A5",), 2, ("A6", "A7"), id="closest-block-right-of-a-hole"),
        pytest.param(8, 4, ("A2", "A3"), 2, ("B2", "B3"), id="free-seats-in-a-row-but-not-adjacent-goes-behind"),
        pytest.param(6, 3, ("A2", "B2"), 2, ("A1", "A3"), id="no-row-has-room-best-single-seats"),
        pytest.param(6, 3, ("A2", "B2"), 3, ("A1", "A3", "B1"), id="singles-spill-into-the-next-row"),
        pytest.param(13, 5, ("A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3", "B4", "B5"), 1, ("C2",),
                     id="short-last-row-centred-on-itself"),
        pytest.param(13, 5, ("A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3", "B4", "B5"), 2, ("C1", "C2"),
                     id="short-last-row-block-centred-on-itself"),
        pytest.param(20, 10, ("A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "A10"), 10,
                     tuple(f"B{n}" for n in range(1, 11)), id="whole-row"),
    ],
)
def test_best_available_front_row_first_then_closest_to_middle(seats, row_size, booked, quantity, expected):
    # Arrange
    inventory = inventory_with(seats, row_size, booked)

    # Act
    outcome = inventory.book(BookRequest(quantity=quantity), "b1", hash_token(TOKEN))

    # Assert
    assert isinstance(outcome, Booked)
    assert outcome.booking.seats == expected


@pytest.mark.req("best-available")
def test_quantity_prefers_adjacent_block_in_front_row_over_centred_block_behind():
    # Arrange: row A has only A1-A2 free side by side; row B is empty
    inventory = inventory_with(20, 10, ("A3", "A4", "A5", "A6", "A7", "A8", "A9"))

    # Act
    outcome = inventory.book(BookRequest(quantity=2), "b1", hash_token(TOKEN))

    # Assert
    assert outcome.booking.seats == ("A1", "A2")


@pytest.mark.req("best-available")
def test_specific_seats_are_booked_exactly_as_asked_in_request_order():
    # Arrange
    inventory = inventory_with(25, 10)

    # Act
    outcome = inventory.book(seats_request(inventory, "C5", "A1"), "b1", hash_token(TOKEN))

    # Assert
    assert outcome.booking == Booking("b1", hash_token(TOKEN), ("C5", "A1"))
    assert outcome.change.changed == {"C5": BOOKED, "A1": BOOKED}
    assert free_ids(inventory) == {seat.id for seat in inventory.venue.seats} - {"C5", "A1"}


@pytest.mark.req("all-or-nothing")
@pytest.mark.parametrize(
    ("booked", "asked", "unavailable"),
    [
        (("A2",), ("A1", "A2", "A3"), ("A2",)),
        (("A1", "A3"), ("A1", "A2", "A3"), ("A1", "A3")),
        (("A3", "A1"), ("A3", "A2", "A1"), ("A3", "A1")),
        (("B1",), ("B1",), ("B1",)),
    ],
)
def test_specific_seats_with_any_taken_book_nothing_and_name_the_taken_ones(booked, asked, unavailable):
    # Arrange
    inventory = inventory_with(20, 10, booked)
    before = (inventory.states(), inventory.available, inventory.version, dict(inventory.bookings))

    # Act
    outcome = inventory.book(seats_request(inventory, *asked), "b1", hash_token(TOKEN))

    # Assert
    assert isinstance(outcome, Rejected)
    assert (outcome.error, outcome.unavailable) == ("seats_taken", unavailable)
    assert (outcome.available, outcome.version) == (20 - len(booked), len(booked))
    assert (inventory.states(), inventory.available, inventory.version, inventory.bookings) == before


@pytest.mark.req("all-or-nothing")
@pytest.mark.parametrize(
    ("booked", "quantity", "message"),
    [
        (("A1", "A2", "A3"), 1, "sold out"),
        (("A1", "A2"), 2, "only 1 seat(s) left, 2 requested"),
        ((), 4, "only 3 seat(s) left, 4 requested"),
    ],
)
def test_best_available_for_more_than_are_free_is_sold_out_and_books_nothing(booked, quantity, message):
    # Arrange
    inventory = inventory_with(3, 3, booked)
    before = (inventory.states(), inventory.version)

    # Act
    outcome = inventory.book(BookRequest(quantity=quantity), "b1", hash_token(TOKEN))

    # Assert
    assert outcome == Rejected("sold_out", message, (), 3 - len(booked), len(booked))
    assert (inventory.states(), inventory.version) == before
    assert "b1" not in inventory.bookings


@pytest.mark.req("versions")
def test_each_committed_booking_and_cancellation_takes_the_next_version_and_rejections_none():
    # Arrange
    inventory = inventory_with(2, 2)

    # Act
    first = inventory.book(BookRequest(quantity=1), "b1", hash_token(TOKEN))
    second = inventory.book(BookRequest(quantity=1), "b2", hash_token(TOKEN))
    refused = inventory.book(BookRequest(quantity=1), "b3", hash_token(TOKEN))
    cancelled = inventory.cancel("b1", TOKEN)

    # Assert
    assert [first.change.version, second.change.version, refused.version, cancelled.change.version] == [1, 2, 2, 3]
    assert [first.change.available, second.change.available, refused.available, cancelled.change.available] == [
        1, 0, 0, 1,
    ]
    assert inventory.version == 3


@pytest.mark.req("versions")
def test_versions_continue_from_the_version_an_inventory_is_loaded_at():
    # Arrange
    venue = Venue(4, 4)
    inventory = Inventory(venue, version=41, bookings=[Booking("old", hash_token(TOKEN), ("A2", "A3"))])

    # Act
    outcome = inventory.book(BookRequest(quantity=1), "b1", hash_token(TOKEN))

    # Assert
    assert outcome.change.version == 42
    assert outcome.booking.seats == ("A1",)
    assert (outcome.change.available, inventory.available) == (1, 1)


@pytest.mark.req("durability")
def test_loading_bookings_that_share_a_seat_is_refused():
    # Arrange
    bookings = [Booking("x", "h", ("A1",)), Booking("y", "h", ("A2", "A1"))]

    # Act / Assert
    with pytest.raises(ValueError, match="A1 held twice"):
        Inventory(Venue(4, 4), bookings=bookings)


@pytest.mark.req("cancellation")
def test_cancel_with_the_right_token_frees_the_seats_for_the_next_best_available_booking():
    # Arrange
    inventory = inventory_with(10, 10)
    booked = inventory.book(BookRequest(quantity=2), "b1", hash_token(TOKEN))
    inventory.book(BookRequest(quantity=1), "b2", hash_token("other"))

    # Act
    cancelled = inventory.cancel("b1", TOKEN)
    rebooked = inventory.book(BookRequest(quantity=2), "b3", hash_token(TOKEN))

    # Assert
    assert isinstance(cancelled, Cancelled)
    assert cancelled.booking == booked.booking
    assert cancelled.change.changed == {"A5": FREE, "A6": FREE}
    assert rebooked.booking.seats == ("A5", "A6")
    assert set(inventory.bookings) == {"b2", "b3"}


@pytest.mark.req("cancellation")
@pytest.mark.parametrize(
    ("booking_id", "token", "error"),
    [
        ("b1", "wrong", WrongToken),
        ("b1", "", WrongToken),
        ("b1", hash_token(TOKEN), WrongToken),  # the stored hash is not the token
        ("nope", TOKEN, UnknownBooking),
        ("", TOKEN, UnknownBooking),
    ],
)
def test_cancel_with_wrong_token_or_unknown_id_changes_nothing(booking_id, token, error):
    # Arrange
    inventory = inventory_with(10, 10)
    inventory.book(BookRequest(quantity=1), "b1", hash_token(TOKEN))
    before = (inventory.states(), inventory.available, inventory.version, dict(inventory.bookings))

    # Act / Assert
    with pytest.raises(error):
        inventory.cancel(booking_id, token)
    assert (inventory.states(), inventory.available, inventory.version, inventory.bookings) == before


@pytest.mark.req("cancellation")
def test_a_booking_cannot_be_cancelled_twice():
    # Arrange
    inventory = inventory_with(10, 10)
    inventory.book(BookRequest(quantity=1), "b1", hash_token(TOKEN))
    inventory.cancel("b1", TOKEN)

    # Act / Assert
    with pytest.raises(UnknownBooking):
        inventory.cancel("b1", TOKEN)
    assert (inventory.available, inventory.version) == (10, 2)


@pytest.mark.req("best-available")
def test_best_available_stays_right_after_many_cancellations_of_seats_booked_by_name():
    # Arrange: every cancel re-queues its seat, so the free-seat heap grows and is compacted
    inventory = inventory_with(3, 3)
    for n in range(20):
        inventory.book(seats_request(inventory, "A2"), f"b{n}", hash_token(TOKEN))
        inventory.cancel(f"b{n}", TOKEN)
    inventory.book(seats_request(inventory, "A1"), "left", hash_token(TOKEN))

    # Act
    outcomes = [inventory.book(BookRequest(quantity=1), f"q{n}", hash_token(TOKEN)) for n in range(3)]

    # Assert
    assert [o.booking.seats for o in outcomes[:2]] == [("A2",), ("A3",)]
    assert isinstance(outcomes[2], Rejected)
    assert inventory.available == 0


# -- properties over random sequences of bookings and cancellations ---------------------------------


def check_best_available(inventory: Inventory, free_before: set[int], quantity: int, chosen: list[int]) -> None:
    venue = inventory.venue
    rows_with_room = [r for r in range(len(venue.rows)) if free_runs_before(venue, free_before, r) >= quantity]
    if quantity > 1 and rows_with_room:
        row = venue.rows[rows_with_room[0]]
        middle = (len(row) + 1) / 2
        starts = [s for s in range(len(row) - quantity + 1) if all(row[s + k] in free_before for k in range(quantity))]
        best_start = min(starts, key=lambda s: (abs(s + 1 + (quantity - 1) / 2 - middle), s))
        assert chosen == list(row[best_start : best_start + quantity]), "front-most row, centred block, left on ties"
    else:
        best = sorted(free_before, key=lambda i: venue.rank_of[i])[:quantity]
        assert chosen == best, "best single seats, best first"


def free_runs_before(venue: Venue, free: set[int], row_index: int) -> int:
    longest = run = 0
    for i in venue.rows[row_index]:
        run = run + 1 if i in free else 0
        longest = max(longest, run)
    return longest


@pytest.mark.req("best-available")
@pytest.mark.req("all-or-nothing")
@pytest.mark.req("versions")
@given(
    seats=st.integers(1, 16),
    row_size=st.integers(1, 5),
    steps=st.lists(
        st.tuples(st.sampled_from(["quantity", "seats", "cancel"]), st.integers(1, 4), st.lists(st.integers(0, 15),
                  min_size=1, max_size=3, unique=True)),
        max_size=40,
    ),
)
def test_random_bookings_and_cancellations_keep_every_invariant(seats, row_size, steps):
    # Arrange
    inventory = Inventory(Venue(seats, row_size))
    venue = inventory.venue

    for n, (kind, quantity, picks) in enumerate(steps):
        free_before = {i for i in range(seats) if inventory.state_of(i) == FREE}
        version_before = inventory.version

        # Act
        if kind == "cancel":
            if not inventory.bookings:
                continue
            booking_id = sorted(inventory.bookings)[picks[0] % len(inventory.bookings)]
            outcome = inventory.cancel(booking_id, TOKEN)
        elif kind == "seats":
            indexes = tuple(dict.fromkeys(p % seats for p in picks))
            outcome = inventory.book(BookRequest(len(indexes), indexes), f"b{n}", hash_token(TOKEN))
        else:
            outcome = inventory.book(BookRequest(quantity), f"b{n}", hash_token(TOKEN))

        # Assert
        states = inventory.states()
        held = [seat_id for booking in inventory.bookings.values() for seat_id in booking.seats]
        assert len(held) == len(set(held)), "no seat held twice"
        assert set(held) == {venue.seats[i].id for i, s in enumerate(states) if s == BOOKED}
        assert inventory.available == states.count(FREE)
        if isinstance(outcome, Rejected):
            assert inventory.version == version_before
            assert {i for i, s in enumerate(states) if s == FREE} == free_before
            if outcome.error == "sold_out":
                assert quantity > len(free_before)
            else:
                assert set(outcome.unavailable) == {venue.seats[i].id for i in indexes if i not in free_before}
                assert outcome.unavailable
        else:
            assert inventory.version == outcome.change.version == version_before + 1
            assert outcome.change.available == inventory.available
        if isinstance(outcome, Booked) and kind == "quantity":
            chosen = [venue.index[s] for s in outcome.booking.seats]
            assert len(chosen) == quantity
            assert set(chosen) <= free_before
            check_best_available(inventory, free_before, quantity, chosen)
