"""One show's inventory under random interleavings of everything that can happen
to it (hypothesis, stateful): bookings, holds, adding to and taking from baskets,
releases, confirms (with right and wrong tokens, on time and late), cancellations,
the clock jumping forward and sweeping due holds, forgetting old expired holds.

A small independent model (which seat belongs to which basket or booking) says
what every call must answer. Checked after every step: each seat's state, the free
count, no seat in two baskets or bookings, baskets and bookings seat for seat,
prices, each client's open holds and the next expiry. Checked for every change:
versions gapless from 0, `changed` exactly the seats that moved, `available` right.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from booking.errors import InvalidRequest, SeatNotInHold, UnknownBooking, UnknownHold, WrongToken
from booking.inventory import (
    BOOKED,
    FREE,
    HELD,
    Booked,
    Cancelled,
    Change,
    Confirmed,
    Held,
    HoldUpdated,
    Inventory,
    Policy,
    Rejected,
    Released,
    hash_token,
)
from booking.layout import Layout
from booking.requests import BookRequest, Buyer

# Stalls at 3000: rows A (5) and B (4); Balcony at 1500: rows C (3) and D (4).
LAYOUT = Layout([("Stalls", 3000, [("A", 5, ()), ("B", 4, ())]), ("Balcony", 1500, [("C", 3, ()), ("D", 4, ())])])
TOTAL = LAYOUT.total
HOLD_SECONDS = 10.0
MAX_SEATS = 4
CLIENTS = ("198.51.100.1", "198.51.100.2")
BUYER = Buyer("Ada", "ada@example.com")
RANK = {seat: position for position, seat in enumerate(LAYOUT.best_order())}

REQUESTS = st.one_of(
    st.lists(st.integers(0, TOTAL - 1), min_size=1, max_size=MAX_SEATS, unique=True).map(
        lambda picks: BookRequest(len(picks), tuple(picks))),
    st.builds(BookRequest, st.integers(1, MAX_SEATS), st.none(), st.sampled_from([None, 0, 1])),
)
ADD_REQUESTS = st.one_of(  # smaller, so that most additions fit in a basket
    st.lists(st.integers(0, TOTAL - 1), min_size=1, max_size=3, unique=True).map(
        lambda picks: BookRequest(len(picks), tuple(picks))),
    st.builds(BookRequest, st.integers(1, 2), st.none(), st.sampled_from([None, 0, 1])),
)
RIGHT_TOKEN = st.sampled_from([True, True, True, False])


@dataclass
class ModelHold:
    id: str
    token: str
    client: str
    expires_at: float
    seats: list[int] = field(default_factory=list)


@dataclass
class ModelBooking:
    id: str
    token: str
    seats: list[int]


def best_available(free: set[int], quantity: int, section: int | None) -> list[int]:
    """The contract's rule by brute force: for n >= 2 the best adjacent block that
    strands no single free seat beside it (any row), else the best block, else the
    best single seats. Blocks: front row first, then closest to the row's middle,
    left before right."""
    rows = range(len(LAYOUT.rows)) if section is None else LAYOUT.sections[section].rows

    def is_free(row: range, offset: int) -> bool:
        return 0 <= offset < len(row) and row[offset] in free

    def strands(row: range, s: int) -> bool:
        return ((is_free(row, s - 1) and not is_free(row, s - 2))
                or (is_free(row, s + quantity) and not is_free(row, s + quantity + 1)))

    if quantity > 1:
        for orphan_free in (True, False):
            for r in rows:
                row = LAYOUT.rows[r]
                starts = [s for s in range(len(row) - quantity + 1)
                          if all(is_free(row, s + k) for k in range(quantity))
                          and not (orphan_free and strands(row, s))]
                if starts:
                    m = len(row)
                    best = min(starts, key=lambda s, m=m: (abs(2 * s + quantity - m), s))
                    return list(row[best:best + quantity])
    in_rows = [i for i in free if LAYOUT.row_index_of(i) in rows]
    return sorted(in_rows, key=RANK.__getitem__)[:quantity]


def ids(indexes) -> tuple[str, ...]:
    return tuple(LAYOUT.seat_id(i) for i in indexes)


def price(indexes) -> int:
    return sum(LAYOUT.price_of(i) for i in indexes)


class InventoryMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.inventory = Inventory("jazz", LAYOUT, Policy(hold_seconds=HOLD_SECONDS, max_seats=MAX_SEATS))
        # Another process on the same database: it only applies what the first decided.
        self.replica = Inventory("jazz", LAYOUT, Policy(hold_seconds=HOLD_SECONDS, max_seats=MAX_SEATS))
        self.now = 1000.0
        self.owner: dict[int, str] = {}  # seat index -> hold id ("h…") or booking id ("b…")
        self.open: dict[str, ModelHold] = {}
        self.expired: dict[str, ModelHold] = {}
        self.bookings: dict[str, ModelBooking] = {}
        self.gone_holds: list[str] = []  # released, confirmed or forgotten: unknown from now on
        self.gone_bookings: list[str] = []
        self.versions: list[int] = []  # every Change's version, in the order they came
        self.numbers = itertools.count(1)
        # Each reference is offered twice, so a confirm or book is often offered a used one.
        references = (f"R-{n // 2}" for n in itertools.count())
        self.references = lambda: next(references)

    # -- the model's answers --------------------------------------------------------------------------------

    @property
    def free(self) -> set[int]:
        return set(range(TOTAL)) - set(self.owner)

    @property
    def version(self) -> int:
        return len(self.versions)

    def choose(self, request: BookRequest) -> list[int] | tuple[str, tuple[str, ...]]:
        """The seats a book or hold request gets, or (error, unavailable)."""
        if request.seats is not None:
            taken = ids(i for i in request.seats if i in self.owner)
            return ("seats_taken", taken) if taken else list(request.seats)
        free = self.free
        if request.section is not None:
            free = {i for i in free if LAYOUT.row_section[LAYOUT.row_index_of(i)] == request.section}
        if request.quantity > len(free):
            return ("sold_out", ())
        return best_available(free, request.quantity, request.section)

    def check_rejected(self, outcome: object, error: str, unavailable: tuple[str, ...]) -> None:
        assert isinstance(outcome, Rejected), outcome
        assert (outcome.error, outcome.unavailable) == (error, unavailable)
        assert (outcome.available, outcome.version) == (len(self.free), self.version)

    def check_change(self, outcome: object, moved: dict[int, str], ends_hold: bool = False) -> None:
        """`moved` must already be applied to the model. A hold that ends takes a
        version even when its basket was empty. The replica applies the outcome."""
        change: Change | None = outcome.change
        self.replica.apply(outcome)
        if not moved and not ends_hold:
            assert change is None
            return
        assert change is not None
        assert change.show == "jazz"
        assert change.version == self.version + 1, "versions are gapless"
        assert change.changed == {LAYOUT.seat_id(i): state for i, state in moved.items()}
        assert change.available == len(self.free)
        self.versions.append(change.version)

    def pick_hold(self, pick: int) -> str:
        """Mostly a hold the inventory knows (open or expired); now and then one it
        does not (released, confirmed, forgotten, never made)."""
        known = sorted(self.open) + sorted(self.expired)
        unknown = [*self.gone_holds[-2:], "h-never"]
        return known[pick % len(known)] if known and pick % 8 else unknown[pick % len(unknown)]

    def hold_of(self, hold_id: str) -> ModelHold | None:
        return self.open.get(hold_id) or self.expired.get(hold_id)

    def token_for(self, hold_id: str, right: bool) -> str:
        return f"t-{hold_id}" if right else "wrong"

    # -- rules --------------------------------------------------------------------------------------------

    @rule(request=REQUESTS)
    def book(self, request: BookRequest) -> None:
        booking_id = f"b{next(self.numbers)}"
        expected = self.choose(request)

        outcome = self.inventory.book(request, booking_id, hash_token(f"t-{booking_id}"), self.references)

        if isinstance(expected, tuple):
            self.check_rejected(outcome, *expected)
            return
        assert isinstance(outcome, Booked)
        assert outcome.booking.seats == ids(expected)
        assert outcome.booking.total_price == price(expected)
        self.bookings[booking_id] = ModelBooking(booking_id, f"t-{booking_id}", expected)
        self.owner.update(dict.fromkeys(expected, booking_id))
        self.check_change(outcome, dict.fromkeys(expected, BOOKED))

    @rule(request=REQUESTS, client=st.sampled_from(CLIENTS))
    def hold(self, request: BookRequest, client: str) -> None:
        hold_id = f"h{next(self.numbers)}"
        expected = self.choose(request)

        outcome = self.inventory.hold(request, hold_id, hash_token(f"t-{hold_id}"), client, self.now)

        if isinstance(expected, tuple):
            self.check_rejected(outcome, *expected)
            return
        assert isinstance(outcome, Held)
        assert (outcome.hold.seats, outcome.hold.total_price) == (ids(expected), price(expected))
        assert (outcome.hold.created_at, outcome.hold.expires_at) == (self.now, self.now + HOLD_SECONDS)
        self.open[hold_id] = ModelHold(hold_id, f"t-{hold_id}", client, self.now + HOLD_SECONDS, list(expected))
        self.owner.update(dict.fromkeys(expected, hold_id))
        self.check_change(outcome, dict.fromkeys(expected, HELD))

    @rule(pick=st.integers(0, 1000), request=ADD_REQUESTS, right=RIGHT_TOKEN)
    @precondition(lambda self: self.open or self.expired)
    def add(self, pick: int, request: BookRequest, right: bool) -> None:
        hold_id = self.pick_hold(pick)
        hold = self.hold_of(hold_id)
        act = lambda: self.inventory.add_to_hold(hold_id, self.token_for(hold_id, right), request, self.now)  # noqa: E731

        if hold is None:
            with pytest.raises(UnknownHold):
                act()
            return
        if not right:
            with pytest.raises(WrongToken):
                act()
            return
        if hold_id in self.expired or hold.expires_at <= self.now:
            self.check_rejected(act(), "hold_expired", ())
            return
        if request.seats is not None:
            new = tuple(i for i in request.seats if self.owner.get(i) != hold_id)
            if not new:
                outcome = act()
                assert isinstance(outcome, HoldUpdated)
                assert outcome.change is None
                assert outcome.hold.seats == ids(hold.seats)
                return
            wanted = BookRequest(len(new), new)
        else:
            wanted = request
        if len(hold.seats) + wanted.quantity > MAX_SEATS:
            with pytest.raises(InvalidRequest, match="at most 4 seats"):
                act()
            return
        expected = self.choose(wanted)

        outcome = act()

        if isinstance(expected, tuple):
            self.check_rejected(outcome, *expected)
            return
        assert isinstance(outcome, HoldUpdated)
        hold.seats.extend(expected)
        assert (outcome.hold.seats, outcome.hold.total_price) == (ids(hold.seats), price(hold.seats))
        assert outcome.hold.expires_at == hold.expires_at, "adding seats does not extend a hold"
        self.owner.update(dict.fromkeys(expected, hold_id))
        self.check_change(outcome, dict.fromkeys(expected, HELD))

    @rule(pick=st.integers(0, 1000), seat=st.integers(0, 1000), in_basket=st.sampled_from([True, True, False]),
          right=RIGHT_TOKEN)
    @precondition(lambda self: self.open or self.expired)
    def remove(self, pick: int, seat: int, in_basket: bool, right: bool) -> None:
        hold_id = self.pick_hold(pick)
        hold = self.hold_of(hold_id)
        index = hold.seats[seat % len(hold.seats)] if hold and hold.seats and in_basket else seat % TOTAL
        seat_id = LAYOUT.seat_id(index)
        act = lambda: self.inventory.remove_from_hold(hold_id, self.token_for(hold_id, right), seat_id, self.now)  # noqa: E731

        if hold is None:
            with pytest.raises(UnknownHold):
                act()
        elif not right:
            with pytest.raises(WrongToken):
                act()
        elif hold_id in self.expired or hold.expires_at <= self.now:
            self.check_rejected(act(), "hold_expired", ())
        elif index not in hold.seats:
            with pytest.raises(SeatNotInHold):
                act()
        else:
            outcome = act()
            assert isinstance(outcome, HoldUpdated)
            hold.seats.remove(index)
            del self.owner[index]
            assert (outcome.hold.seats, outcome.hold.total_price) == (ids(hold.seats), price(hold.seats))
            self.check_change(outcome, {index: FREE})

    @rule(pick=st.integers(0, 1000), right=RIGHT_TOKEN)
    @precondition(lambda self: self.open or self.expired)
    def release(self, pick: int, right: bool) -> None:
        hold_id = self.pick_hold(pick)
        act = lambda: self.inventory.release(hold_id, self.token_for(hold_id, right))  # noqa: E731

        if hold_id not in self.open:  # release ends an open hold only (due or not)
            with pytest.raises(UnknownHold):
                act()
        elif not right:
            with pytest.raises(WrongToken):
                act()
        else:
            outcome = act()
            assert isinstance(outcome, Released)
            hold = self.open.pop(hold_id)
            self.gone_holds.append(hold_id)
            assert outcome.hold.seats == ids(hold.seats)
            for i in hold.seats:
                del self.owner[i]
            self.check_change(outcome, dict.fromkeys(hold.seats, FREE), ends_hold=True)

    @rule(pick=st.integers(0, 1000), right=RIGHT_TOKEN)
    @precondition(lambda self: self.open or self.expired)
    def confirm(self, pick: int, right: bool) -> None:
        hold_id = self.pick_hold(pick)
        hold = self.hold_of(hold_id)
        booking_id = f"b{next(self.numbers)}"
        act = lambda: self.inventory.confirm(hold_id, self.token_for(hold_id, right), BUYER, booking_id,  # noqa: E731
                                             hash_token(f"t-{booking_id}"), self.references)

        if hold is None:
            with pytest.raises(UnknownHold):
                act()
            return
        if not right:
            with pytest.raises(WrongToken):
                act()
            return
        if not hold.seats:
            self.check_rejected(act(), "basket_empty", ())
            return
        if hold_id in self.expired:
            taken = ids(i for i in hold.seats if i in self.owner)
            if taken:  # a late confirm loses exactly when some of its seats were taken since
                self.check_rejected(act(), "hold_expired", taken)
                return
        outcome = act()
        assert isinstance(outcome, Confirmed)
        assert outcome.booking.seats == ids(hold.seats)
        assert (outcome.booking.total_price, outcome.booking.name, outcome.booking.email) == (
            price(hold.seats), "Ada", "ada@example.com")
        self.open.pop(hold_id, None)
        self.expired.pop(hold_id, None)
        self.gone_holds.append(hold_id)
        self.bookings[booking_id] = ModelBooking(booking_id, f"t-{booking_id}", list(hold.seats))
        self.owner.update(dict.fromkeys(hold.seats, booking_id))
        self.check_change(outcome, dict.fromkeys(hold.seats, BOOKED))

    @rule(pick=st.integers(0, 3), right=RIGHT_TOKEN)
    def unknown_hold(self, pick: int, right: bool) -> None:
        unknown = [*self.gone_holds[-2:], "h-never"]
        hold_id = unknown[pick % len(unknown)]
        token = self.token_for(hold_id, right)
        calls = [
            lambda: self.inventory.basket(hold_id, token, self.now),
            lambda: self.inventory.add_to_hold(hold_id, token, BookRequest(1), self.now),
            lambda: self.inventory.remove_from_hold(hold_id, token, "A1", self.now),
            lambda: self.inventory.release(hold_id, token),
            lambda: self.inventory.confirm(hold_id, token, BUYER, "b-x", hash_token("t-b-x"), self.references),
        ]

        for call in calls:
            with pytest.raises(UnknownHold):
                call()

    @rule(pick=st.integers(0, 1000), right=RIGHT_TOKEN)
    def cancel(self, pick: int, right: bool) -> None:
        known = sorted(self.bookings) + self.gone_bookings[-3:] + ["b-never"]
        booking_id = known[pick % len(known)]
        act = lambda: self.inventory.cancel(booking_id, f"t-{booking_id}" if right else "wrong")  # noqa: E731

        if booking_id not in self.bookings:
            with pytest.raises(UnknownBooking):
                act()
        elif not right:
            with pytest.raises(WrongToken):
                act()
        else:
            outcome = act()
            assert isinstance(outcome, Cancelled)
            booking = self.bookings.pop(booking_id)
            self.gone_bookings.append(booking_id)
            for i in booking.seats:
                del self.owner[i]
            self.check_change(outcome, dict.fromkeys(booking.seats, FREE))

    @rule(seconds=st.integers(0, 15))
    def time_passes(self, seconds: int) -> None:
        self.now += seconds
        due = sorted((hold.expires_at, hold_id) for hold_id, hold in self.open.items()
                     if hold.expires_at <= self.now)

        expired = self.inventory.expire_due(self.now)

        assert [e.hold.id for e in expired] == [hold_id for _, hold_id in due], "every due hold, oldest first"
        for outcome in expired:
            hold = self.open.pop(outcome.hold.id)
            self.expired[hold.id] = hold
            assert outcome.hold.seats == ids(hold.seats)
            for i in hold.seats:  # frees exactly what that hold held
                assert self.owner.pop(i) == hold.id
            self.check_change(outcome, dict.fromkeys(hold.seats, FREE), ends_hold=True)
        assert all(hold.expires_at > self.now for hold in self.inventory.holds.values())

    @rule(back=st.integers(0, 60))
    def forget_expired(self, back: int) -> None:
        before = self.now - back
        forgotten = [hold_id for hold_id, hold in self.expired.items() if hold.expires_at < before]

        count = self.inventory.forget_expired(before)
        self.replica.forget_expired(before)

        assert count == len(forgotten)
        for hold_id in forgotten:
            del self.expired[hold_id]
            self.gone_holds.append(hold_id)

    @rule(pick=st.integers(0, 1000))
    @precondition(lambda self: self.open or self.expired)
    def read_basket(self, pick: int) -> None:
        hold_id = self.pick_hold(pick)
        hold = self.open.get(hold_id)
        if hold is None or hold.expires_at <= self.now:
            with pytest.raises(UnknownHold):
                self.inventory.basket(hold_id, f"t-{hold_id}", self.now)
            return
        basket = self.inventory.basket(hold_id, f"t-{hold_id}", self.now)
        assert (basket.seats, basket.total_price, basket.client) == (ids(hold.seats), price(hold.seats), hold.client)

    # -- invariants -------------------------------------------------------------------------------------------

    @invariant()
    def every_seat_is_in_the_state_the_model_says(self) -> None:
        expected = [FREE if i not in self.owner else HELD if self.owner[i].startswith("h") else BOOKED
                    for i in range(TOTAL)]
        assert self.inventory.states() == expected
        assert self.inventory.available == expected.count(FREE) == len(self.free)
        assert self.inventory.version == self.version
        assert self.versions == list(range(1, self.version + 1))

    @invariant()
    def no_seat_is_in_two_baskets_or_bookings(self) -> None:
        owners: dict[str, str] = {}
        for owner_id, seat_ids in itertools.chain(
            ((h.id, h.seats) for h in self.inventory.holds.values()),
            ((b.id, b.seats) for b in self.inventory.bookings.values()),
        ):
            for seat_id in seat_ids:
                assert seat_id not in owners, f"{seat_id} in {owners[seat_id]} and {owner_id}"
                owners[seat_id] = owner_id
        assert owners == {LAYOUT.seat_id(i): owner for i, owner in self.owner.items()}

    @invariant()
    def baskets_and_bookings_are_what_the_model_says(self) -> None:
        inventory = self.inventory
        assert set(inventory.holds) == set(self.open)
        assert set(inventory.expired_holds) == set(self.expired)
        assert set(inventory.bookings) == set(self.bookings)
        for hold_id, hold in self.open.items():
            actual = inventory.holds[hold_id]
            assert (actual.seats, actual.total_price, actual.expires_at) == (
                ids(hold.seats), price(hold.seats), hold.expires_at)
        for booking_id, booking in self.bookings.items():
            assert inventory.bookings[booking_id].seats == ids(booking.seats)
        references = [b.reference for b in inventory.bookings.values()]
        assert len(references) == len(set(references)), "references are unique in a show"

    @invariant()
    def a_replica_applying_every_decision_is_the_same_inventory(self) -> None:
        primary, replica = self.inventory, self.replica
        assert replica.states() == primary.states()
        assert (replica.version, replica.available) == (primary.version, primary.available)
        assert replica.holds == primary.holds
        assert replica.expired_holds == primary.expired_holds
        assert replica.bookings == primary.bookings
        assert replica.next_expiry() == primary.next_expiry()

    @invariant()
    def open_holds_and_next_expiry_are_right(self) -> None:
        for client in CLIENTS:
            expected = sorted(h.expires_at for h in self.open.values()
                              if h.client == client and h.expires_at > self.now)
            assert sorted(self.inventory.open_holds_of(client, self.now)) == expected
        expiries = [h.expires_at for h in self.open.values()]
        assert self.inventory.next_expiry() == (min(expiries) if expiries else None)


TestInventory = InventoryMachine.TestCase
TestInventory.settings = settings(
    max_examples=200, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow],
)
for requirement in ("holds", "hold-expiry", "checkout", "all-or-nothing", "best-available", "references", "versions"):
    TestInventory = pytest.mark.req(requirement)(TestInventory)
