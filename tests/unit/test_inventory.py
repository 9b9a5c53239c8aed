"""Booking decisions: best available (with the no-orphan rule), all or nothing,
sections and prices, cancellation, versions, references."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking.errors import UnknownBooking, WrongToken
from booking.inventory import BOOKED, FREE, Booked, Booking, Cancelled, Inventory, Rejected, hash_token
from booking.layout import Layout
from booking.requests import BookRequest

TOKEN = "secret-token"


def counter(prefix: str = "REF") -> Callable[[], str]:
    """A reference source that never repeats itself: REF-1, REF-2, …"""
    numbers = itertools.count(1)
    return lambda: f"{prefix}-{next(numbers)}"


REFERENCES = counter("PRE")


def inventory_with(seats: int, row_size: int, booked: tuple[str, ...] = ()) -> Inventory:
    """A grid whose `booked` seats are taken, one booking per seat."""
    inventory = Inventory("main", Layout.grid(seats, row_size))
    for n, seat_id in enumerate(booked):
        outcome = inventory.book(seats_request(inventory, seat_id), f"pre-{n}", hash_token(TOKEN), REFERENCES)
        assert isinstance(outcome, Booked)
    return inventory


def seats_request(inventory: Inventory, *seat_ids: str) -> BookRequest:
    return BookRequest(quantity=len(seat_ids), seats=tuple(inventory.layout.index_of(s) for s in seat_ids))


def free_ids(inventory: Inventory) -> set[str]:
    layout = inventory.layout
    return {layout.seat_id(i) for i, state in enumerate(inventory.states()) if state == FREE}


def all_ids(inventory: Inventory) -> set[str]:
    return {inventory.layout.seat_id(i) for i in range(inventory.layout.total)}


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
        # Was B2,B3 before the no-orphan rule: B2-B3 would strand B1 and B4, so the
        # block goes to an end of the row, the left one on a tie.
        pytest.param(8, 4, ("A2", "A3"), 2, ("B1", "B2"),
                     id="free-seats-in-a-row-but-not-adjacent-goes-behind-to-a-no-orphan-block"),
        pytest.param(6, 3, ("A2", "B2"), 2, ("A1", "A3"), id="no-row-has-room-best-single-seats"),
        pytest.param(6, 3, ("A2", "B2"), 3, ("A1", "A3", "B1"), id="singles-spill-into-the-next-row"),
        pytest.param(13, 5, ("A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3", "B4", "B5"), 1, ("C2",),
                     id="short-last-row-centred-on-itself"),
        # Any pair in the 3-seat row C strands a seat, and no row has a pair that
        # does not, so the orphaning block closest to C's own middle, left on a tie.
        pytest.param(13, 5, ("A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3", "B4", "B5"), 2, ("C1", "C2"),
                     id="short-last-row-block-centred-on-itself-when-every-block-strands-a-seat"),
        pytest.param(20, 10, ("A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "A10"), 10,
                     tuple(f"B{n}" for n in range(1, 11)), id="whole-row"),
        # The no-orphan rule, in rows of the grid.
        pytest.param(10, 5, (), 2, ("A1", "A2"), id="5-free-pair-at-an-end-not-the-centre"),
        # The centred A2-A4 would strand A1 and A5.
        pytest.param(10, 5, (), 3, ("A1", "A2", "A3"), id="5-free-block-of-3-at-an-end-not-stranding-both-ends"),
        pytest.param(8, 4, ("A1",), 2, ("B1", "B2"), id="front-row-pair-would-strand-a-seat-so-row-behind"),
        pytest.param(8, 4, ("A1", "A4"), 2, ("A2", "A3"), id="exact-gap-in-front-row"),
        # A1-A3 is a run of 3: any pair in it strands a seat; A5-A6 fits exactly.
        pytest.param(12, 6, ("A4",), 2, ("A5", "A6"), id="exact-pair-further-out-beats-central-pair-stranding-a-seat"),
    ],
)
def test_best_available_front_row_first_then_closest_to_middle(seats, row_size, booked, quantity, expected):
    # Arrange
    inventory = inventory_with(seats, row_size, booked)

    # Act
    outcome = inventory.book(BookRequest(quantity=quantity), "b1", hash_token(TOKEN), counter())

    # Assert
    assert isinstance(outcome, Booked)
    assert outcome.booking.seats == expected


@pytest.mark.req("best-available")
def test_quantity_prefers_adjacent_block_in_front_row_over_centred_block_behind():
    # Arrange: row A has only A1-A2 free side by side; row B is empty
    inventory = inventory_with(20, 10, ("A3", "A4", "A5", "A6", "A7", "A8", "A9"))

    # Act
    outcome = inventory.book(BookRequest(quantity=2), "b1", hash_token(TOKEN), counter())

    # Assert
    assert outcome.booking.seats == ("A1", "A2")


@pytest.mark.req("best-available")
def test_specific_seats_are_booked_exactly_as_asked_in_request_order():
    # Arrange
    inventory = inventory_with(25, 10)

    # Act
    outcome = inventory.book(seats_request(inventory, "C5", "A1"), "b1", hash_token(TOKEN), counter())

    # Assert
    assert outcome.booking == Booking("b1", hash_token(TOKEN), ("C5", "A1"), "REF-1", 0)
    assert outcome.change.changed == {"C5": BOOKED, "A1": BOOKED}
    assert free_ids(inventory) == all_ids(inventory) - {"C5", "A1"}
    assert (inventory.state_codes()[0], inventory.state_codes()[24], inventory.state_codes()[1]) == (
        ord("b"), ord("b"), ord("f"))


# -- sections and prices -----------------------------------------------------------------------------------


def theatre() -> Inventory:
    """Stalls (4500): rows A, B of 4; Balcony (2500): rows C, D of 3."""
    layout = Layout([("Stalls", 4500, [("A", 4, ()), ("B", 4, ())]),
                     ("Balcony", 2500, [("C", 3, ()), ("D", 3, ())])])
    return Inventory("jazz", layout)


@pytest.mark.req("best-available")
@pytest.mark.req("layouts")
@pytest.mark.parametrize(
    ("request_", "seats", "total_price"),
    [
        pytest.param(BookRequest(1), ("A2",), 4500, id="anywhere-is-the-front-row"),
        pytest.param(BookRequest(1, section=1), ("C2",), 2500, id="balcony-front-row-middle"),
        # Every pair in a row of 3 strands a seat: no row avoids it, so front row, left on a tie.
        pytest.param(BookRequest(2, section=1), ("C1", "C2"), 5000, id="balcony-pair-strands-a-seat-in-any-row"),
        pytest.param(BookRequest(3, section=1), ("C1", "C2", "C3"), 7500, id="balcony-whole-row"),
        pytest.param(BookRequest(4, section=0), ("A1", "A2", "A3", "A4"), 18000, id="stalls-whole-row"),
        pytest.param(BookRequest(2, seats=(0, 8)), ("A1", "C1"), 7000, id="seats-across-sections-add-up"),
    ],
)
def test_best_available_in_a_section_and_prices_summed_per_seat(request_, seats, total_price):
    # Arrange
    inventory = theatre()

    # Act
    outcome = inventory.book(request_, "b1", hash_token(TOKEN), counter())

    # Assert
    assert (outcome.booking.seats, outcome.booking.total_price) == (seats, total_price)


@pytest.mark.req("all-or-nothing")
def test_a_sold_out_section_is_sold_out_though_other_sections_are_free():
    # Arrange
    inventory = theatre()
    inventory.book(BookRequest(3, section=1), "c", hash_token(TOKEN), counter("C"))
    inventory.book(BookRequest(2, section=1), "d", hash_token(TOKEN), counter("D"))

    # Act
    one_left = inventory.book(BookRequest(2, section=1), "b1", hash_token(TOKEN), counter())
    inventory.book(BookRequest(1, section=1), "d2", hash_token(TOKEN), counter("E"))
    none_left = inventory.book(BookRequest(1, section=1), "b2", hash_token(TOKEN), counter())

    # Assert
    assert (one_left.error, one_left.message, one_left.available) == (
        "sold_out", "only 1 seat(s) left in Balcony, 2 requested", 9)
    assert (none_left.error, none_left.message, none_left.unavailable) == ("sold_out", "sold out in Balcony", ())
    assert inventory.available == 8


# -- all or nothing --------------------------------------------------------------------------------------


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
    outcome = inventory.book(seats_request(inventory, *asked), "b1", hash_token(TOKEN), counter())

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
    ask = counter()

    # Act
    outcome = inventory.book(BookRequest(quantity=quantity), "b1", hash_token(TOKEN), ask)

    # Assert
    assert outcome == Rejected("sold_out", message, (), 3 - len(booked), len(booked))
    assert (inventory.states(), inventory.version) == before
    assert "b1" not in inventory.bookings
    assert ask() == "REF-1", "a refused booking uses no reference"


# -- versions --------------------------------------------------------------------------------------------


@pytest.mark.req("versions")
def test_each_committed_booking_and_cancellation_takes_the_next_version_and_rejections_none():
    # Arrange
    inventory = inventory_with(2, 2)
    references = counter()

    # Act
    first = inventory.book(BookRequest(quantity=1), "b1", hash_token(TOKEN), references)
    second = inventory.book(BookRequest(quantity=1), "b2", hash_token(TOKEN), references)
    refused = inventory.book(BookRequest(quantity=1), "b3", hash_token(TOKEN), references)
    cancelled = inventory.cancel("b1", TOKEN)

    # Assert
    assert [first.change.version, second.change.version, refused.version, cancelled.change.version] == [1, 2, 2, 3]
    assert [first.change.available, second.change.available, refused.available, cancelled.change.available] == [
        1, 0, 0, 1,
    ]
    assert inventory.version == 3
    assert {first.change.show, second.change.show, cancelled.change.show} == {"main"}


@pytest.mark.req("versions")
def test_versions_continue_from_the_version_an_inventory_is_loaded_at():
    # Arrange
    layout = Layout.grid(4, 4)
    inventory = Inventory("main", layout, version=41, bookings=[Booking("old", hash_token(TOKEN), ("A2", "A3"), "R")])

    # Act
    outcome = inventory.book(BookRequest(quantity=1), "b1", hash_token(TOKEN), counter())

    # Assert
    assert outcome.change.version == 42
    assert outcome.booking.seats == ("A1",)
    assert (outcome.change.available, inventory.available) == (1, 1)


@pytest.mark.req("durability")
@pytest.mark.parametrize(
    "bookings",
    [
        [Booking("x", "h", ("A1",), "R1"), Booking("y", "h", ("A2", "A1"), "R2")],
        [Booking("x", "h", ("A1", "A1"), "R1")],
        [Booking("x", "h", ("A5",), "R1")],
        [Booking("x", "h", ("a1",), "R1")],
    ],
    ids=["two-bookings-share-a-seat", "one-booking-lists-a-seat-twice", "seat-past-the-row", "unknown-seat-id"],
)
def test_loading_bookings_that_share_a_seat_or_name_an_unknown_one_is_refused(bookings):
    # Act / Assert
    with pytest.raises(ValueError, match="unknown or taken twice"):
        Inventory("main", Layout.grid(4, 4), bookings=bookings)


@pytest.mark.req("durability")
def test_loaded_bookings_are_booked_and_can_be_cancelled_by_their_token():
    # Arrange
    inventory = Inventory("main", Layout.grid(4, 4), version=7,
                          bookings=[Booking("old", hash_token(TOKEN), ("A1", "A4"), "R")])

    # Act
    before = inventory.states()
    cancelled = inventory.cancel("old", TOKEN)

    # Assert
    assert before == [BOOKED, FREE, FREE, BOOKED]
    assert (cancelled.change.version, cancelled.change.changed, inventory.available) == (
        8, {"A1": FREE, "A4": FREE}, 4)


# -- references --------------------------------------------------------------------------------------------


@pytest.mark.req("references")
def test_each_booking_gets_the_reference_the_shell_hands_in():
    # Arrange
    inventory = inventory_with(10, 10)
    references = iter(["K7Q-M4ZP", "ABC-DEFG"])

    # Act
    first = inventory.book(BookRequest(1), "b1", hash_token(TOKEN), lambda: next(references))
    second = inventory.book(BookRequest(1), "b2", hash_token(TOKEN), lambda: next(references))

    # Assert
    assert (first.booking.reference, second.booking.reference) == ("K7Q-M4ZP", "ABC-DEFG")
    assert {"K7Q-M4ZP", "ABC-DEFG"} <= inventory.references


@pytest.mark.req("references")
@pytest.mark.parametrize(
    ("used", "offered", "expected"),
    [
        pytest.param(("AAA-AAAA",), ["AAA-AAAA", "BBB-BBBB"], "BBB-BBBB", id="used-once-asks-again"),
        pytest.param(("AAA-AAAA", "BBB-BBBB"), ["BBB-BBBB", "AAA-AAAA", "BBB-BBBB", "CCC-CCCC"], "CCC-CCCC",
                     id="asks-until-unused"),
    ],
)
def test_a_reference_already_used_in_the_show_is_asked_for_again(used, offered, expected):
    # Arrange: the used references come from bookings loaded at start-up
    bookings = [Booking(f"old-{n}", "h", (f"B{n + 1}",), ref) for n, ref in enumerate(used)]
    inventory = Inventory("main", Layout.grid(20, 10), bookings=bookings)
    offers = iter(offered)

    # Act
    outcome = inventory.book(BookRequest(1), "b1", hash_token(TOKEN), lambda: next(offers))

    # Assert
    assert outcome.booking.reference == expected
    assert next(offers, None) is None, "asked exactly until an unused one came"


@pytest.mark.req("references")
def test_references_of_cancelled_bookings_and_given_at_load_stay_used():
    # Arrange
    inventory = Inventory("main", Layout.grid(10, 10), references=["OLD-0001"])
    inventory.book(BookRequest(1), "b1", hash_token(TOKEN), lambda: "GONE-001")
    inventory.cancel("b1", TOKEN)
    offers = iter(["OLD-0001", "GONE-001", "NEW-0001"])

    # Act
    outcome = inventory.book(BookRequest(1), "b2", hash_token(TOKEN), lambda: next(offers))

    # Assert
    assert outcome.booking.reference == "NEW-0001"


# -- cancellation --------------------------------------------------------------------------------------------


@pytest.mark.req("cancellation")
def test_cancel_with_the_right_token_frees_the_seats_for_the_next_best_available_booking():
    # Arrange
    inventory = inventory_with(10, 10)
    references = counter()
    booked = inventory.book(BookRequest(quantity=2), "b1", hash_token(TOKEN), references)
    inventory.book(BookRequest(quantity=1), "b2", hash_token("other"), references)

    # Act
    cancelled = inventory.cancel("b1", TOKEN)
    rebooked = inventory.book(BookRequest(quantity=2), "b3", hash_token(TOKEN), references)

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
    inventory.book(BookRequest(quantity=1), "b1", hash_token(TOKEN), counter())
    before = (inventory.states(), inventory.available, inventory.version, dict(inventory.bookings))

    # Act / Assert
    with pytest.raises(error):
        inventory.cancel(booking_id, token)
    assert (inventory.states(), inventory.available, inventory.version, inventory.bookings) == before


@pytest.mark.req("cancellation")
def test_a_booking_cannot_be_cancelled_twice():
    # Arrange
    inventory = inventory_with(10, 10)
    inventory.book(BookRequest(quantity=1), "b1", hash_token(TOKEN), counter())
    inventory.cancel("b1", TOKEN)

    # Act / Assert
    with pytest.raises(UnknownBooking):
        inventory.cancel("b1", TOKEN)
    assert (inventory.available, inventory.version) == (10, 2)


@pytest.mark.req("best-available")
def test_best_available_stays_right_after_many_cancellations_of_seats_booked_by_name():
    # Arrange: every cancel gives its seat back to the free map, merging runs again
    inventory = inventory_with(3, 3)
    references = counter()
    for n in range(20):
        inventory.book(seats_request(inventory, "A2"), f"b{n}", hash_token(TOKEN), references)
        inventory.cancel(f"b{n}", TOKEN)
    inventory.book(seats_request(inventory, "A1"), "left", hash_token(TOKEN), references)

    # Act
    outcomes = [inventory.book(BookRequest(quantity=1), f"q{n}", hash_token(TOKEN), references) for n in range(3)]

    # Assert
    assert [o.booking.seats for o in outcomes[:2]] == [("A2",), ("A3",)]
    assert isinstance(outcomes[2], Rejected)
    assert inventory.available == 0


# -- properties over random sequences of bookings and cancellations ---------------------------------


def expected_choice(layout: Layout, free: set[int], quantity: int) -> list[int]:
    """The contract's rule, by brute force: for n >= 2 the best adjacent block that
    strands no single free seat (any row), else the best block, else the best singles."""
    def is_free(row: range, offset: int) -> bool:
        return 0 <= offset < len(row) and row[offset] in free

    if quantity > 1:
        for orphan_free in (True, False):
            for row in layout.rows:
                m = len(row)
                starts = [
                    s for s in range(m - quantity + 1)
                    if all(is_free(row, s + k) for k in range(quantity))
                    and not (orphan_free and ((is_free(row, s - 1) and not is_free(row, s - 2))
                                              or (is_free(row, s + quantity) and not is_free(row, s + quantity + 1))))
                ]
                if starts:
                    best = min(starts, key=lambda s, m=m: (abs(2 * s + quantity - m), s))
                    return list(row[best:best + quantity])
    rank = {seat: position for position, seat in enumerate(layout.best_order())}
    return sorted(free, key=rank.__getitem__)[:quantity]


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
    inventory = Inventory("main", Layout.grid(seats, row_size))
    layout = inventory.layout
    references = counter()

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
            outcome = inventory.book(BookRequest(len(indexes), indexes), f"b{n}", hash_token(TOKEN), references)
        else:
            outcome = inventory.book(BookRequest(quantity), f"b{n}", hash_token(TOKEN), references)

        # Assert
        states = inventory.states()
        held = [seat_id for booking in inventory.bookings.values() for seat_id in booking.seats]
        assert len(held) == len(set(held)), "no seat booked twice"
        assert set(held) == {layout.seat_id(i) for i, s in enumerate(states) if s == BOOKED}
        assert inventory.available == states.count(FREE)
        assert len({b.reference for b in inventory.bookings.values()}) == len(inventory.bookings)
        if isinstance(outcome, Rejected):
            assert inventory.version == version_before
            assert {i for i, s in enumerate(states) if s == FREE} == free_before
            if outcome.error == "sold_out":
                assert quantity > len(free_before)
            else:
                assert set(outcome.unavailable) == {layout.seat_id(i) for i in indexes if i not in free_before}
                assert outcome.unavailable
        else:
            assert inventory.version == outcome.change.version == version_before + 1
            assert outcome.change.available == inventory.available
        if isinstance(outcome, Booked) and kind == "quantity":
            chosen = [layout.index_of(s) for s in outcome.booking.seats]
            assert len(chosen) == quantity
            assert set(chosen) <= free_before
            assert chosen == expected_choice(layout, free_before, quantity)
