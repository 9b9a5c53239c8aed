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
        self.best_order: list = []
        self.overlays: list = []  # [(version, {seat: state})], sorted by version
        self.bookings: dict = {}  # booking id -> Booking
        self.pending: list = []
        self._next_action_id = 1

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
            self._set_layout(seats)
        self.confirmed = {seat["id"]: seat["state"] for seat in seats}
        self.version = int(snapshot["version"])
        self._after_confirmed_change()
        return layout_changed

    def apply_seats_event(self, event: dict) -> str:
        """A `seats` event: IGNORED when not newer than what we have, GAP when a
        version was skipped (nothing is applied; fetch a snapshot), else APPLIED."""
        version = int(event["version"])
        if self.version is None:
            return GAP
        if version <= self.version:
            return IGNORED
        if version > self.version + 1:
            return GAP
        for seat_id, state in event["changed"].items():
            if seat_id in self.confirmed:
                self.confirmed[seat_id] = state
        self.version = version
        self._after_confirmed_change()
        return APPLIED

    def _set_layout(self, seats: list) -> None:
        self.seat_order = [seat["id"] for seat in seats]
        rows: list = []
        for seat in seats:
            if not rows or rows[-1][0] != seat["row"]:
                rows.append((seat["row"], []))
            rows[-1][1].append(seat["id"])
        self.rows = rows
        self.best_order = best_first(seats)

    def _after_confirmed_change(self) -> None:
        self.overlays = [(v, changes) for v, changes in self.overlays if v > self.version]
        self._forget_released_bookings()
        self._place_guesses()

    def _forget_released_bookings(self) -> None:
        """A seat of ours that the stream shows free at or after our booking's
        version was released (by us elsewhere, e.g. another tab): not ours now."""
        for booking_id in list(self.bookings):
            booking = self.bookings[booking_id]
            if booking.version > self.version:
                continue
            booking.seats = [s for s in booking.seats if self.confirmed.get(s) == BOOKED]
            if not booking.seats:
                del self.bookings[booking_id]

    # ---- what the page shows ---------------------------------------------

    def effective(self) -> dict:
        """Confirmed state with the not-yet-streamed answers laid on top."""
        states = dict(self.confirmed)
        for _version, changes in self.overlays:
            for seat_id, state in changes.items():
                if seat_id in states:
                    states[seat_id] = state
        return states

    def owned_seats(self) -> set:
        return {seat for booking in self.bookings.values() for seat in booking.seats}

    def view(self) -> dict:
        """seat id -> free | pending | mine | booked, as the user should see it."""
        states = self.effective()
        owned = self.owned_seats()
        shown = {}
        for seat_id in self.seat_order:
            state = states[seat_id]
            shown[seat_id] = MINE if state == BOOKED and seat_id in owned else state
        for action in self.pending:
            for seat_id in action.claimed_seats():
                shown[seat_id] = PENDING
        return shown

    def available(self) -> int:
        """Free seats as the user sees them: pending bookings count as taken,
        pending cancellations as free."""
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
        shown_before = self.view()
        action = self._start(BOOK_BEST, [])
        self._place_guesses()
        action.before = {seat: shown_before[seat] for seat in action.claimed_seats()}
        return action

    def book_seat(self, seat_id: str) -> PendingAction | None:
        """Book this seat, if the user sees it free (so no guess is showing on it)."""
        if self.view().get(seat_id) != FREE:
            return None
        return self._start(BOOK_SEATS, [seat_id])

    def cancel_seat(self, seat_id: str) -> PendingAction | None:
        """Cancel the booking that holds this seat, if it is ours and confirmed."""
        if self.view().get(seat_id) != MINE:
            return None
        booking = self._booking_of(seat_id)
        if booking is None:
            return None
        return self._start(CANCEL, booking.seats, booking)

    def click(self, seat_id: str) -> PendingAction | None:
        """A click on a seat: a free seat is booked, one of mine is cancelled."""
        shown = self.view().get(seat_id)
        if shown == FREE:
            return self.book_seat(seat_id)
        if shown == MINE:
            return self.cancel_seat(seat_id)
        return None

    def _start(self, kind: str, seats: list, booking: Booking | None = None) -> PendingAction:
        action = PendingAction(self._next_action_id, kind, seats, booking)
        self._next_action_id += 1
        shown = self.view()
        action.before = {seat: shown[seat] for seat in seats}
        self.pending.append(action)
        return action

    def _booking_of(self, seat_id: str) -> Booking | None:
        for booking in self.bookings.values():
            if seat_id in booking.seats:
                return booking
        return None

    def _place_guesses(self) -> None:
        """Give every best-available action a seat to show. A guess stays where it
        is while that seat is still free; when the stream says it was taken it
        moves to the best seat nobody else's action is showing."""
        states = self.effective()
        claimed = set()
        for action in self.pending:
            if action.kind != BOOK_BEST:
                claimed.update(action.seats)
        for action in self.pending:
            if action.kind != BOOK_BEST:
                continue
            guess = action.guess
            if guess is None or states.get(guess) != FREE or guess in claimed:
                guess = None
                for seat_id in self.best_order:
                    if states[seat_id] == FREE and seat_id not in claimed:
                        guess = seat_id
                        break
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
        self.pending.remove(action)
        body = body if isinstance(body, dict) else {}
        if action.kind == CANCEL:
            message = self._cancel_answered(action, status, body)
        else:
            message = self._booking_answered(action, status, body)
        self._place_guesses()
        return message

    def apply_failure(self, action_id: int, reason: str = "network") -> str:
        """No answer came (network error, or `reason` "timeout"): undo that action only."""
        action = self.find_pending(action_id)
        if action is None:
            return ""
        self.pending.remove(action)
        self._place_guesses()
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
            self.bookings.pop(booking.booking_id, None)
            released = body.get("released") or booking.seats
            version = _int_or_none(body.get("version"))
            if version is not None:
                self._add_overlay(version, {seat: FREE for seat in released})
            return ""
        if status == 404:
            self.bookings.pop(booking.booking_id, None)
            return "That booking (" + describe_seats(booking.seats) + ") was already cancelled."
        if status in (401, 403):
            self.bookings.pop(booking.booking_id, None)
            return describe_seats(booking.seats) + " can no longer be cancelled from this browser."
        if status >= 500:
            return "Server error, your cancellation was undone. Please try again."
        detail = body.get("message") or ("status " + str(status))
        return "The cancellation was refused (" + str(detail) + ") and undone."

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
        self.bookings[str(body.get("booking_id"))] = Booking(
            str(body.get("booking_id")), str(body.get("token")), seats, version)
        self._add_overlay(version, {seat: BOOKED for seat in seats})

    def _add_overlay(self, version: int, changes: dict) -> None:
        if self.version is not None and version <= self.version:
            return
        self.overlays.append((version, changes))
        self.overlays.sort(key=_overlay_version)

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
            self.bookings[booking.booking_id] = booking
        if self.version is not None:
            self._forget_released_bookings()


def best_first(seats: list) -> list:
    """Seat ids in the server's best-available order: front row first, then
    closest to the middle of the seat's own row (a short last row is centred on
    itself), left before right."""
    row_index: dict = {}
    row_length: dict = {}
    for seat in seats:
        if seat["row"] not in row_index:
            row_index[seat["row"]] = len(row_index)
            row_length[seat["row"]] = 0
        row_length[seat["row"]] += 1

    def rank(seat: dict) -> tuple:
        middle = (row_length[seat["row"]] + 1) / 2
        return (row_index[seat["row"]], abs(seat["number"] - middle), seat["number"])

    return [seat["id"] for seat in sorted(seats, key=rank)]


def _int_or_none(value: object) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _overlay_version(overlay: tuple) -> int:
    return overlay[0]
