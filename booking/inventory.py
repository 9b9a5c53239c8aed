"""Who holds which seat, and the decisions that change it.

`Inventory` is the single in-memory source of booking decisions. It is not
thread-safe or async-aware: the application layer calls it inside one lock and
persists each `Change` it returns before acknowledging anything.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from booking.errors import UnknownBooking, WrongToken
from booking.requests import BookRequest
from booking.venue import Venue

FREE = "free"
BOOKED = "booked"


def hash_token(token: str) -> str:
    """Tokens are stored hashed, so a copy of the database cannot cancel bookings."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Booking:
    id: str
    token_hash: str
    seats: tuple[str, ...]


@dataclass(frozen=True)
class Change:
    """One committed step of the venue: its version and the seats it flipped."""

    version: int
    changed: dict[str, str]
    available: int


@dataclass(frozen=True)
class Booked:
    booking: Booking
    change: Change


@dataclass(frozen=True)
class Rejected:
    """A booking that could not be made; nothing changed."""

    error: str  # "sold_out" or "seats_taken"
    message: str
    unavailable: tuple[str, ...]
    available: int
    version: int


@dataclass(frozen=True)
class Cancelled:
    booking: Booking
    change: Change


class Inventory:
    """Seat holders, free seats in best-first order, bookings and the version."""

    def __init__(self, venue: Venue, version: int = 0, bookings: Iterable[Booking] = ()) -> None:
        self.venue = venue
        self.version = version
        self.bookings: dict[str, Booking] = {}
        self._holder: list[str | None] = [None] * venue.total
        self._row_free = [len(row) for row in venue.rows]
        for booking in bookings:
            self._hold(booking)
        self.available = self._holder.count(None)
        # A min-heap of ranks (positions in venue.best_order), so the best free seat
        # is always near the top. Entries are not removed when a seat is booked by
        # name; stale ones are skipped when they surface (`_pop_best_free`). This
        # keeps every booking O(log n), where a sorted list costs O(n) per booking.
        self._best_free = [venue.rank_of[i] for i, holder in enumerate(self._holder) if holder is None]
        heapq.heapify(self._best_free)

    def state_of(self, seat_index: int) -> str:
        return FREE if self._holder[seat_index] is None else BOOKED

    def states(self) -> list[str]:
        return [FREE if holder is None else BOOKED for holder in self._holder]

    def book(self, request: BookRequest, booking_id: str, token_hash: str) -> Booked | Rejected:
        """All or nothing: either every seat is taken for this booking or none is."""
        if request.seats is not None:
            taken = [i for i in request.seats if self._holder[i] is not None]
            if taken:
                names = tuple(self.venue.seats[i].id for i in taken)
                return self._reject("seats_taken", f"already booked: {', '.join(names)}", names)
            chosen: list[int] | None = list(request.seats)
        else:
            chosen = self._best_available(request.quantity)
            if chosen is None:
                if self.available == 0:
                    message = "sold out"
                else:
                    message = f"only {self.available} seat(s) left, {request.quantity} requested"
                return self._reject("sold_out", message, ())
        booking = Booking(booking_id, token_hash, tuple(self.venue.seats[i].id for i in chosen))
        self._hold(booking)
        self.available -= len(chosen)
        return Booked(booking, self._next_change(booking.seats, BOOKED))

    def cancel(self, booking_id: str, token: str) -> Cancelled:
        booking = self.bookings.get(booking_id)
        if booking is None:
            raise UnknownBooking(f"no active booking {booking_id[:64]!r}")
        if not hmac.compare_digest(booking.token_hash, hash_token(token)):
            raise WrongToken("this token does not own the booking")
        del self.bookings[booking_id]
        for seat_id in booking.seats:
            i = self.venue.index[seat_id]
            self._holder[i] = None
            self._row_free[self.venue.seats[i].row_index] += 1
            heapq.heappush(self._best_free, self.venue.rank_of[i])
        self.available += len(booking.seats)
        if len(self._best_free) > 2 * self.venue.total:
            self._compact_best_free()
        return Cancelled(booking, self._next_change(booking.seats, FREE))

    def _hold(self, booking: Booking) -> None:
        self.bookings[booking.id] = booking
        for seat_id in booking.seats:
            i = self.venue.index[seat_id]
            if self._holder[i] is not None:
                raise ValueError(f"seat {seat_id} held twice")
            self._holder[i] = booking.id
            self._row_free[self.venue.seats[i].row_index] -= 1

    def _next_change(self, seat_ids: tuple[str, ...], state: str) -> Change:
        self.version += 1
        return Change(self.version, {seat_id: state for seat_id in seat_ids}, self.available)

    def _reject(self, error: str, message: str, unavailable: tuple[str, ...]) -> Rejected:
        return Rejected(error, message, unavailable, self.available, self.version)

    def _best_available(self, quantity: int) -> list[int] | None:
        if quantity > self.available:
            return None
        if quantity > 1:
            for row_index, free in enumerate(self._row_free):
                if free >= quantity:
                    block = self._best_block(row_index, quantity)
                    if block is not None:
                        return block
        return self._best_free_seats(quantity)

    def _best_free_seats(self, quantity: int) -> list[int]:
        """Pops the `quantity` best free seats (there are at least that many: every
        free seat has at least one entry in the heap); the caller books them."""
        heap, order, chosen = self._best_free, self.venue.best_order, []
        while len(chosen) < quantity:
            seat_index = order[heapq.heappop(heap)]
            # Stale entries: booked by name since they were pushed, or a duplicate
            # of a seat freed twice (it is then already in `chosen`).
            if self._holder[seat_index] is None and seat_index not in chosen:
                chosen.append(seat_index)
        return chosen

    def _compact_best_free(self) -> None:
        self._best_free = sorted({self.venue.rank_of[i] for i, h in enumerate(self._holder) if h is None})

    def _best_block(self, row_index: int, quantity: int) -> list[int] | None:
        """The run of `quantity` adjacent free seats in the row closest to its middle."""
        row = self.venue.rows[row_index]
        middle = self.venue.row_middle(row_index)
        best_start, best_distance = None, float("inf")
        run = 0
        for offset, seat_index in enumerate(row):
            run = run + 1 if self._holder[seat_index] is None else 0
            if run >= quantity:
                start = offset - quantity + 1  # 0-based; seat number is start + 1
                distance = abs(start + 1 + (quantity - 1) / 2 - middle)
                if distance < best_distance:
                    best_start, best_distance = start, distance
        if best_start is None:
            return None
        return list(row[best_start : best_start + quantity])
