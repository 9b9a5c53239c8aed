"""What the booking page believes about the seats: pure Python, no browser imports.

Both Brython (in the page) and CPython (in tests/unit) run this module, so it
imports nothing and only uses builtins. Nothing runs at import.

The model:

- `confirmed`: the seats as the event stream last said (`snapshot` / `seats`
  events), with the stream's `version`. The stream is the authority.
- `overlays`: facts learned from HTTP answers whose version the stream has not
  reached yet (our booking at version 12 while the stream is at 10). They sit on
  top of `confirmed` until the stream catches up, then they are dropped, so an
  answer is never lost and never outlives the stream's word on the same seats.
- `bookings`: what this browser owns (booking id, token, seats, version); the
  page keeps them in localStorage so a reload still knows them.
- `pending`: one entry per request in flight. The view is the pending entries
  replayed on confirmed + overlays. Undoing an action is dropping its entry, so a
  failure can never undo anyone else's action (REQ-5/REQ-7); each entry also
  records the seat states from just before it (`before`) for the record.

What the page shows is kept up to date seat by seat: every change records the
seats it touches, and at the end of each public call only those seats are
recomputed (`shown`, `shown_available`) and the ones whose shown state really
changed are reported by `take_changes()`. So a click, an answer or an event
costs in proportion to the seats it concerns, not to the venue; only a
snapshot recomputes every seat. `view()` and `available()` compute the same
from scratch (the tests compare both).
"""

FREE = "free"
BOOKED = "booked"
PENDING = "pending"
MINE = "mine"

BOOK_BEST = "book_best"
BOOK_SEATS = "book_seats"
CANCEL = "cancel"

# What `apply_seats_event` reports.
APPLIED = "applied"
IGNORED = "ignored"
GAP = "gap"  # a version was skipped: the caller must get a fresh snapshot

# Shared empty containers for the common case of nothing overlaid, owned or in
# flight (only ever read, never changed): no new set or dict per call.
_NOTHING = {}
_NO_SEATS = frozenset()


class Booking:
    """A booking this browser made: the token is what proves it is ours."""

    def __init__(self, booking_id: str, token: str, seats: list, version: int) -> None:
        self.booking_id = booking_id
        self.token = token
        self.seats = list(seats)
        self.version = version

    def to_record(self) -> dict:
        return {"booking_id": self.booking_id, "token": self.token, "seats": list(self.seats),
                "version": self.version}


class PendingAction:
    """One request in flight. `seats` are the seats it asks for (or releases);
    a best-available booking has none, only a `guess` that may move."""

    def __init__(self, action_id: int, kind: str, seats: list, booking: Booking | None = None) -> None:
        self.action_id = action_id
        self.kind = kind
        self.seats = list(seats)
        self.booking = booking
        self.guess: str | None = None
        self.before: dict = {}

    def claimed_seats(self) -> list:
        """The seats this action shows as pending right now."""
        if self.kind == BOOK_BEST:
            return [self.guess] if self.guess is not None else []
        return self.seats

    def request(self) -> dict:
        """The HTTP request to send: method, path, JSON body (or None), bearer token (or None)."""
        if self.kind == BOOK_BEST:
            return {"method": "POST", "path": "/book", "body": {}, "token": None}
        if self.kind == BOOK_SEATS:
            return {"method": "POST", "path": "/book", "body": {"seats": list(self.seats)}, "token": None}
        booking = self.booking
        return {"method": "DELETE", "path": "/bookings/" + booking.booking_id, "body": None, "token": booking.token}


def describe_seats(seats: list) -> str:
    """"A5", "A5 and A6", "A5, A6 and A7"."""
    if not seats:
        return "the seat"
    if len(seats) == 1:
        return seats[0]
    return ", ".join(seats[:-1]) + " and " + seats[-1]


class SeatState:
    """Confirmed state + overlays + pending actions -> what the page shows."""

    def __init__(self) -> None:
        self.version: int | None = None  # None until the first snapshot
        self.confirmed: dict = {}
        self.seat_order: list = []
        self.rows: list = []  # [(row label, [seat ids])], front row first
        self.seat_numbers: dict = {}  # seat id -> its number as text
        self.best_order: list = []  # ranked once per layout
        self.overlays: list = []  # [(version, {seat: state})], sorted by version
        self.bookings: dict = {}  # booking id -> Booking
        self.bookings_revision = 0  # goes up whenever `bookings` changes (the page saves them then)
        self.pending: list = []
        self._next_action_id = 1
        # What the page shows, kept up to date seat by seat (see `_settle`).
        self.shown: dict = {}  # seat id -> free | pending | mine | booked
        self.shown_available = 0  # what #available shows
        self.changed: set = set()  # seats whose shown state changed since `take_changes()`
        self._released_shown: set = set()  # seats shown pending that count as free (we release them)
        # Seats whose shown state may have changed in this call: a list, since
        # iterating a set or a dict costs a raised StopIteration in Brython.
        self._touched: list = []
        self._rank: dict = {}  # seat id -> its index in `best_order`
        self._free_from = 0  # no seat in best_order[:_free_from] is free (confirmed + overlays)

    # ---- the stream -------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self.version is not None

    def apply_snapshot(self, snapshot: dict) -> bool:
        """Replace the whole confirmed state, whatever its version (a new database
        starts again at 0). Returns True when the seat layout changed."""
        seats = snapshot["seats"]
        order = [seat["id"] for seat in seats]
        layout_changed = order != self.seat_order
        if layout_changed:
            self._set_layout(seats, order)
        confirmed = {}
        for seat in seats:
            confirmed[seat["id"]] = seat["state"]
        self.confirmed = confirmed
        self.version = int(snapshot["version"])
        self._free_from = 0
        self._after_confirmed_change()
        self._touched = []
        self._refresh_all(layout_changed)  # a snapshot touches every seat
        return layout_changed

    def apply_seats_event(self, event: dict) -> str:
        """A `seats` event: IGNORED when not newer than what we have, GAP when a
        version was skipped (nothing is applied; fetch a snapshot), else APPLIED."""
        version = event["version"]
        if type(version) is not int:  # (JSON gives an int: Brython's int() is slow)
            version = int(version)
        if self.version is None:
            return GAP
        if version <= self.version:
            return IGNORED
        if version > self.version + 1:
            return GAP
        changed = event["changed"]
        confirmed = self.confirmed
        seats = []
        # next() as many times as there are keys: a `for` over the dict would
        # end with a raised StopIteration, which costs Brython ~20 µs per event.
        keys = iter(changed)
        for _ in range(len(changed)):
            seat_id = next(keys)
            if seat_id in confirmed:
                confirmed[seat_id] = changed[seat_id]
                seats.append(seat_id)
        self.version = version
        self._effective_changed(seats)
        self._after_confirmed_change()
        self._settle()
        return APPLIED

    def _set_layout(self, seats: list, order: list) -> None:
        self.seat_order = order
        rows: list = []
        numbers: dict = {}
        label = None
        for seat in seats:
            if seat["row"] != label:
                label = seat["row"]
                row_seats: list = []
                rows.append((label, row_seats))
            seat_id = seat["id"]
            row_seats.append(seat_id)
            numbers[seat_id] = str(seat["number"])
        self.rows = rows
        self.seat_numbers = numbers
        self.best_order = best_first(seats)
        best = self.best_order
        rank = {}
        for index in range(len(best)):  # (enumerate and tuple unpacking are slow in Brython)
            rank[best[index]] = index
        self._rank = rank

    def _after_confirmed_change(self) -> None:
        if self.overlays:  # (usually none: skip building empty lists)
            dropped = [changes for v, changes in self.overlays if v <= self.version]
            if dropped:
                self.overlays = [(v, changes) for v, changes in self.overlays if v > self.version]
                for changes in dropped:
                    self._effective_changed(changes)
        self._forget_released_bookings()
        self._place_guesses()

    def _forget_released_bookings(self) -> None:
        """A seat of ours that the stream shows free at or after our booking's
        version was released (by us elsewhere, e.g. another tab): not ours now."""
        if not self.bookings:
            return
        for booking_id in list(self.bookings):
            booking = self.bookings[booking_id]
            if booking.version > self.version:
                continue
            kept = [s for s in booking.seats if self.confirmed.get(s) == BOOKED]
            if len(kept) != len(booking.seats):
                self._touched.extend(booking.seats)
                booking.seats = kept
                self.bookings_revision += 1
            if not kept:
                del self.bookings[booking_id]
                self.bookings_revision += 1

    # ---- what the page shows ---------------------------------------------

    def take_changes(self) -> set:
        """The seats whose shown state changed since the last call (the page
        redraws exactly these)."""
        changes = self.changed
        self.changed = set()
        return changes

    def _settle(self) -> None:
        """Recompute the seats touched by this call; report the ones that changed."""
        touched = self._touched
        self._touched = []
        if touched:
            self._refresh(touched)

    def _refresh(self, seats: object) -> None:
        """`shown` and `shown_available` for these seats, from confirmed + overlays +
        bookings + pending: the same rules as `view()` and `available()`, per seat."""
        confirmed = self.confirmed
        # Without overlays, bookings or actions (a plain stream event) nothing
        # is built for them: shared empty containers, only read here.
        over = self._overlay_states() if self.overlays else _NOTHING
        owned = self.owned_seats() if self.bookings else _NO_SEATS
        if self.pending:
            releasing, taking = self._claims()
        else:
            releasing = taking = _NO_SEATS
        shown = self.shown
        released_shown = self._released_shown
        changed = self.changed
        count = self.shown_available
        for seat_id in seats:
            if seat_id not in confirmed:
                continue
            old = shown[seat_id]
            before = 1 if old == FREE or seat_id in released_shown else 0
            if seat_id in releasing:  # a seat we release counts as free at once
                now = PENDING
                after = 1
                released_shown.add(seat_id)
            else:
                if seat_id in released_shown:
                    released_shown.remove(seat_id)
                state = over[seat_id] if seat_id in over else confirmed[seat_id]
                if seat_id in taking:
                    now = PENDING
                    after = 0
                else:
                    now = MINE if state == BOOKED and seat_id in owned else state
                    after = 1 if state == FREE else 0
            count += after - before
            if old != now:
                shown[seat_id] = now
                changed.add(seat_id)
        self.shown_available = count

    def _refresh_all(self, new_layout: bool) -> None:
        """Every seat, after a snapshot: whole-dict copies first, then only the
        few seats our overlays, bookings and actions concern (a loop of Python
        operations per seat is what costs in Brython)."""
        shown = dict(self.confirmed)
        for _version, changes in self.overlays:
            for seat_id, state in changes.items():
                if seat_id in shown:
                    shown[seat_id] = state
        count = list(shown.values()).count(FREE)
        for seat_id in self.owned_seats():
            if seat_id in shown and shown[seat_id] == BOOKED:
                shown[seat_id] = MINE
        releasing, taking = self._claims()
        released_shown = set()
        for seat_id in releasing:
            if seat_id in shown:
                if shown[seat_id] != FREE:
                    count += 1
                shown[seat_id] = PENDING
                released_shown.add(seat_id)
        for seat_id in taking:
            if seat_id in shown and seat_id not in releasing:
                if shown[seat_id] == FREE:
                    count -= 1
                shown[seat_id] = PENDING
        if new_layout:
            self.changed = set(self.seat_order)
        else:
            old = self.shown
            changed = self.changed
            for seat_id in self.seat_order:
                if old[seat_id] != shown[seat_id]:
                    changed.add(seat_id)
        self.shown = shown
        self.shown_available = count
        self._released_shown = released_shown

    def _claims(self) -> tuple:
        """(seats our cancellations release, seats our bookings take) right now."""
        releasing: set = set()
        taking: set = set()
        for action in self.pending:
            (releasing if action.kind == CANCEL else taking).update(action.claimed_seats())
        return releasing, taking

    def _overlay_states(self) -> dict:
        """seat id -> state for the seats the overlays speak of (the newest wins)."""
        states: dict = {}
        for overlay in self.overlays:
            states.update(overlay[1])
        return states

    def _effective_of(self, seat_id: str) -> str | None:
        """One seat of `effective()`."""
        if seat_id not in self.confirmed:
            return None
        state = self.confirmed[seat_id]
        for _version, changes in self.overlays:
            if seat_id in changes:
                state = changes[seat_id]
        return state

    def _effective_changed(self, seats: object) -> None:
        """Confirmed state or overlays changed for these seats (already applied)."""
        for seat_id in seats:
            self._touched.append(seat_id)
            if seat_id in self._rank:
                rank = self._rank[seat_id]
                if rank < self._free_from and self._effective_of(seat_id) == FREE:
                    self._free_from = rank

    def effective(self) -> dict:
        """Confirmed state with the not-yet-streamed answers laid on top."""
        states = dict(self.confirmed)
        for _version, changes in self.overlays:
            for seat_id, state in changes.items():
                if seat_id in states:
                    states[seat_id] = state
        return states

    def owned_seats(self) -> set:
        if not self.bookings:
            return set()
        return {seat for booking in self.bookings.values() for seat in booking.seats}

    def view(self) -> dict:
        """seat id -> free | pending | mine | booked, computed from scratch for
        every seat (the tests' reference for `shown`)."""
        states = self.effective()
        owned = self.owned_seats()
        shown = {}
        for seat_id in self.seat_order:
            state = states[seat_id]
            shown[seat_id] = MINE if state == BOOKED and seat_id in owned else state
        for action in self.pending:
            for seat_id in action.claimed_seats():
                if seat_id in shown:
                    shown[seat_id] = PENDING
        return shown

    def available(self) -> int:
        """Free seats as the user sees them: pending bookings count as taken,
        pending cancellations as free. Computed from scratch (the tests'
        reference for `shown_available`)."""
        states = self.effective()
        taken = set()
        released = set()
        for action in self.pending:
            (released if action.kind == CANCEL else taken).update(action.claimed_seats())
        count = 0
        for seat_id in self.seat_order:
            if seat_id in released or (states[seat_id] == FREE and seat_id not in taken):
                count += 1
        return count

    def unconfirmed_releases(self) -> int:
        """Seats this browser is releasing that the stream does not show free yet."""
        seats = set()
        for action in self.pending:
            if action.kind == CANCEL:
                seats.update(s for s in action.seats if self.confirmed.get(s) != FREE)
        for _version, changes in self.overlays:
            seats.update(s for s, state in changes.items() if state == FREE and self.confirmed.get(s) != FREE)
        return len(seats)

    # ---- the user's actions ----------------------------------------------

    def book_best(self) -> PendingAction:
        """The "Book seat" button: the server picks; we show our best guess."""
        action = self._start(BOOK_BEST, [])
        self._place_guesses()
        action.before = {seat: self.shown[seat] for seat in action.claimed_seats()}
        self._settle()
        return action

    def book_seat(self, seat_id: str) -> PendingAction | None:
        """Book this seat, if the user sees it free (so no guess is showing on it)."""
        if self.shown.get(seat_id) != FREE:
            return None
        action = self._start(BOOK_SEATS, [seat_id])
        self._settle()
        return action

    def cancel_seat(self, seat_id: str) -> PendingAction | None:
        """Cancel the booking that holds this seat, if it is ours and confirmed."""
        if self.shown.get(seat_id) != MINE:
            return None
        booking = self._booking_of(seat_id)
        if booking is None:
            return None
        action = self._start(CANCEL, booking.seats, booking)
        self._settle()
        return action

    def click(self, seat_id: str) -> PendingAction | None:
        """A click on a seat: a free seat is booked, one of mine is cancelled."""
        shown = self.shown.get(seat_id)
        if shown == FREE:
            return self.book_seat(seat_id)
        if shown == MINE:
            return self.cancel_seat(seat_id)
        return None

    def _start(self, kind: str, seats: list, booking: Booking | None = None) -> PendingAction:
        action = PendingAction(self._next_action_id, kind, seats, booking)
        self._next_action_id += 1
        action.before = {seat: self.shown.get(seat) for seat in seats}
        self.pending.append(action)
        self._touched.extend(seats)
        return action

    def _booking_of(self, seat_id: str) -> Booking | None:
        for booking in self.bookings.values():
            if seat_id in booking.seats:
                return booking
        return None

    def _place_guesses(self) -> None:
        """Give every best-available action a seat to show. A guess stays where it
        is while that seat is still free; when the stream says it was taken it
        moves to the best seat nobody else's action is showing. The search starts
        at `_free_from`, before which no seat is free."""
        if not self.pending:
            return
        guessing = [action for action in self.pending if action.kind == BOOK_BEST]
        if not guessing:
            return
        confirmed = self.confirmed
        over = self._overlay_states()
        claimed = set()
        for action in self.pending:
            if action.kind != BOOK_BEST:
                claimed.update(action.seats)
        order = self.best_order
        end = len(order)
        start = self._free_from
        while start < end:
            seat_id = order[start]
            if (over[seat_id] if seat_id in over else confirmed.get(seat_id)) == FREE:
                break
            start += 1
        self._free_from = start
        for action in guessing:
            guess = action.guess
            if guess is not None and (guess in claimed or (over[guess] if guess in over
                                                           else confirmed.get(guess)) != FREE):
                guess = None
            if guess is None:
                for index in range(start, end):
                    seat_id = order[index]
                    if seat_id not in claimed and (over[seat_id] if seat_id in over
                                                   else confirmed.get(seat_id)) == FREE:
                        guess = seat_id
                        break
            if guess != action.guess:
                if action.guess is not None:
                    self._touched.append(action.guess)
                if guess is not None:
                    self._touched.append(guess)
                action.guess = guess
            if guess is not None:
                claimed.add(guess)

    # ---- the server's answers --------------------------------------------

    def find_pending(self, action_id: int) -> PendingAction | None:
        for action in self.pending:
            if action.action_id == action_id:
                return action
        return None

    def apply_response(self, action_id: int, status: int, body: dict | None) -> str:
        """The HTTP answer to one action. Returns a notice for the user ("" if none)."""
        action = self.find_pending(action_id)
        if action is None:
            return ""
        self._touched.extend(action.claimed_seats())
        self.pending.remove(action)
        body = body if isinstance(body, dict) else {}
        if action.kind == CANCEL:
            message = self._cancel_answered(action, status, body)
        else:
            message = self._booking_answered(action, status, body)
        self._place_guesses()
        self._settle()
        return message

    def apply_failure(self, action_id: int, reason: str = "network") -> str:
        """No answer came (network error, or `reason` "timeout"): undo that action only."""
        action = self.find_pending(action_id)
        if action is None:
            return ""
        self._touched.extend(action.claimed_seats())
        self.pending.remove(action)
        self._place_guesses()
        self._settle()
        what = "cancellation" if action.kind == CANCEL else "booking"
        seats = action.seats if action.kind != BOOK_BEST else []
        about = (" of " + describe_seats(seats)) if seats else ""
        if reason == "timeout":
            return "No answer from the server in time: your " + what + about + " was undone. Please try again."
        return "Network problem: your " + what + about + " was undone. Please try again."

    def _booking_answered(self, action: PendingAction, status: int, body: dict) -> str:
        if status == 200 and isinstance(body.get("seats"), list):
            self._record_booking(body)
            return ""
        version = _int_or_none(body.get("version"))
        if status == 409:
            unavailable = body.get("unavailable") or []
            if unavailable and version is not None:
                self._add_overlay(version, {seat: BOOKED for seat in unavailable})
            if body.get("error") == "sold_out":
                return "Sold out: there are no free seats left."
            taken = unavailable or action.seats
            verb = " were" if len(taken) > 1 else " was"
            return describe_seats(taken) + verb + " just taken by someone else."
        if status == 429:
            return "Too many bookings at once: your booking was undone. Please wait a moment and try again."
        if status >= 500:
            return "Server error, your booking was undone. Please try again."
        detail = body.get("message") or ("status " + str(status))
        return "The booking was refused (" + str(detail) + ") and undone."

    def _cancel_answered(self, action: PendingAction, status: int, body: dict) -> str:
        booking = action.booking
        if status == 200:
            self._forget_booking(booking)
            released = body.get("released") or booking.seats
            version = _int_or_none(body.get("version"))
            if version is not None:
                self._add_overlay(version, {seat: FREE for seat in released})
            return ""
        if status == 404:
            self._forget_booking(booking)
            return "That booking (" + describe_seats(booking.seats) + ") was already cancelled."
        if status in (401, 403):
            self._forget_booking(booking)
            return describe_seats(booking.seats) + " can no longer be cancelled from this browser."
        if status >= 500:
            return "Server error, your cancellation was undone. Please try again."
        detail = body.get("message") or ("status " + str(status))
        return "The cancellation was refused (" + str(detail) + ") and undone."

    def _forget_booking(self, booking: Booking) -> None:
        if booking.booking_id in self.bookings:
            del self.bookings[booking.booking_id]
            self._touched.extend(booking.seats)
            self.bookings_revision += 1

    def _record_booking(self, body: dict) -> None:
        version = _int_or_none(body.get("version"))
        if version is None:
            version = self.version if self.version is not None else 0
        seats = [seat for seat in body["seats"] if seat in self.confirmed]
        if self.version is not None and version <= self.version:
            # The stream is already past this booking: trust what it shows.
            seats = [seat for seat in seats if self.confirmed.get(seat) == BOOKED]
            if not seats:
                return
        booking_id = str(body.get("booking_id"))
        if booking_id in self.bookings:
            self._touched.extend(self.bookings[booking_id].seats)
        self.bookings[booking_id] = Booking(booking_id, str(body.get("token")), seats, version)
        self.bookings_revision += 1
        self._touched.extend(seats)
        self._add_overlay(version, {seat: BOOKED for seat in seats})

    def _add_overlay(self, version: int, changes: dict) -> None:
        if self.version is not None and version <= self.version:
            return
        self.overlays.append((version, changes))
        self.overlays.sort(key=_overlay_version)
        self._effective_changed(changes)

    # ---- persistence (localStorage) --------------------------------------

    def booking_records(self) -> list:
        """Plain data for localStorage: enough to recognise and cancel our seats."""
        return [booking.to_record() for booking in self.bookings.values()]

    def restore_bookings(self, records: list) -> None:
        """Bookings saved by an earlier visit; malformed entries are skipped."""
        for record in records or []:
            try:
                booking = Booking(str(record["booking_id"]), str(record["token"]),
                                  [str(s) for s in record["seats"]], int(record["version"]))
            except (KeyError, TypeError, ValueError):
                continue
            if booking.booking_id in self.bookings:
                self._touched.extend(self.bookings[booking.booking_id].seats)
            self.bookings[booking.booking_id] = booking
            self._touched.extend(booking.seats)
            self.bookings_revision += 1
        if self.version is not None:
            self._forget_released_bookings()
        self._settle()


def best_first(seats: list) -> list:
    """Seat ids in the server's best-available order: front row first, then
    closest to the middle of the seat's own row (a short last row is centred on
    itself), left before right.

    Cheap enough for Brython on 1,000 seats: a row numbered 1..n in order (how
    the server lays out every row) takes a middle-out pattern computed once per
    row length; only a row numbered otherwise is sorted."""
    rows: list = []  # [[seat, ...]] in the order rows first appear
    row_of: dict = {}
    for seat in seats:
        label = seat["row"]
        if label not in row_of:
            row_of[label] = len(rows)
            rows.append([])
        rows[row_of[label]].append(seat)
    patterns: dict = {}
    order: list = []
    for row in rows:
        length = len(row)
        numbered_in_order = True
        for index in range(length):
            if row[index]["number"] != index + 1:
                numbered_in_order = False
                break
        if numbered_in_order:
            if length not in patterns:
                patterns[length] = _middle_out(length)
            for index in patterns[length]:
                order.append(row[index]["id"])
        else:
            # Twice the distance to the middle, so the keys stay integers.
            ranked = [(abs(2 * seat["number"] - length - 1), seat["number"], index) for index, seat in enumerate(row)]
            ranked.sort()
            for _distance, _number, index in ranked:
                order.append(row[index]["id"])
    return order


def _middle_out(length: int) -> list:
    """Positions 0..length-1 of seats numbered 1..length, closest to the middle
    first, left before right: 4 -> [1, 2, 0, 3], 5 -> [2, 1, 3, 0, 4]."""
    left = (length - 1) // 2
    right = length // 2
    order = []
    if left == right:
        order.append(left)
        left -= 1
        right += 1
    while left >= 0:
        order.append(left)
        order.append(right)
        left -= 1
        right += 1
    return order


def _int_or_none(value: object) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _overlay_version(overlay: tuple) -> int:
    return overlay[0]
