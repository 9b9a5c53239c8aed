"""One show's seats, holds and bookings, and every decision that changes them.

`Inventory` is the single in-memory source of decisions for a show. It is not
thread-safe or async-aware and reads no clock: the application layer calls it
inside the show's lock, passes the time in, and persists every result that
carries a `Change` before acknowledging anything. Every change of seat state
takes the show's next version, so versions are gapless and in decision order.

A seat is free, held (in somebody's basket) or booked. A hold expires
`hold_seconds` after it was created (adding seats does not extend it); an expired
hold is remembered so that a late confirm still wins when its seats are untouched.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from booking.errors import InvalidRequest, SeatNotInHold, UnknownBooking, UnknownHold, WrongToken
from booking.free_seats import FreeSeats
from booking.layout import Layout
from booking.requests import BookRequest, Buyer

FREE = "free"
HELD = "held"
BOOKED = "booked"
STATE_CODES = {FREE: "f", HELD: "h", BOOKED: "b"}  # the compact snapshot's letters
_CODE_STATE = {ord(code): state for state, code in STATE_CODES.items()}
_F, _H, _B = (ord(STATE_CODES[s]) for s in (FREE, HELD, BOOKED))


def hash_token(token: str) -> str:
    """Tokens are stored hashed, so a copy of the database cannot act for anyone."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Policy:
    """A show's limits: how long a hold lasts, how many seats one basket or
    booking may take."""

    hold_seconds: float = 600.0
    max_seats: int = 10


@dataclass(frozen=True)
class Booking:
    id: str
    token_hash: str
    seats: tuple[str, ...]
    reference: str
    total_price: int = 0
    name: str = ""
    email: str = ""


@dataclass(frozen=True)
class Hold:
    id: str
    token_hash: str
    seats: tuple[str, ...]
    client: str
    created_at: float
    expires_at: float
    total_price: int = 0


@dataclass(frozen=True)
class Change:
    """One committed step of a show: its version and the seats it moved."""

    show: str
    version: int
    changed: dict[str, str]
    available: int


@dataclass(frozen=True)
class Rejected:
    """A request that was decided and lost; nothing changed."""

    error: str  # "sold_out", "seats_taken", "hold_expired" or "basket_empty"
    message: str
    unavailable: tuple[str, ...]
    available: int
    version: int


@dataclass(frozen=True)
class Booked:
    booking: Booking
    change: Change


@dataclass(frozen=True)
class Cancelled:
    booking: Booking
    change: Change


@dataclass(frozen=True)
class Held:
    """A new basket."""

    hold: Hold
    change: Change


@dataclass(frozen=True)
class HoldUpdated:
    """Seats added to or taken out of a basket (no change when nothing moved)."""

    hold: Hold
    change: Change | None


@dataclass(frozen=True)
class Released:
    """A hold ended by its buyer (a change even for an empty basket: the hold ends)."""

    hold: Hold
    change: Change


@dataclass(frozen=True)
class Expired:
    """A hold ended by time (a change even for an empty basket: the hold ends)."""

    hold: Hold
    change: Change


@dataclass(frozen=True)
class Confirmed:
    hold: Hold
    booking: Booking
    change: Change


Result = Booked | Cancelled | Held | HoldUpdated | Released | Expired | Confirmed


class Inventory:
    def __init__(
        self,
        show: str,
        layout: Layout,
        policy: Policy = Policy(),
        version: int = 0,
        bookings: Iterable[Booking] = (),
        holds: Iterable[Hold] = (),
        expired_holds: Iterable[Hold] = (),
        references: Iterable[str] = (),
    ) -> None:
        self.show = show
        self.layout = layout
        self.policy = policy
        self.version = version
        self.bookings: dict[str, Booking] = {}
        self.holds: dict[str, Hold] = {}  # open baskets
        self.expired_holds: dict[str, Hold] = {}  # kept for late confirms, oldest expiry first
        self.references: set[str] = set(references)
        self._state = bytearray(b"f" * layout.total)
        self._owner: list[str | None] = [None] * layout.total
        self._expiries: list[tuple[float, str]] = []  # heap of (expires_at, hold id); stale entries skipped
        self._holds_of_client: dict[str, set[str]] = {}
        for booking in bookings:
            self._restore(booking.id, booking.seats, _B)
            self.bookings[booking.id] = booking
            self.references.add(booking.reference)
        for hold in holds:
            self._restore(hold.id, hold.seats, _H)
            self._open(hold)
        for hold in sorted(expired_holds, key=lambda h: h.expires_at):
            self.expired_holds[hold.id] = hold
        self._free = FreeSeats(layout, [code == _F for code in self._state], policy.max_seats)

    # -- reading --------------------------------------------------------------------

    @property
    def available(self) -> int:
        return self._free.available

    def state_codes(self) -> bytes:
        """One letter a seat (f, h, b) in layout order."""
        return bytes(self._state)

    def states(self) -> list[str]:
        return [_CODE_STATE[code] for code in self._state]

    def state_of(self, seat_index: int) -> str:
        return _CODE_STATE[self._state[seat_index]]

    def basket(self, hold_id: str, token: str, now: float) -> Hold:
        """An open basket; `UnknownHold` once it expired, was confirmed or released."""
        hold = self._open_hold(hold_id, token)
        if hold.expires_at <= now:
            raise UnknownHold(f"hold {hold_id[:64]!r} has expired")
        return hold

    def next_expiry(self) -> float | None:
        while self._expiries and self._expiries[0][1] not in self.holds:
            heapq.heappop(self._expiries)
        return self._expiries[0][0] if self._expiries else None

    def open_holds_of(self, client: str, now: float) -> list[float]:
        """When each basket this client has open expires; a hold past its expiry is
        not open, even before it is swept."""
        return [expires_at for hold_id in self._holds_of_client.get(client, ())
                if (expires_at := self.holds[hold_id].expires_at) > now]

    def knows_hold(self, hold_id: str) -> bool:
        return hold_id in self.holds or hold_id in self.expired_holds

    # -- deciding -------------------------------------------------------------------

    def book(
        self, request: BookRequest, booking_id: str, token_hash: str, reference: Callable[[], str]
    ) -> Booked | Rejected:
        """Book at once, all or nothing (Part 1's `POST /book`: hold and confirm in one step)."""
        chosen = self._choose(request)
        if isinstance(chosen, Rejected):
            return chosen
        seats = self._seat_ids(chosen)
        booking = Booking(booking_id, token_hash, seats, self._unique(reference), self._price(chosen))
        self._take(chosen, booking_id, _B)
        self.bookings[booking_id] = booking
        self.references.add(booking.reference)
        return Booked(booking, self._next_change(seats, BOOKED))

    def hold(self, request: BookRequest, hold_id: str, token_hash: str, client: str, now: float) -> Held | Rejected:
        """Put seats in a new basket, all or nothing."""
        chosen = self._choose(request)
        if isinstance(chosen, Rejected):
            return chosen
        seats = self._seat_ids(chosen)
        hold = Hold(hold_id, token_hash, seats, client, now, now + self.policy.hold_seconds, self._price(chosen))
        self._take(chosen, hold_id, _H)
        self._open(hold)
        return Held(hold, self._next_change(seats, HELD))

    def add_to_hold(self, hold_id: str, token: str, request: BookRequest, now: float) -> HoldUpdated | Rejected:
        """Add seats to a basket, all or nothing. Seats already in it are kept as they
        are (a repeated click adds nothing); the basket never passes `max_seats`."""
        hold = self._open_or_expired(hold_id, token)
        if hold.id in self.expired_holds or hold.expires_at <= now:
            return self._reject("hold_expired", "this hold has expired; start a new one", ())
        if request.seats is not None:
            ours = {i for i in request.seats if self._owner[i] == hold_id}
            request = BookRequest(len(request.seats) - len(ours),
                                  tuple(i for i in request.seats if i not in ours), request.section)
            if not request.seats:
                return HoldUpdated(hold, None)
        if len(hold.seats) + request.quantity > self.policy.max_seats:
            raise InvalidRequest(f"a basket holds at most {self.policy.max_seats} seats; "
                                 f"this one has {len(hold.seats)}")
        chosen = self._choose(request)
        if isinstance(chosen, Rejected):
            return chosen
        self._take(chosen, hold_id, _H)
        added = self._seat_ids(chosen)
        hold = self._update(hold, hold.seats + added)
        return HoldUpdated(hold, self._next_change(added, HELD))

    def remove_from_hold(self, hold_id: str, token: str, seat_id: str, now: float) -> HoldUpdated | Rejected:
        hold = self._open_or_expired(hold_id, token)
        if hold.id in self.expired_holds or hold.expires_at <= now:
            return self._reject("hold_expired", "this hold has expired; its seats are no longer held", ())
        if seat_id not in hold.seats:
            raise SeatNotInHold(f"seat {seat_id[:20]!r} is not in this basket")
        self._give_back([self.layout.index_of(seat_id)])
        hold = self._update(hold, tuple(s for s in hold.seats if s != seat_id))
        return HoldUpdated(hold, self._next_change((seat_id,), FREE))

    def release(self, hold_id: str, token: str) -> Released:
        """Let every seat of a basket go; the hold ends."""
        hold = self._open_hold(hold_id, token)
        self._close(hold)
        self._give_back([self.layout.index_of(s) for s in hold.seats])
        return Released(hold, self._next_change(hold.seats, FREE))

    def confirm(
        self, hold_id: str, token: str, buyer: Buyer, booking_id: str, token_hash: str,
        reference: Callable[[], str],
    ) -> Confirmed | Rejected:
        """Book a basket's seats for the buyer. An expired hold still wins when every
        one of its seats is free; else `hold_expired` names the ones taken since."""
        hold = self._open_or_expired(hold_id, token)
        if not hold.seats:
            return self._reject("basket_empty", "the basket is empty; add seats before confirming", ())
        indexes = [self.layout.index_of(s) for s in hold.seats]
        if hold.id in self.expired_holds:
            taken = tuple(s for s, i in zip(hold.seats, indexes, strict=True) if self._state[i] != _F)
            if taken:
                return self._reject("hold_expired", f"the hold expired and {', '.join(taken)} "
                                    "were taken since", taken)
            del self.expired_holds[hold.id]
            self._take(indexes, booking_id, _B)
        else:
            self._close(hold)
            for i in indexes:
                self._state[i] = _B
                self._owner[i] = booking_id
        booking = Booking(booking_id, token_hash, hold.seats, self._unique(reference), hold.total_price,
                          buyer.name, buyer.email)
        self.bookings[booking_id] = booking
        self.references.add(booking.reference)
        return Confirmed(hold, booking, self._next_change(hold.seats, BOOKED))

    def cancel(self, booking_id: str, token: str) -> Cancelled:
        booking = self.bookings.get(booking_id)
        if booking is None:
            raise UnknownBooking(f"no active booking {booking_id[:64]!r}")
        if not hmac.compare_digest(booking.token_hash, hash_token(token)):
            raise WrongToken("this token does not own the booking")
        del self.bookings[booking_id]
        self._give_back([self.layout.index_of(s) for s in booking.seats])
        return Cancelled(booking, self._next_change(booking.seats, FREE))

    def expire_due(self, now: float) -> list[Expired]:
        """End every open hold whose time is up (`expires_at <= now`), oldest first,
        each as a change of its own."""
        expired = []
        while self._expiries and self._expiries[0][0] <= now:
            _, hold_id = heapq.heappop(self._expiries)
            hold = self.holds.get(hold_id)
            if hold is None or hold.expires_at > now:
                continue
            self._close(hold)
            self.expired_holds[hold_id] = hold
            self._give_back([self.layout.index_of(s) for s in hold.seats])
            expired.append(Expired(hold, self._next_change(hold.seats, FREE)))
        return expired

    def apply(self, result: Result) -> None:
        """A decision taken and committed elsewhere (another server process, on the
        same database): bring this inventory to its version as if it had decided it.
        Results come in version order; a gap is an error (reload instead)."""
        change = result.change
        if change is None:  # nothing moved (seats already in the basket)
            if isinstance(result, HoldUpdated) and result.hold.id in self.holds:
                self.holds[result.hold.id] = result.hold
            return
        if change.version != self.version + 1:
            raise ValueError(f"change {change.version} does not follow version {self.version}")
        index_of = self.layout.index_of
        if isinstance(result, Booked):
            self._take([index_of(s) for s in result.booking.seats], result.booking.id, _B)
            self._add_booking(result.booking)
        elif isinstance(result, Cancelled):
            del self.bookings[result.booking.id]
            self._give_back([index_of(s) for s in result.booking.seats])
        elif isinstance(result, Held):
            self._take([index_of(s) for s in result.hold.seats], result.hold.id, _H)
            self._open(result.hold)
        elif isinstance(result, HoldUpdated):
            before = set(self.holds[result.hold.id].seats)
            after = set(result.hold.seats)
            self._take([index_of(s) for s in result.hold.seats if s not in before], result.hold.id, _H)
            self._give_back([index_of(s) for s in before - after])
            self.holds[result.hold.id] = result.hold
        elif isinstance(result, Released | Expired):
            hold = self.holds[result.hold.id]
            self._close(hold)
            if isinstance(result, Expired):
                self.expired_holds[hold.id] = hold
            self._give_back([index_of(s) for s in hold.seats])
        elif isinstance(result, Confirmed):
            indexes = [index_of(s) for s in result.hold.seats]
            if result.hold.id in self.holds:
                self._close(self.holds[result.hold.id])
                for i in indexes:
                    self._state[i] = _B
                    self._owner[i] = result.booking.id
            else:  # a late confirm of an expired hold
                self.expired_holds.pop(result.hold.id, None)
                self._take(indexes, result.booking.id, _B)
            self._add_booking(result.booking)
        self.version = change.version

    def _add_booking(self, booking: Booking) -> None:
        self.bookings[booking.id] = booking
        self.references.add(booking.reference)

    def forget_expired(self, expired_before: float) -> int:
        """Stop remembering holds that expired before this time (a confirm for them
        is then 404); returns how many were forgotten. Holds are remembered in the
        order they expired, so this stops at the first one to keep."""
        forgotten = []
        for hold_id, hold in self.expired_holds.items():
            if hold.expires_at >= expired_before:
                break
            forgotten.append(hold_id)
        for hold_id in forgotten:
            del self.expired_holds[hold_id]
        return len(forgotten)

    # -- internals ------------------------------------------------------------------

    def _choose(self, request: BookRequest) -> list[int] | Rejected:
        if request.seats is not None:
            taken = tuple(self.layout.seat_id(i) for i in request.seats if self._state[i] != _F)
            if taken:
                return self._reject("seats_taken", f"not available: {', '.join(taken)}", taken)
            return list(request.seats)
        quantity, section = request.quantity, request.section
        free = self._free.free_in(section)
        if quantity > free:
            where = "" if section is None else f" in {self.layout.sections[section].name}"
            message = f"sold out{where}" if free == 0 else f"only {free} seat(s) left{where}, {quantity} requested"
            return self._reject("sold_out", message, ())
        rows = self.layout.rows
        if quantity > 1:
            for orphan_free in (True, False):
                found = self._free.best_block(quantity, section, orphan_free)
                if found is not None:
                    row_index, offset = found
                    start = rows[row_index].start + offset
                    return list(range(start, start + quantity))
        # No row has `quantity` adjacent free seats: the best single seats.
        return [rows[row_index].start + offset for row_index, offset in self._free.best_seats(quantity, section)]

    def _take(self, indexes: list[int], owner: str, code: int) -> None:
        for i in indexes:
            self._state[i] = code
            self._owner[i] = owner
        for row_index, offset, count in self._stretches(indexes):
            self._free.take(row_index, offset, count)

    def _give_back(self, indexes: list[int]) -> None:
        for i in indexes:
            self._state[i] = _F
            self._owner[i] = None
        for row_index, offset, count in self._stretches(indexes):
            self._free.give_back(row_index, offset, count)

    def _stretches(self, indexes: list[int]) -> list[tuple[int, int, int]]:
        """(row, offset, count) for each run of consecutive seat indexes in one row:
        a block of n seats is one change to the free map, not n."""
        rows, row_of, stretches = self.layout.rows, self.layout.row_of, []
        for i in sorted(indexes) if len(indexes) > 1 else indexes:
            row_index = row_of[i]
            if stretches:
                last_row, offset, count = stretches[-1]
                if row_index == last_row and i == rows[row_index].start + offset + count:
                    stretches[-1] = (row_index, offset, count + 1)
                    continue
            stretches.append((row_index, i - rows[row_index].start, 1))
        return stretches

    def _restore(self, owner: str, seat_ids: Iterable[str], code: int) -> None:
        """At load time, before the free map is built."""
        for seat_id in seat_ids:
            i = self.layout.index_of(seat_id)
            if i is None or self._state[i] != _F:
                raise ValueError(f"seat {seat_id} is unknown or taken twice")
            self._state[i] = code
            self._owner[i] = owner

    def _open(self, hold: Hold) -> None:
        self.holds[hold.id] = hold
        self._holds_of_client.setdefault(hold.client, set()).add(hold.id)
        heapq.heappush(self._expiries, (hold.expires_at, hold.id))

    def _close(self, hold: Hold) -> None:
        del self.holds[hold.id]
        ids = self._holds_of_client[hold.client]
        ids.discard(hold.id)
        if not ids:
            del self._holds_of_client[hold.client]
        # A hold confirmed or released early leaves its entry in the expiry heap
        # until its time comes; rebuild the heap before such entries pile up.
        if len(self._expiries) > 2 * len(self.holds) + 64:
            self._expiries = [(h.expires_at, h.id) for h in self.holds.values()]
            heapq.heapify(self._expiries)

    def _update(self, hold: Hold, seats: tuple[str, ...]) -> Hold:
        price = sum(self.layout.price_of(self.layout.index_of(s)) for s in seats)
        hold = replace(hold, seats=seats, total_price=price)
        self.holds[hold.id] = hold
        return hold

    def _open_hold(self, hold_id: str, token: str) -> Hold:
        hold = self.holds.get(hold_id)
        if hold is None:
            raise UnknownHold(f"no open hold {hold_id[:64]!r}")
        _check_token(hold, token)
        return hold

    def _open_or_expired(self, hold_id: str, token: str) -> Hold:
        hold = self.holds.get(hold_id) or self.expired_holds.get(hold_id)
        if hold is None:
            raise UnknownHold(f"no hold {hold_id[:64]!r}")
        _check_token(hold, token)
        return hold

    def _seat_ids(self, indexes: list[int]) -> tuple[str, ...]:
        return tuple(self.layout.seat_id(i) for i in indexes)

    def _price(self, indexes: list[int]) -> int:
        return sum(self.layout.price_of(i) for i in indexes)

    def _unique(self, reference: Callable[[], str]) -> str:
        """References come from the shell (randomness is not a rule); one already
        used in this show is asked for again."""
        candidate = reference()
        while candidate in self.references:
            candidate = reference()
        return candidate

    def _next_change(self, seat_ids: tuple[str, ...], state: str) -> Change:
        self.version += 1
        return Change(self.show, self.version, dict.fromkeys(seat_ids, state), self.available)

    def _reject(self, error: str, message: str, unavailable: tuple[str, ...]) -> Rejected:
        return Rejected(error, message, unavailable, self.available, self.version)


def _check_token(hold: Hold, token: str) -> None:
    if not hmac.compare_digest(hold.token_hash, hash_token(token)):
        raise WrongToken("this token does not own the hold")
