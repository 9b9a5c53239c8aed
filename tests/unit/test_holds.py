"""Holds (baskets) and checkout on one show's inventory: holding all or nothing,
adding, removing, releasing, reading, expiry counted from creation, confirming
(also late, when the seats are untouched), references and prices."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from booking.errors import InvalidRequest, SeatNotInHold, UnknownHold, WrongToken
from booking.inventory import (
    BOOKED,
    FREE,
    HELD,
    Booked,
    Booking,
    Change,
    Confirmed,
    Expired,
    Held,
    Hold,
    HoldUpdated,
    Inventory,
    Policy,
    Rejected,
    Released,
    hash_token,
)
from booking.layout import Layout
from booking.requests import BookRequest, Buyer

BUYER = Buyer("Ada Lovelace", "ada@example.com")
CLIENT = "203.0.113.7"
HOLD_SECONDS = 10.0
MAX_SEATS = 4


def counter(prefix: str = "REF") -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"{prefix}-{next(numbers)}"


def theatre(**loaded) -> Inventory:
    """Stalls at 4500: rows A and B of 4; Balcony at 2500: row C of 4. Holds last 10 s
    and take at most 4 seats."""
    layout = Layout([("Stalls", 4500, [("A", 4, ()), ("B", 4, ())]), ("Balcony", 2500, [("C", 4, ())])])
    return Inventory("jazz", layout, Policy(hold_seconds=HOLD_SECONDS, max_seats=MAX_SEATS), **loaded)


def seats(inventory: Inventory, *seat_ids: str) -> BookRequest:
    return BookRequest(quantity=len(seat_ids), seats=tuple(inventory.layout.index_of(s) for s in seat_ids))


def hold(inventory: Inventory, request: BookRequest, hold_id: str = "h1", now: float = 0.0,
         client: str = CLIENT) -> Held | Rejected:
    return inventory.hold(request, hold_id, hash_token(f"token-{hold_id}"), client, now)


def token(hold_id: str) -> str:
    return f"token-{hold_id}"


def confirm(inventory: Inventory, hold_id: str = "h1", booking_id: str = "b1",
            references: Callable[[], str] | None = None) -> Confirmed | Rejected:
    return inventory.confirm(hold_id, token(hold_id), BUYER, booking_id, hash_token(f"token-{booking_id}"),
                             references or counter())


def book(inventory: Inventory, *seat_ids: str, booking_id: str = "other") -> Booked:
    outcome = inventory.book(seats(inventory, *seat_ids), booking_id, hash_token("other"), counter(booking_id))
    assert isinstance(outcome, Booked)
    return outcome


def state_of(inventory: Inventory) -> dict[str, str]:
    layout = inventory.layout
    return {layout.seat_id(i): state for i, state in enumerate(inventory.states()) if state != FREE}


def snapshot(inventory: Inventory) -> tuple:
    return (inventory.states(), inventory.available, inventory.version, dict(inventory.holds),
            dict(inventory.expired_holds), dict(inventory.bookings))


# -- holding -----------------------------------------------------------------------------------------------


@pytest.mark.req("holds")
def test_a_hold_puts_the_best_seats_in_a_new_basket_that_expires_hold_seconds_later():
    # Arrange
    inventory = theatre()

    # Act
    outcome = hold(inventory, BookRequest(2), now=100.0)

    # Assert
    assert outcome == Held(
        Hold("h1", hash_token("token-h1"), ("A1", "A2"), CLIENT, 100.0, 110.0, 9000),
        Change("jazz", 1, {"A1": HELD, "A2": HELD}, 10),
    )
    assert state_of(inventory) == {"A1": HELD, "A2": HELD}
    assert inventory.state_codes() == b"hhffffffffff"
    assert inventory.next_expiry() == 110.0


@pytest.mark.req("holds")
@pytest.mark.req("layouts")
@pytest.mark.parametrize(
    ("request_seats", "total_price"),
    [(("A1",), 4500), (("C4",), 2500), (("A1", "B4", "C1"), 11500), (("C1", "C2", "C3", "C4"), 10000)],
)
def test_a_basket_costs_the_sum_of_its_seats_section_prices(request_seats, total_price):
    # Arrange
    inventory = theatre()

    # Act
    outcome = hold(inventory, seats(inventory, *request_seats))

    # Assert
    assert (outcome.hold.seats, outcome.hold.total_price) == (request_seats, total_price)


@pytest.mark.req("holds")
@pytest.mark.req("all-or-nothing")
@pytest.mark.parametrize(
    ("asked", "error", "unavailable"),
    [
        pytest.param(("A3", "A1"), "seats_taken", ("A1",), id="one-held-by-another-basket"),
        pytest.param(("B1", "B2"), "seats_taken", ("B2",), id="one-booked"),
        pytest.param(("A2", "B2", "C1"), "seats_taken", ("A2", "B2"), id="held-and-booked-named-in-order"),
    ],
)
def test_a_hold_with_any_seat_taken_holds_nothing_and_names_the_taken_ones(asked, error, unavailable):
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1", "A2"), "first")
    book(inventory, "B2")
    before = snapshot(inventory)

    # Act
    outcome = hold(inventory, seats(inventory, *asked), "h1")

    # Assert
    assert outcome == Rejected(error, outcome.message, unavailable, 9, 2)
    assert snapshot(inventory) == before
    assert inventory.open_holds_of(CLIENT, 0.0) == [10.0]


@pytest.mark.req("holds")
@pytest.mark.req("all-or-nothing")
def test_a_hold_for_more_seats_than_are_free_is_sold_out_counting_held_seats_as_taken():
    # Arrange
    inventory = theatre()
    hold(inventory, BookRequest(4), "a")
    hold(inventory, BookRequest(4), "b")
    hold(inventory, BookRequest(3, section=1), "c")
    before = snapshot(inventory)

    # Act
    too_many = hold(inventory, BookRequest(2), "h1")
    balcony = hold(inventory, BookRequest(2, section=1), "h2")

    # Assert
    assert (too_many.error, too_many.message, too_many.unavailable, too_many.available) == (
        "sold_out", "only 1 seat(s) left, 2 requested", (), 1)
    assert (balcony.error, balcony.message) == ("sold_out", "only 1 seat(s) left in Balcony, 2 requested")
    assert snapshot(inventory) == before


@pytest.mark.req("holds")
def test_held_seats_show_as_held_and_are_refused_to_anyone_else():
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A2", "A3"), "h1")

    # Act
    booked_by_name = inventory.book(seats(inventory, "A2"), "b1", hash_token("x"), counter())
    best = inventory.book(BookRequest(1), "b2", hash_token("x"), counter())
    pair = hold(inventory, BookRequest(2), "h2")

    # Assert
    assert (booked_by_name.error, booked_by_name.unavailable) == ("seats_taken", ("A2",))
    assert best.booking.seats == ("A1",)  # A2, A3 are the middle but held; A1 is left of the tie
    assert pair.hold.seats == ("B1", "B2")
    assert [inventory.state_of(inventory.layout.index_of(s)) for s in ("A1", "A2", "A3", "A4", "B1")] == [
        BOOKED, HELD, HELD, FREE, HELD]


# -- adding ------------------------------------------------------------------------------------------------


@pytest.mark.req("holds")
def test_adding_seats_puts_them_in_the_same_basket_and_announces_only_them():
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1"), now=0.0)

    # Act
    outcome = inventory.add_to_hold("h1", token("h1"), seats(inventory, "C1", "C2"), 5.0)

    # Assert
    assert isinstance(outcome, HoldUpdated)
    assert (outcome.hold.seats, outcome.hold.total_price) == (("A1", "C1", "C2"), 9500)
    assert outcome.change == Change("jazz", 2, {"C1": HELD, "C2": HELD}, 9)
    assert inventory.basket("h1", token("h1"), 5.0) == outcome.hold


@pytest.mark.req("holds")
@pytest.mark.req("best-available")
def test_adding_a_quantity_takes_the_best_available_seats_in_the_section_asked():
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1"))

    # Act
    anywhere = inventory.add_to_hold("h1", token("h1"), BookRequest(1), 1.0)
    balcony = inventory.add_to_hold("h1", token("h1"), BookRequest(2, section=1), 1.0)

    # Assert
    assert anywhere.hold.seats == ("A1", "A2")
    assert balcony.hold.seats == ("A1", "A2", "C1", "C2")
    assert balcony.hold.total_price == 2 * 4500 + 2 * 2500


@pytest.mark.req("holds")
@pytest.mark.parametrize(
    "asked",
    [("A1",), ("A1", "A2"), ("A2", "A1")],
)
def test_adding_seats_already_in_the_basket_changes_nothing(asked):
    # Arrange
    inventory = theatre()
    held = hold(inventory, seats(inventory, "A1", "A2"))
    before = snapshot(inventory)

    # Act
    outcome = inventory.add_to_hold("h1", token("h1"), seats(inventory, *asked), 1.0)

    # Assert
    assert outcome == HoldUpdated(held.hold, None)
    assert snapshot(inventory) == before


@pytest.mark.req("holds")
def test_adding_seats_some_already_in_the_basket_adds_only_the_new_ones():
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1", "A2", "A3"))

    # Act: the basket would pass 4 if A1, A2 counted twice
    outcome = inventory.add_to_hold("h1", token("h1"), seats(inventory, "A1", "B1", "A2"), 1.0)

    # Assert
    assert outcome.hold.seats == ("A1", "A2", "A3", "B1")
    assert outcome.change.changed == {"B1": HELD}
    assert outcome.change.version == 2


@pytest.mark.req("holds")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize(
    ("held", "request_"),
    [
        pytest.param(("A1", "A2", "A3", "A4"), BookRequest(1), id="full-basket-one-more"),
        pytest.param(("A1", "A2", "A3"), BookRequest(2), id="quantity-past-max"),
        pytest.param(("A1", "A2"), BookRequest(3, section=1), id="quantity-in-section-past-max"),
        pytest.param(("A1", "A2", "A3"), BookRequest(2, seats=(4, 5)), id="seats-past-max"),
        pytest.param(("A1", "A2", "A3", "A4"), BookRequest(2, seats=(0, 4)), id="one-in-basket-one-new-past-max"),
    ],
)
def test_adding_past_max_seats_is_invalid_and_changes_nothing(held, request_):
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, *held))
    before = snapshot(inventory)

    # Act / Assert
    with pytest.raises(InvalidRequest, match="a basket holds at most 4 seats"):
        inventory.add_to_hold("h1", token("h1"), request_, 1.0)
    assert snapshot(inventory) == before


@pytest.mark.req("holds")
def test_adding_up_to_exactly_max_seats_is_allowed():
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1", "A2"))

    # Act
    outcome = inventory.add_to_hold("h1", token("h1"), BookRequest(2), 1.0)

    # Assert
    assert outcome.hold.seats == ("A1", "A2", "A3", "A4")


@pytest.mark.req("holds")
@pytest.mark.req("all-or-nothing")
def test_adding_seats_any_of_which_is_taken_adds_none_of_them():
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1"))
    hold(inventory, seats(inventory, "B2"), "h2")
    book(inventory, "C3")
    before = snapshot(inventory)

    # Act
    outcome = inventory.add_to_hold("h1", token("h1"), seats(inventory, "B1", "B2", "C3"), 1.0)

    # Assert
    assert (outcome.error, outcome.unavailable, outcome.version) == ("seats_taken", ("B2", "C3"), 3)
    assert snapshot(inventory) == before


@pytest.mark.req("hold-expiry")
@pytest.mark.parametrize("swept", [False, True], ids=["due-not-yet-swept", "swept"])
def test_adding_to_an_expired_hold_is_refused_as_hold_expired(swept):
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1"), now=0.0)
    if swept:
        inventory.expire_due(10.0)
    before = snapshot(inventory)

    # Act
    outcome = inventory.add_to_hold("h1", token("h1"), seats(inventory, "A2"), 10.0)

    # Assert
    assert isinstance(outcome, Rejected)
    assert (outcome.error, outcome.unavailable) == ("hold_expired", ())
    assert snapshot(inventory) == before


# -- removing and releasing ------------------------------------------------------------------------------


@pytest.mark.req("holds")
def test_removing_one_seat_frees_it_and_keeps_the_rest_of_the_basket():
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1", "C1", "A2"))

    # Act
    outcome = inventory.remove_from_hold("h1", token("h1"), "C1", 1.0)

    # Assert
    assert (outcome.hold.seats, outcome.hold.total_price) == (("A1", "A2"), 9000)
    assert outcome.change == Change("jazz", 2, {"C1": FREE}, 10)
    assert state_of(inventory) == {"A1": HELD, "A2": HELD}


@pytest.mark.req("holds")
def test_removing_the_last_seat_leaves_an_open_empty_basket():
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "B3"))

    # Act
    outcome = inventory.remove_from_hold("h1", token("h1"), "B3", 1.0)

    # Assert
    assert (outcome.hold.seats, outcome.hold.total_price, outcome.change.changed) == ((), 0, {"B3": FREE})
    assert inventory.basket("h1", token("h1"), 1.0).seats == ()
    assert inventory.available == 12


@pytest.mark.req("holds")
@pytest.mark.parametrize("seat_id", ["A2", "B1", "Z9", "", "a1"], ids=["held-by-another", "free", "unknown",
                                                                       "empty", "lower-case"])
def test_removing_a_seat_not_in_the_basket_is_seat_not_in_hold(seat_id):
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1"))
    hold(inventory, seats(inventory, "A2"), "h2")
    before = snapshot(inventory)

    # Act / Assert
    with pytest.raises(SeatNotInHold):
        inventory.remove_from_hold("h1", token("h1"), seat_id, 1.0)
    assert snapshot(inventory) == before


@pytest.mark.req("hold-expiry")
def test_removing_from_an_expired_hold_is_refused_as_hold_expired():
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1"), now=0.0)
    before = snapshot(inventory)

    # Act
    outcome = inventory.remove_from_hold("h1", token("h1"), "A1", 10.0)

    # Assert
    assert (outcome.error, outcome.version) == ("hold_expired", 1)
    assert snapshot(inventory) == before


@pytest.mark.req("holds")
def test_releasing_frees_every_seat_of_the_basket_and_ends_the_hold():
    # Arrange
    inventory = theatre()
    held = hold(inventory, seats(inventory, "A1", "C4"))

    # Act
    outcome = inventory.release("h1", token("h1"))

    # Assert
    assert outcome == Released(held.hold, Change("jazz", 2, {"A1": FREE, "C4": FREE}, 12))
    assert (inventory.holds, state_of(inventory), inventory.next_expiry()) == ({}, {}, None)
    assert inventory.open_holds_of(CLIENT, 0.0) == []
    with pytest.raises(UnknownHold):
        inventory.basket("h1", token("h1"), 1.0)
    with pytest.raises(UnknownHold):
        inventory.release("h1", token("h1"))
    with pytest.raises(UnknownHold):
        confirm(inventory)


@pytest.mark.req("holds")
def test_releasing_an_empty_basket_changes_no_seat_but_takes_a_version_as_the_hold_ends():
    """Every end of a hold is a change other processes on the database learn of."""
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1"))
    inventory.remove_from_hold("h1", token("h1"), "A1", 1.0)

    # Act
    outcome = inventory.release("h1", token("h1"))

    # Assert
    assert (outcome.change, inventory.version, inventory.holds) == (Change("jazz", 3, {}, 12), 3, {})


# -- reading, tokens, unknown holds -----------------------------------------------------------------------


@pytest.mark.req("holds")
def test_the_basket_reads_back_while_open():
    # Arrange
    inventory = theatre()
    held = hold(inventory, seats(inventory, "B1", "B2"), now=50.0)

    # Act
    basket = inventory.basket("h1", token("h1"), 59.999)

    # Assert
    assert basket == held.hold


@pytest.mark.req("holds")
@pytest.mark.req("hold-expiry")
@pytest.mark.parametrize("ending", ["due", "swept", "confirmed", "released"])
def test_the_basket_is_unknown_once_expired_confirmed_or_released(ending):
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "B1"), now=0.0)
    if ending == "swept":
        inventory.expire_due(10.0)
    elif ending == "confirmed":
        confirm(inventory)
    elif ending == "released":
        inventory.release("h1", token("h1"))

    # Act / Assert
    with pytest.raises(UnknownHold):
        inventory.basket("h1", token("h1"), 10.0 if ending in ("due", "swept") else 1.0)


@pytest.mark.req("holds")
@pytest.mark.parametrize(
    "act",
    [
        lambda inv: inv.basket("h1", "wrong", 1.0),
        lambda inv: inv.add_to_hold("h1", "wrong", seats(inv, "A2"), 1.0),
        lambda inv: inv.add_to_hold("h1", "", BookRequest(1), 1.0),
        lambda inv: inv.remove_from_hold("h1", hash_token("token-h1"), "A1", 1.0),
        lambda inv: inv.release("h1", "token-h2"),
        lambda inv: inv.confirm("h1", "wrong", BUYER, "b1", hash_token("b"), counter()),
    ],
    ids=["basket", "add-seats", "add-quantity", "remove-with-the-stored-hash", "release-with-another-token",
         "confirm"],
)
def test_a_wrong_token_is_refused_and_changes_nothing(act):
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1"), "h1")
    hold(inventory, seats(inventory, "B1"), "h2")
    before = snapshot(inventory)

    # Act / Assert
    with pytest.raises(WrongToken):
        act(inventory)
    assert snapshot(inventory) == before


@pytest.mark.req("hold-expiry")
def test_a_wrong_token_is_refused_for_an_expired_hold_too():
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1"), now=0.0)
    inventory.expire_due(10.0)
    before = snapshot(inventory)

    # Act / Assert
    with pytest.raises(WrongToken):
        inventory.confirm("h1", "wrong", BUYER, "b1", hash_token("b"), counter())
    assert snapshot(inventory) == before


@pytest.mark.req("holds")
@pytest.mark.parametrize(
    "act",
    [
        lambda inv: inv.basket("nope", "t", 1.0),
        lambda inv: inv.add_to_hold("nope", "t", BookRequest(1), 1.0),
        lambda inv: inv.remove_from_hold("nope", "t", "A1", 1.0),
        lambda inv: inv.release("nope", "t"),
        lambda inv: inv.confirm("nope", "t", BUYER, "b1", hash_token("b"), counter()),
        lambda inv: inv.confirm("", "", BUYER, "b1", hash_token("b"), counter()),
    ],
    ids=["basket", "add", "remove", "release", "confirm", "confirm-empty-id"],
)
def test_an_unknown_hold_is_unknown_hold_and_changes_nothing(act):
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1"))
    before = snapshot(inventory)

    # Act / Assert
    with pytest.raises(UnknownHold):
        act(inventory)
    assert snapshot(inventory) == before


# -- checkout ---------------------------------------------------------------------------------------------


@pytest.mark.req("checkout")
def test_confirming_an_open_hold_books_its_seats_for_the_buyer():
    # Arrange
    inventory = theatre()
    held = hold(inventory, seats(inventory, "A2", "C1"))
    inventory.add_to_hold("h1", token("h1"), seats(inventory, "C2"), 1.0)

    # Act
    outcome = confirm(inventory, references=lambda: "K7Q-M4ZP")

    # Assert
    assert isinstance(outcome, Confirmed)
    assert outcome.hold.seats == ("A2", "C1", "C2")
    assert outcome.booking == Booking("b1", hash_token("token-b1"), ("A2", "C1", "C2"), "K7Q-M4ZP", 9500,
                                      "Ada Lovelace", "ada@example.com")
    assert outcome.change == Change("jazz", 3, {"A2": BOOKED, "C1": BOOKED, "C2": BOOKED}, 9)
    assert state_of(inventory) == {"A2": BOOKED, "C1": BOOKED, "C2": BOOKED}
    assert (inventory.holds, inventory.expired_holds, inventory.bookings) == ({}, {}, {"b1": outcome.booking})
    assert held.hold.id not in inventory.holds
    assert inventory.open_holds_of(CLIENT, 1.0) == []


@pytest.mark.req("checkout")
@pytest.mark.req("cancellation")
def test_a_confirmed_booking_is_cancelled_with_the_booking_token_not_the_hold_token():
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1"))
    confirm(inventory)

    # Act / Assert
    with pytest.raises(WrongToken):
        inventory.cancel("b1", token("h1"))
    cancelled = inventory.cancel("b1", "token-b1")
    assert (cancelled.change.changed, inventory.available) == ({"A1": FREE}, 12)


@pytest.mark.req("checkout")
def test_confirming_twice_is_unknown_hold_the_second_time():
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1"))
    confirm(inventory)
    before = snapshot(inventory)

    # Act / Assert
    with pytest.raises(UnknownHold):
        confirm(inventory, booking_id="b2")
    assert snapshot(inventory) == before


@pytest.mark.req("checkout")
@pytest.mark.parametrize("expired", [False, True], ids=["open", "expired"])
def test_confirming_an_empty_basket_is_basket_empty_and_changes_nothing(expired):
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1"))
    inventory.remove_from_hold("h1", token("h1"), "A1", 1.0)
    if expired:
        inventory.expire_due(10.0)
    before = snapshot(inventory)
    ask = counter()

    # Act
    outcome = confirm(inventory, references=ask)

    # Assert
    assert (outcome.error, outcome.unavailable, outcome.available) == ("basket_empty", (), 12)
    assert outcome.version == (3 if expired else 2)  # an expiry takes a version, even of an empty basket
    assert snapshot(inventory) == before
    assert ask() == "REF-1", "no reference is used"


@pytest.mark.req("checkout")
@pytest.mark.req("hold-expiry")
def test_confirming_after_expiry_succeeds_when_nobody_took_the_seats_since():
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1", "C1"), now=0.0)
    inventory.expire_due(10.0)
    hold(inventory, seats(inventory, "A2"), "h2", now=11.0)  # someone else, other seats

    # Act
    outcome = confirm(inventory)

    # Assert
    assert isinstance(outcome, Confirmed)
    assert (outcome.booking.seats, outcome.booking.total_price) == (("A1", "C1"), 7000)
    assert outcome.change == Change("jazz", 4, {"A1": BOOKED, "C1": BOOKED}, 9)
    assert state_of(inventory) == {"A1": BOOKED, "A2": HELD, "C1": BOOKED}
    assert "h1" not in inventory.expired_holds
    with pytest.raises(UnknownHold):
        confirm(inventory, booking_id="b2")


@pytest.mark.req("checkout")
@pytest.mark.req("hold-expiry")
@pytest.mark.parametrize(
    ("taken_by", "unavailable"),
    [
        pytest.param({"book": ("A2",)}, ("A2",), id="one-booked"),
        pytest.param({"hold": ("C1",)}, ("C1",), id="one-held"),
        pytest.param({"book": ("C1",), "hold": ("A1",)}, ("A1", "C1"), id="two-in-basket-order"),
        pytest.param({"book": ("A1", "A2", "C1")}, ("A1", "A2", "C1"), id="all"),
    ],
)
def test_confirming_after_expiry_when_seats_were_taken_since_is_hold_expired_naming_exactly_them(
    taken_by, unavailable
):
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1", "A2", "C1"), now=0.0)
    inventory.expire_due(10.0)
    if "book" in taken_by:
        book(inventory, *taken_by["book"], "B4")  # B4 is not the hold's: never named
    if "hold" in taken_by:
        hold(inventory, seats(inventory, *taken_by["hold"]), "h2", now=11.0)
    before = snapshot(inventory)

    # Act
    outcome = confirm(inventory)

    # Assert
    assert isinstance(outcome, Rejected)
    assert (outcome.error, outcome.unavailable) == ("hold_expired", unavailable)
    assert (outcome.available, outcome.version) == (inventory.available, inventory.version)
    assert snapshot(inventory) == before


@pytest.mark.req("checkout")
@pytest.mark.req("hold-expiry")
def test_confirm_and_expiry_exactly_one_wins_whichever_comes_first():
    # Arrange
    confirmed_first, expired_first = theatre(), theatre()
    for inventory in (confirmed_first, expired_first):
        hold(inventory, seats(inventory, "A1"), now=0.0)

    # Act
    won = confirm(confirmed_first)
    swept_after = confirmed_first.expire_due(10.0)
    swept = expired_first.expire_due(10.0)
    late = confirm(expired_first)

    # Assert
    assert isinstance(won, Confirmed) and swept_after == []
    assert confirmed_first.version == 2
    assert len(swept) == 1 and isinstance(late, Confirmed)
    assert [swept[0].change.version, late.change.version] == [2, 3]
    assert state_of(confirmed_first) == state_of(expired_first) == {"A1": BOOKED}


@pytest.mark.req("references")
@pytest.mark.req("checkout")
def test_a_confirm_asks_again_for_a_reference_already_used_in_the_show():
    # Arrange
    inventory = theatre(bookings=[Booking("old", "h", ("B4",), "K7Q-M4ZP")])
    inventory.book(seats(inventory, "B3"), "b0", hash_token("x"), lambda: "ABC-DEFG")
    hold(inventory, seats(inventory, "A1"))
    offers = iter(["K7Q-M4ZP", "ABC-DEFG", "NEW-CODE"])

    # Act
    outcome = confirm(inventory, references=lambda: next(offers))

    # Assert
    assert outcome.booking.reference == "NEW-CODE"
    assert next(offers, None) is None
    assert {"K7Q-M4ZP", "ABC-DEFG", "NEW-CODE"} <= inventory.references


# -- expiry -----------------------------------------------------------------------------------------------


@pytest.mark.req("hold-expiry")
def test_expiry_counts_from_creation_and_adding_seats_does_not_extend_it():
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1"), now=0.0)
    added = inventory.add_to_hold("h1", token("h1"), seats(inventory, "A2"), 9.0)

    # Act
    early = inventory.expire_due(9.999)
    due = inventory.expire_due(10.0)

    # Assert
    assert added.hold.expires_at == 10.0
    assert early == []
    assert [e.hold.id for e in due] == ["h1"]
    assert due[0].change == Change("jazz", 3, {"A1": FREE, "A2": FREE}, 12)


@pytest.mark.req("hold-expiry")
def test_expire_due_ends_each_due_hold_oldest_first_as_a_change_of_its_own():
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1", "A2"), "early", now=0.0)
    hold(inventory, seats(inventory, "C1"), "later", now=3.0)
    hold(inventory, seats(inventory, "B1"), "not-yet", now=6.0)
    book(inventory, "A4")

    # Act
    expired = inventory.expire_due(15.0)

    # Assert
    assert expired == [
        Expired(inventory.expired_holds["early"], Change("jazz", 5, {"A1": FREE, "A2": FREE}, 9)),
        Expired(inventory.expired_holds["later"], Change("jazz", 6, {"C1": FREE}, 10)),
    ]
    assert state_of(inventory) == {"A4": BOOKED, "B1": HELD}
    assert set(inventory.holds) == {"not-yet"}
    assert set(inventory.expired_holds) == {"early", "later"}
    assert inventory.next_expiry() == 16.0


@pytest.mark.req("hold-expiry")
def test_an_empty_hold_expires_with_a_change_of_no_seats():
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1"), "empty", now=0.0)
    inventory.remove_from_hold("empty", token("empty"), "A1", 1.0)
    hold(inventory, seats(inventory, "B1"), "full", now=0.5)

    # Act
    expired = inventory.expire_due(20.0)

    # Assert
    assert [(e.hold.id, e.change) for e in expired] == [
        ("empty", Change("jazz", 4, {}, 11)), ("full", Change("jazz", 5, {"B1": FREE}, 12)),
    ]
    assert inventory.version == 5


@pytest.mark.req("hold-expiry")
def test_expire_due_skips_holds_already_confirmed_or_released():
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1"), "confirmed", now=0.0)
    hold(inventory, seats(inventory, "A2"), "released", now=0.0)
    confirm(inventory, "confirmed")
    inventory.release("released", token("released"))

    # Act
    expired = inventory.expire_due(100.0)

    # Assert
    assert (expired, inventory.version, inventory.expired_holds, inventory.next_expiry()) == ([], 4, {}, None)


@pytest.mark.req("hold-expiry")
def test_next_expiry_is_the_earliest_open_hold():
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1"), "a", now=5.0)
    hold(inventory, seats(inventory, "A2"), "b", now=2.0)
    hold(inventory, seats(inventory, "A3"), "c", now=8.0)

    # Act
    first = inventory.next_expiry()
    inventory.release("b", token("b"))
    second = inventory.next_expiry()
    inventory.expire_due(15.0)
    third = inventory.next_expiry()

    # Assert
    assert (first, second, third) == (12.0, 15.0, 18.0)


@pytest.mark.req("hold-expiry")
def test_open_holds_of_a_client_are_only_its_holds_not_yet_past_their_expiry():
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1"), "a", now=0.0)
    hold(inventory, seats(inventory, "A2"), "b", now=5.0)
    hold(inventory, seats(inventory, "A3"), "c", now=5.0, client="198.51.100.1")

    # Act
    expiries = [sorted(inventory.open_holds_of(CLIENT, now)) for now in (0.0, 9.999, 10.0, 14.999, 15.0)]

    # Assert: each open hold's expiry time, so the shell can say when a slot frees up
    assert expiries == [[10.0, 15.0], [10.0, 15.0], [15.0], [15.0], []]
    assert inventory.open_holds_of("198.51.100.1", 0.0) == [15.0]
    assert inventory.open_holds_of("192.0.2.1", 0.0) == []


@pytest.mark.req("hold-expiry")
def test_forgotten_expired_holds_can_no_longer_be_confirmed():
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1"), "a", now=0.0)
    hold(inventory, seats(inventory, "A2"), "b", now=5.0)
    inventory.expire_due(20.0)

    # Act
    forgotten = inventory.forget_expired(15.001)

    # Assert
    assert forgotten == 2
    assert not inventory.knows_hold("a") and not inventory.knows_hold("b")
    with pytest.raises(UnknownHold):
        confirm(inventory, "a")
    assert state_of(inventory) == {}


@pytest.mark.req("hold-expiry")
@pytest.mark.parametrize(
    ("before", "forgotten", "remembered"),
    [(10.0, 0, {"a", "b"}), (10.001, 1, {"b"}), (15.0, 1, {"b"}), (15.001, 2, set())],
)
def test_forget_expired_forgets_holds_that_expired_strictly_before_the_time(before, forgotten, remembered):
    # Arrange
    inventory = theatre()
    hold(inventory, seats(inventory, "A1"), "a", now=0.0)
    hold(inventory, seats(inventory, "A2"), "b", now=5.0)
    inventory.expire_due(20.0)

    # Act
    count = inventory.forget_expired(before)

    # Assert
    assert count == forgotten
    assert set(inventory.expired_holds) == remembered


# -- loading ----------------------------------------------------------------------------------------------


@pytest.mark.req("hold-expiry")
@pytest.mark.req("durability")
def test_holds_loaded_at_start_up_are_held_expire_and_can_be_confirmed_late():
    # Arrange
    open_hold = Hold("open", hash_token("token-open"), ("A1", "A2"), CLIENT, 0.0, 10.0, 9000)
    expired = Hold("late", hash_token("token-late"), ("C1",), CLIENT, -20.0, -10.0, 2500)
    inventory = theatre(version=30, holds=[open_hold], expired_holds=[expired])

    # Act
    states = state_of(inventory)
    late = confirm(inventory, "late")
    swept = inventory.expire_due(10.0)

    # Assert
    assert states == {"A1": HELD, "A2": HELD}
    assert (late.booking.seats, late.booking.total_price, late.change.version) == (("C1",), 2500, 31)
    assert [(e.hold.id, e.change.version) for e in swept] == [("open", 32)]
    assert state_of(inventory) == {"C1": BOOKED}
