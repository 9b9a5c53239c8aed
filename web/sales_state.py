"""The buyer's actions and the server's answers: holds, basket edits, checkout,
cancellations, expiry, retries and late answers, for one show.

Pure Python: it imports only the page's other pure modules, nothing from
`browser` or `javascript`; nothing runs at import. The page (booking_page.py)
sends the requests this module describes and hands back what came of them.

The model:

- every request is an `Action` with its own `Idempotency-Key` (for POSTs),
  kept until the action has a final answer;
- while an action is in flight its seats are shown `pending` (`claim`); an
  answer or a failure of one action only ever drops that action's own claims, so
  a rollback can never undo another action (REQ-5, REQ-7);
- no answer (network error, timeout, a gateway's 502/503/504): the view is
  rolled back at once (REQ-7), the action turns `waiting`, and the page keeps
  asking with the same key and body; when the answer finally comes it is
  applied like any other ("late"): a hold gives its seats back to the basket, a
  confirm makes them mine. A final answer (any other status) ends the action;
- holds and bookings live in a `Basket`, whose records several tabs share; the
  seats shown come from `ShownSeats` (stream + overlays + ownership + claims).
"""

import notices
import seat_ranking
from basket_records import (
    Basket,
    Booking,
    Hold,
    clean_records,
    empty_records,
    merge_records,
    request_from_record,
)
from shown_seats import APPLIED, BOOKED, FREE, HELD, MINE, PENDING, SELECTED, ShownSeats

HOLD = "hold"  # POST /shows/{show}/holds: a new basket
ADD = "add"  # POST /holds/{id}/seats
REMOVE = "remove"  # DELETE /holds/{id}/seats/{seat}
RELEASE = "release"  # DELETE /holds/{id}
CONFIRM = "confirm"  # POST /holds/{id}/confirm
CANCEL = "cancel"  # DELETE /bookings/{id}
REFRESH = "refresh"  # GET /holds/{id}

FLYING = "flying"  # sent, shown pending
QUEUED = "queued"  # shown pending, waiting for its basket to exist before it is sent
WAITING = "waiting"  # no answer yet: rolled back, asked again in the background

# Statuses that are not the server's decision: the request may or may not have
# been carried out, so it is asked again with the same key.
UNKNOWN_OUTCOME = (0, 502, 503, 504)
RETRY_DELAYS_MS = [1000, 2000, 4000, 8000, 15000, 30000]
# A hold this close to its expiry takes no more seats: a new basket is started.
HOLD_MARGIN_MS = 5000
# Seats of a hold this close to its expiry that the stream shows free left by expiry.
EXPIRY_SLACK_MS = 2500

WHAT = {HOLD: "hold", ADD: "hold", REMOVE: "removal", RELEASE: "release", CONFIRM: "booking",
        CANCEL: "cancellation", REFRESH: "check"}
STATE_WORDS = {FREE: "free", HELD: "held by someone else", BOOKED: "booked by someone else",
               PENDING: "waiting for the server", SELECTED: "in your basket", MINE: "yours"}


class Action:
    """One request of this page, from the buyer's action to its final answer."""

    def __init__(self, action_id: int, kind: str) -> None:
        self.action_id = action_id
        self.kind = kind
        self.key = ""  # the Idempotency-Key of a POST (the same for every attempt); the storage id of any
        self.seats: list = []  # the seats it names
        self.quantity = 0  # best available: how many
        self.section = ""  # best available: in which section ("" anywhere)
        self.guess: list = []  # best available: the seats shown pending meanwhile
        self.hold_id = ""
        self.booking_id = ""
        self.token = ""
        self.body: dict | None = None
        self.reference = ""  # a cancelled booking's reference (for the notice)
        self.phase = FLYING
        self.claimed: list = []  # seats this action shows pending right now
        self.releasing = kind in (REMOVE, RELEASE, CANCEL)
        self.after = 0  # a queued add waits for this hold's creation
        self.first_sent_at = 0
        self.sent_at = 0
        self.attempt = 0
        self.failures = 0
        self.background = False  # the page's own (a check, an empty basket let go): never a notice

    def request(self, show_id: str) -> dict:
        """method, path, body (dict or None), token ("" for none), key ("" for none)."""
        kind = self.kind
        if kind == HOLD:
            return {"method": "POST", "path": "/shows/" + show_id + "/holds", "body": self.body,
                    "token": "", "key": self.key}
        if kind == ADD:
            return {"method": "POST", "path": "/holds/" + self.hold_id + "/seats", "body": self.body,
                    "token": self.token, "key": self.key}
        if kind == CONFIRM:
            return {"method": "POST", "path": "/holds/" + self.hold_id + "/confirm", "body": self.body,
                    "token": self.token, "key": self.key}
        if kind == REMOVE:
            path = "/holds/" + self.hold_id + "/seats/" + self.seats[0]
            return {"method": "DELETE", "path": path, "body": None, "token": self.token, "key": ""}
        if kind == RELEASE:
            return {"method": "DELETE", "path": "/holds/" + self.hold_id, "body": None, "token": self.token,
                    "key": ""}
        if kind == CANCEL:
            return {"method": "DELETE", "path": "/bookings/" + self.booking_id, "body": None,
                    "token": self.token, "key": ""}
        return {"method": "GET", "path": "/holds/" + self.hold_id, "body": None, "token": self.token, "key": ""}

    def to_record(self, show_id: str) -> dict:
        request = self.request(show_id)
        return {"key": self.key, "kind": self.kind, "method": request["method"], "path": request["path"],
                "body": self.body, "token": self.token, "seats": list(self.seats), "quantity": self.quantity,
                "section": self.section, "hold_id": self.hold_id, "booking_id": self.booking_id,
                "reference": self.reference, "first_sent_at": self.first_sent_at}


class Outcome:
    """What the page should do about one event: say, show, send."""

    def __init__(self) -> None:
        self.notice = ""  # #message: something went wrong (and what happens next)
        self.announce = ""  # polite live region: something went right
        self.seat = ""  # the seat the notice is about (shown next to it)
        self.send: list = []  # actions to send now
        self.retry: list = []  # [(action, delay ms)] to send again later
        self.confirmed: list = []  # bookings just made (the confirmation)
        self.ask_cancel = ""  # a booking whose cancel needs the buyer's confirmation
        self.show_seats: list = []  # seats to bring into view (new in the basket)

    def add(self, other: "Outcome") -> "Outcome":
        if other.notice:
            self.notice = other.notice
            self.seat = other.seat
        if other.announce:
            self.announce = (self.announce + " " + other.announce).strip()
        self.send.extend(other.send)
        self.retry.extend(other.retry)
        self.confirmed.extend(other.confirmed)
        self.ask_cancel = other.ask_cancel or self.ask_cancel
        self.show_seats.extend(other.show_seats)
        return self


def check_buyer(name: str, email: str) -> list:
    """What is missing or wrong in the checkout form (empty when fine)."""
    problems = []
    if not name.strip() or len(name) > 200:
        problems.append("your name")
    email = email.strip()
    at = email.find("@")
    if at < 1 or "." not in email[at + 2:] or " " in email or len(email) > 254 or email.endswith("."):
        problems.append("an email address like name@example.com")
    return problems


class SalesState:
    """One show's page state: the seats shown, the basket, the actions in flight."""

    def __init__(self, venue: object, new_key: object) -> None:
        self.venue = venue
        self.show_id = venue.show_id
        self.seats = ShownSeats(venue)
        self.basket = Basket()
        self.actions: dict = {}  # action id -> Action, until its final answer
        self.new_key = new_key  # () -> a fresh random Idempotency-Key
        self._next_id = 1
        self._synced_revision = -1  # the basket revision the seats shown were last synced with

    # ---- the stream -----------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self.seats.ready

    def apply_snapshot(self, snapshot: dict, now: int) -> Outcome | None:
        """A snapshot (compact): None when its rows do not fit the venue."""
        rows = self.venue.snapshot_rows(snapshot.get("rows"))
        if rows is None:
            return None
        first = not self.seats.ready
        self.seats.apply_snapshot(int(snapshot["version"]), rows)
        outcome = self._after_stream(now)
        # What the stream may have missed about our holds: ask the server (a
        # snapshot follows a gap, a reconnect or the start).
        for hold in list(self.basket.holds.values()):
            outcome.send.append(self._background(REFRESH, hold))
        if first:
            for action in self.actions.values():
                if action.phase == WAITING:
                    outcome.send.append(action)
        return outcome

    def apply_event(self, event: dict, now: int) -> tuple:
        """(APPLIED / IGNORED / GAP, Outcome)."""
        result = self.seats.apply_event(event)
        if result != APPLIED:
            return result, Outcome()
        return result, self._after_stream(now)

    def _after_stream(self, now: int) -> Outcome:
        """Forget what the stream shows we no longer own, move guesses off seats
        that were just taken."""
        outcome = Outcome()
        if not self.basket.holds and not self.basket.bookings and not self.actions:
            return outcome  # (most events on a busy show: nothing of ours to check)
        version = self.seats.version
        letter_of = self.seats.letter_of
        expired = []
        for hold in list(self.basket.holds.values()):
            if hold.version > version:
                continue
            kept = [seat for seat in hold.seats if letter_of(seat) == "h"]
            if len(kept) != len(hold.seats):
                if hold.expires_at - now <= EXPIRY_SLACK_MS:
                    # The server's sweep beat our own clock to it: an expiry all the same.
                    expired.extend(seat for seat in hold.seats if seat not in kept)
                if kept:
                    hold.seats = kept
                    hold.total_price = sum(self.venue.price_of(seat) for seat in kept)
                    self.basket.revision += 1
                else:
                    self.basket.forget_hold(hold.hold_id, now)
        for booking in list(self.basket.bookings.values()):
            if booking.version > version:
                continue
            kept = [seat for seat in booking.seats if letter_of(seat) == "b"]
            if len(kept) != len(booking.seats):
                if kept:
                    booking.seats = kept
                    self.basket.revision += 1
                else:
                    self.basket.forget_booking(booking.booking_id, now)
        if expired:
            outcome.notice = notices.hold_expired(self.venue.sort_seats(expired))
            outcome.seat = expired[0]
        self._settle()
        return outcome

    # ---- the buyer's actions ---------------------------------------------------

    def click(self, seat_id: str, now: int) -> Outcome:
        """A seat chosen on the map: a free seat is held, a basket seat taken out,
        my booked seat asks whether to cancel its booking."""
        outcome = Outcome()
        if not self.ready:
            return outcome
        shown = self.seats.shown_of(seat_id)
        if shown == FREE:
            return self.hold_seats([seat_id], now)
        if shown == SELECTED:
            return self.remove(seat_id, now)
        if shown == MINE:
            booking = self.basket.booking_of_seat(seat_id)
            if booking is not None:
                outcome.ask_cancel = booking.booking_id
            return outcome
        if shown in (HELD, BOOKED):
            outcome.notice = notices.not_available(seat_id, STATE_WORDS[shown])
            outcome.seat = seat_id
        return outcome

    def hold_seats(self, seats: list, now: int) -> Outcome:
        return self._hold(seats, 0, "", now)

    def hold_best(self, quantity: int, section: str, now: int) -> Outcome:
        """`#quantity` + `#book`: the best `quantity` seats (in `section`, if given)."""
        if quantity < 1:
            quantity = 1
        if section and self.venue.section_named(section) is None:
            section = ""
        return self._hold([], quantity, section, now)

    def _hold(self, seats: list, quantity: int, section: str, now: int) -> Outcome:
        outcome = Outcome()
        if not self.ready:
            return outcome
        # The same request still waiting for its answer: ask again, same key.
        if seats:
            for action in self.actions.values():
                if action.phase == WAITING and action.kind in (HOLD, ADD) and action.seats == seats:
                    action.phase = FLYING
                    self._claim(action, seats)
                    outcome.send.append(action)
                    self._settle()
                    return outcome
        hold = self._hold_to_add_to(now)
        creating = self._creating()
        if hold is not None:
            action = self._new(ADD)
            action.hold_id = hold.hold_id
            action.token = hold.token
        elif creating is not None:
            action = self._new(ADD)
            action.phase = QUEUED
            action.after = creating.action_id
        else:
            action = self._new(HOLD)
        action.seats = list(seats)
        action.quantity = 0 if seats else quantity
        action.section = section
        action.body = self._selection_body(action)
        if seats:
            self._claim(action, seats)
        else:
            self._place_guess(action)
        if action.phase == FLYING:
            outcome.send.append(action)
        self._settle()
        return outcome

    def _selection_body(self, action: Action) -> dict:
        if action.seats:
            return {"seats": list(action.seats)}
        body = {"quantity": action.quantity}
        if action.section:
            body["section"] = action.section
        return body

    def _hold_to_add_to(self, now: int) -> Hold | None:
        """The basket new seats go into: the open hold that expires last, if it has
        time left (a basket never outlives its hold's first expiry)."""
        best = None
        for hold in self.basket.holds.values():
            if hold.expires_at - now > HOLD_MARGIN_MS and (best is None or hold.expires_at > best.expires_at):
                best = hold
        return best

    def _creating(self) -> Action | None:
        for action in self.actions.values():
            if action.kind == HOLD and action.phase == FLYING:
                return action
        return None

    def remove(self, seat_id: str, now: int) -> Outcome:
        """Take one seat out of the basket."""
        outcome = Outcome()
        hold = self.basket.hold_of_seat(seat_id)
        if hold is None or self.seats.shown_of(seat_id) != SELECTED:
            return outcome
        action = self._new(REMOVE)
        action.hold_id = hold.hold_id
        action.token = hold.token
        action.seats = [seat_id]
        self._claim(action, [seat_id])
        outcome.send.append(action)
        self._settle()
        return outcome

    def release_all(self, now: int) -> Outcome:
        """Empty the basket: let every held seat go."""
        outcome = Outcome()
        for hold in list(self.basket.holds.values()):
            claimable = [seat for seat in hold.seats if self.seats.shown_of(seat) == SELECTED]
            action = self._new(RELEASE)
            action.hold_id = hold.hold_id
            action.token = hold.token
            action.seats = list(hold.seats)
            self._claim(action, claimable)
            outcome.send.append(action)
        self._settle()
        return outcome

    def checkout(self, name: str, email: str, now: int) -> Outcome:
        """Confirm every hold of the basket with the buyer's details."""
        outcome = Outcome()
        problems = check_buyer(name, email)
        if problems:
            outcome.notice = notices.need_details(problems)
            return outcome
        holds = [hold for hold in self.basket.holds.values() if hold.seats]
        if not holds:
            outcome.notice = notices.basket_empty()
            return outcome
        for hold in holds:
            existing = None
            for action in self.actions.values():
                if action.kind == CONFIRM and action.hold_id == hold.hold_id:
                    existing = action
            if existing is not None:
                if existing.phase == WAITING:  # still unanswered: ask again, same key and body
                    existing.phase = FLYING
                    self._claim(existing, [s for s in hold.seats if self.seats.shown_of(s) == SELECTED])
                    outcome.send.append(existing)
                continue
            action = self._new(CONFIRM)
            action.hold_id = hold.hold_id
            action.token = hold.token
            action.seats = list(hold.seats)
            action.body = {"name": name.strip(), "email": email.strip()}
            self._claim(action, [seat for seat in hold.seats if self.seats.shown_of(seat) == SELECTED])
            outcome.send.append(action)
        self._settle()
        return outcome

    def cancel(self, booking_id: str, now: int) -> Outcome:
        """Cancel one of my bookings (the buyer has confirmed they mean it)."""
        outcome = Outcome()
        booking = self.basket.bookings.get(booking_id)
        if booking is None:
            return outcome
        for action in self.actions.values():
            if action.kind == CANCEL and action.booking_id == booking_id:
                if action.phase == WAITING:
                    action.phase = FLYING
                    self._claim(action, [s for s in booking.seats if self.seats.shown_of(s) == MINE])
                    outcome.send.append(action)
                    self._settle()
                return outcome
        action = self._new(CANCEL)
        action.booking_id = booking_id
        action.token = booking.token
        action.seats = list(booking.seats)
        action.reference = booking.reference
        self._claim(action, [seat for seat in booking.seats if self.seats.shown_of(seat) == MINE])
        outcome.send.append(action)
        self._settle()
        return outcome

    # ---- sending and answers --------------------------------------------------

    def sending(self, action: Action, now: int) -> int:
        """The page is about to send this action: returns the attempt number its
        answer or failure must quote. Unanswered requests are kept in storage."""
        action.attempt += 1
        action.sent_at = now
        if not action.first_sent_at:
            action.first_sent_at = now
            if action.kind != REFRESH and not action.background:
                self.basket.keep_request(action.to_record(self.show_id))
        return action.attempt

    def retry_due(self, action_id: int) -> Action | None:
        """A retry timer fired: the action to send again, if it still waits."""
        action = self.actions.get(action_id)
        if action is None or action.phase != WAITING:
            return None
        return action

    def waiting(self) -> list:
        return [action for action in self.actions.values() if action.phase == WAITING]

    def answered(self, action_id: int, status: int, body: object, now: int) -> Outcome:
        """The server's answer to an action (any attempt)."""
        action = self.actions.get(action_id)
        if action is None or action.phase == QUEUED:
            return Outcome()
        if status in UNKNOWN_OUTCOME:
            return self._no_answer(action, False, now)
        late = action.phase == WAITING
        body = body if isinstance(body, dict) else {}
        self._unclaim(action)
        del self.actions[action_id]
        if action.first_sent_at and action.kind != REFRESH and not action.background:
            self.basket.answered(action.key, now)
        handler = {HOLD: self._hold_answered, ADD: self._hold_answered, REMOVE: self._remove_answered,
                   RELEASE: self._release_answered, CONFIRM: self._confirm_answered,
                   CANCEL: self._cancel_answered, REFRESH: self._refresh_answered}[action.kind]
        outcome = handler(action, status, body, now, late)
        if late or action.background:
            # The buyer was told it was undone (or never asked): good news only.
            outcome.notice = ""
            outcome.seat = ""
        self._settle()
        return outcome

    def failed(self, action_id: int, attempt: int, timeout: bool, now: int) -> Outcome:
        """No answer to one attempt (network error, or aborted after the timeout)."""
        action = self.actions.get(action_id)
        if action is None or attempt != action.attempt:
            return Outcome()
        return self._no_answer(action, timeout, now)

    def _no_answer(self, action: Action, timeout: bool, now: int) -> Outcome:
        outcome = Outcome()
        was_shown = action.phase == FLYING
        self._unclaim(action)
        action.phase = WAITING
        action.failures += 1
        delay = RETRY_DELAYS_MS[min(action.failures - 1, len(RETRY_DELAYS_MS) - 1)]
        outcome.retry.append((action, delay))
        if was_shown and not action.background:
            outcome.notice = notices.no_answer(WHAT[action.kind], action.seats, timeout)
            outcome.seat = action.seats[0] if action.seats else ""
        if action.kind == HOLD:
            # Seats queued to join this basket go ahead in a basket of their own.
            outcome.add(self._requeue_after(action))
        self._settle()
        return outcome

    def _requeue_after(self, creating: Action) -> Outcome:
        outcome = Outcome()
        first = None
        for action in list(self.actions.values()):
            if action.phase != QUEUED or action.after != creating.action_id:
                continue
            if first is None:
                action.kind = HOLD
                action.phase = FLYING
                action.after = 0
                first = action
                outcome.send.append(action)
            else:
                action.after = first.action_id
        return outcome

    def _dequeue_into(self, creating: Action, hold: Hold) -> Outcome:
        """The basket exists now: seats queued for it are sent to it."""
        outcome = Outcome()
        for action in list(self.actions.values()):
            if action.phase == QUEUED and action.after == creating.action_id:
                action.phase = FLYING
                action.after = 0
                action.hold_id = hold.hold_id
                action.token = hold.token
                outcome.send.append(action)
        return outcome

    # ---- each kind of answer --------------------------------------------------------

    def _hold_answered(self, action: Action, status: int, body: dict, now: int, late: bool) -> Outcome:
        outcome = Outcome()
        ok = (status == 201 and action.kind == HOLD) or (status == 200 and action.kind == ADD)
        if ok and isinstance(body.get("seats"), list):
            seats = [seat for seat in body["seats"] if isinstance(seat, str) and self.venue.has_seat(seat)]
            version = _int(body.get("version"), self.seats.version or 0)
            seconds = _int(body.get("expires_in"), 0)
            hold_id = str(body.get("hold_id") or action.hold_id)
            before = self.basket.holds[hold_id].seats if hold_id in self.basket.holds else []
            started = action.first_sent_at if action.kind == HOLD else action.sent_at
            deadline = started + seconds * 1000
            if hold_id in self.basket.holds:
                deadline = min(deadline, self.basket.holds[hold_id].expires_at)
            hold = Hold(hold_id, str(body.get("token") or action.token), seats, deadline, version,
                        _int(body.get("total_price"), 0))
            kept = self.basket.put_hold(hold)
            added = [seat for seat in seats if seat not in before]
            self.seats.add_overlay(version, {seat: "h" for seat in added})
            if kept and added:
                outcome.show_seats = added
                outcome.announce = notices.held_late(added) if late else notices.held(added, seconds)
            if action.kind == HOLD:
                outcome.add(self._dequeue_into(action, hold))
            return outcome
        if action.kind == HOLD:
            outcome.add(self._requeue_after(action))
        error = body.get("error")
        if action.kind == ADD and (status == 404 or error == "hold_expired"):
            # The basket is gone (expired, or checked out in another tab): these
            # seats start a new one, as a new request.
            self._forget_hold(action.hold_id, now)
            if not late:
                again = self._new(HOLD)
                again.seats = list(action.seats)
                again.quantity = action.quantity
                again.section = action.section
                again.body = self._selection_body(again)
                if again.seats:
                    self._claim(again, again.seats)
                else:
                    self._place_guess(again)
                outcome.send.append(again)
            return outcome
        return self._refusal(action, status, body, outcome)

    def _refusal(self, action: Action, status: int, body: dict, outcome: Outcome) -> Outcome:
        """A hold or an addition refused: the view is already rolled back; say why."""
        error = body.get("error")
        version = _int(body.get("version"), -1)
        seats = action.seats or action.guess
        outcome.seat = seats[0] if seats else ""
        if status == 409 and error == "seats_taken":
            unavailable = [s for s in body.get("unavailable") or [] if isinstance(s, str) and self.venue.has_seat(s)]
            if unavailable and version >= 0:
                self.seats.add_overlay(version, {seat: "h" for seat in unavailable})
            outcome.notice = notices.taken(unavailable or seats)
            outcome.seat = (unavailable or seats or [""])[0]
        elif status == 409 and error == "sold_out":
            outcome.notice = notices.sold_out(_int(body.get("available"), 0), action.quantity or len(seats),
                                              action.section)
        elif status == 429:
            outcome.notice = notices.too_many("baskets" if error == "too_many_holds" else "requests")
        elif status >= 500:
            outcome.notice = notices.server_error(WHAT[action.kind])
        elif status == 400 and "basket" in str(body.get("message") or ""):
            outcome.notice = notices.basket_full(str(body.get("message")))
        else:
            outcome.notice = notices.refused(WHAT[action.kind], str(body.get("message") or ("status " + str(status))))
        return outcome

    def _remove_answered(self, action: Action, status: int, body: dict, now: int, late: bool) -> Outcome:
        outcome = Outcome()
        seat_id = action.seats[0]
        if status == 200 and isinstance(body.get("seats"), list):
            version = _int(body.get("version"), self.seats.version or 0)
            self._update_basket(action.hold_id, body, version)
            self.seats.add_overlay(version, {seat_id: "f"})
            outcome.announce = notices.removed(seat_id)
            hold = self.basket.holds.get(action.hold_id)
            if hold is not None and not hold.seats:
                # An empty basket still counts against the holds a client may keep open.
                self.basket.forget_hold(hold.hold_id, now)
                outcome.send.append(self._background(RELEASE, hold))
            return outcome
        if status == 404 or body.get("error") == "hold_expired":
            hold = self.basket.holds.get(action.hold_id)
            if body.get("error") == "hold_expired" or hold is None:
                self._forget_hold(action.hold_id, now)
            else:  # the seat is not in that basket (any more): ask what it holds
                outcome.send.append(self._background(REFRESH, hold))
            return outcome
        outcome.seat = seat_id
        if status >= 500:
            outcome.notice = notices.server_error(WHAT[REMOVE])
        else:
            outcome.notice = notices.refused(WHAT[REMOVE], str(body.get("message") or ("status " + str(status))))
        return outcome

    def _release_answered(self, action: Action, status: int, body: dict, now: int, late: bool) -> Outcome:
        outcome = Outcome()
        if status == 200:
            released = [s for s in body.get("released") or [] if isinstance(s, str) and self.venue.has_seat(s)]
            version = _int(body.get("version"), -1)
            if released and version >= 0:
                self.seats.add_overlay(version, {seat: "f" for seat in released})
            self._forget_hold(action.hold_id, now)
            if released and not action.background:
                outcome.announce = notices.released(released)
            return outcome
        if status in (404, 403, 401):
            self._forget_hold(action.hold_id, now)
            return outcome
        if status >= 500:
            outcome.notice = notices.server_error(WHAT[RELEASE])
        return outcome

    def _confirm_answered(self, action: Action, status: int, body: dict, now: int, late: bool) -> Outcome:
        outcome = Outcome()
        if status == 200 and isinstance(body.get("seats"), list):
            seats = [seat for seat in body["seats"] if isinstance(seat, str) and self.venue.has_seat(seat)]
            version = _int(body.get("version"), self.seats.version or 0)
            booking = Booking(str(body.get("booking_id")), str(body.get("token") or ""),
                              str(body.get("reference") or ""), seats, version, _int(body.get("total_price"), 0))
            self._forget_hold(action.hold_id, now)
            if self.basket.put_booking(booking):
                self.seats.add_overlay(version, {seat: "b" for seat in seats})
                outcome.confirmed.append(booking)
                outcome.show_seats = seats
                if late:
                    outcome.announce = notices.confirmed_late(seats, booking.reference)
                else:
                    outcome.announce = notices.confirmed([booking.reference])
            return outcome
        error = body.get("error")
        if status == 409 and error == "hold_expired":
            self._forget_hold(action.hold_id, now)
            taken = [s for s in body.get("unavailable") or [] if isinstance(s, str)]
            outcome.notice = notices.confirm_expired(taken)
        elif status == 409 and error == "basket_empty":
            self._forget_hold(action.hold_id, now)
            outcome.notice = notices.basket_empty()
        elif status == 404:
            self._forget_hold(action.hold_id, now)
            outcome.notice = notices.refused(WHAT[CONFIRM], "that basket is no longer open")
        elif status >= 500:
            outcome.notice = notices.server_error(WHAT[CONFIRM])
        else:
            outcome.notice = notices.refused(WHAT[CONFIRM], str(body.get("message") or ("status " + str(status))))
        outcome.seat = action.seats[0] if action.seats else ""
        return outcome

    def _cancel_answered(self, action: Action, status: int, body: dict, now: int, late: bool) -> Outcome:
        outcome = Outcome()
        if status == 200:
            released = [s for s in body.get("released") or action.seats if isinstance(s, str)]
            version = _int(body.get("version"), -1)
            self.basket.forget_booking(action.booking_id, now)
            if version >= 0:
                self.seats.add_overlay(version, {seat: "f" for seat in released if self.venue.has_seat(seat)})
            outcome.announce = notices.cancelled(released, action.reference or action.booking_id)
            return outcome
        outcome.seat = action.seats[0] if action.seats else ""
        if status == 404:
            self.basket.forget_booking(action.booking_id, now)
            outcome.notice = notices.already_cancelled(action.seats)
        elif status in (401, 403):
            self.basket.forget_booking(action.booking_id, now)
            outcome.notice = notices.not_yours(action.seats)
        elif status >= 500:
            outcome.notice = notices.server_error(WHAT[CANCEL])
        else:
            outcome.notice = notices.refused(WHAT[CANCEL], str(body.get("message") or ("status " + str(status))))
        return outcome

    def _refresh_answered(self, action: Action, status: int, body: dict, now: int, late: bool) -> Outcome:
        if status == 200 and isinstance(body.get("seats"), list):
            version = _int(body.get("version"), self.seats.version or 0)
            self._update_basket(action.hold_id, body, version)
            hold = self.basket.holds.get(action.hold_id)
            seconds = body.get("expires_in")
            if hold is not None and isinstance(seconds, (int, float)):
                hold.expires_at = min(hold.expires_at, action.sent_at + int(seconds) * 1000)
        elif status in (404, 403, 401):
            self._forget_hold(action.hold_id, now)
        return Outcome()

    def _update_basket(self, hold_id: str, body: dict, version: int) -> None:
        hold = self.basket.holds.get(hold_id)
        if hold is None or version < hold.version:
            return
        hold.seats = [seat for seat in body["seats"] if isinstance(seat, str) and self.venue.has_seat(seat)]
        hold.version = version
        hold.total_price = _int(body.get("total_price"), hold.total_price)
        self.basket.revision += 1

    def _forget_hold(self, hold_id: str, now: int) -> None:
        if hold_id in self.basket.holds or hold_id not in self.basket.gone:
            self.basket.forget_hold(hold_id, now)

    def _background(self, kind: str, hold: Hold) -> Action:
        action = self._new(kind)
        action.hold_id = hold.hold_id
        action.token = hold.token
        action.seats = list(hold.seats) if kind == RELEASE else []
        action.background = True
        return action

    # ---- time -----------------------------------------------------------------

    def tick(self, now: int) -> Outcome:
        """Once a second: holds whose time is up leave the basket."""
        outcome = Outcome()
        expired = False
        for hold in list(self.basket.holds.values()):
            if hold.expires_at > now:
                continue
            expired = True
            self.basket.forget_hold(hold.hold_id, now)
            confirming = [a for a in self.actions.values() if a.kind == CONFIRM and a.hold_id == hold.hold_id]
            if hold.seats and not confirming:
                outcome.notice = notices.hold_expired(self.venue.sort_seats(hold.seats))
                outcome.seat = hold.seats[0]
        if expired:
            self._settle()
        return outcome

    def seconds_left(self, now: int) -> int | None:
        return self.basket.seconds_left(now)

    # ---- storage ----------------------------------------------------------------

    def restore(self, stored: object, now: int) -> None:
        """At start: what this browser's tabs kept (holds, bookings, requests still
        unanswered, which turn into waiting actions asked again once ready)."""
        records = merge_records(clean_records(stored), empty_records(), now)
        self.basket.load(records)
        for key in list(records["requests"]):
            action = self._action_from_record(records["requests"][key])
            if action is not None:
                self.actions[action.action_id] = action
        self._settle()

    def merge_storage(self, stored: object, now: int) -> dict:
        """Merge what storage holds (another tab may have written) with what this
        tab knows; this tab takes the result, which storage should hold too."""
        merged = merge_records(clean_records(stored), self.basket.records(), now)
        self.basket.load(merged)
        self._settle()
        return merged

    def _action_from_record(self, record: dict) -> Action | None:
        record = request_from_record(record)
        if record is None or record.get("kind") not in WHAT or record.get("kind") == REFRESH:
            return None
        action = self._new(str(record["kind"]))
        action.key = str(record["key"])
        action.phase = WAITING
        action.body = record.get("body") if isinstance(record.get("body"), dict) else None
        action.token = str(record.get("token") or "")
        action.seats = [str(s) for s in record.get("seats") or []]
        action.quantity = _int(record.get("quantity"), 0)
        action.section = str(record.get("section") or "")
        action.hold_id = str(record.get("hold_id") or "")
        action.booking_id = str(record.get("booking_id") or "")
        action.reference = str(record.get("reference") or "")
        action.first_sent_at = _int(record.get("first_sent_at"), 0)
        return action

    # ---- internals ----------------------------------------------------------------

    def _new(self, kind: str) -> Action:
        action = Action(self._next_id, kind)
        action.key = self.new_key()
        self._next_id += 1
        self.actions[action.action_id] = action
        return action

    def _claim(self, action: Action, seats: list) -> None:
        self._unclaim(action)
        action.claimed = list(seats)
        self.seats.claim(action.claimed, action.releasing)

    def _unclaim(self, action: Action) -> None:
        if action.claimed:
            self.seats.unclaim(action.claimed, action.releasing)
            action.claimed = []

    def _place_guess(self, action: Action) -> None:
        """Show a best-available action's guess: the seats the server's rule would
        pick among those the buyer sees free."""
        self._unclaim(action)
        section = self.venue.section_named(action.section) if action.section else None
        indexes = section.row_indexes() if section is not None else range(len(self.venue.rows))
        first = indexes[0] if len(indexes) else 0
        rows = [self.seats.guess_string(index, []) for index in indexes]
        guess = []
        for position, offset in seat_ranking.best_available(rows, action.quantity):
            guess.append(self.venue.rows[first + position].label + str(offset + 1))
        action.guess = guess
        self._claim(action, guess)

    def _guesses_hold(self, action: Action) -> bool:
        """True while every guessed seat is still free but for this guess."""
        seats = self.seats
        for seat_id in action.guess:
            if (seats.effective_letter(seat_id) != "f" or seat_id in seats.releasing
                    or seats.taking.get(seat_id, 0) != 1):
                return False
        return len(action.guess) == action.quantity or not self._could_guess_more(action)

    def _could_guess_more(self, action: Action) -> bool:
        return self.seats.available > 0

    def _settle(self) -> None:
        """After every change: ownership shown as the basket says, guesses moved off
        seats that were taken meanwhile."""
        self._sync_ownership()
        if not self.actions:
            return
        for action in list(self.actions.values()):
            if action.quantity and not action.seats and action.phase != WAITING and not self._guesses_hold(action):
                self._place_guess(action)

    def _sync_ownership(self) -> None:
        if self.basket.revision == self._synced_revision:
            return
        self._synced_revision = self.basket.revision
        held = {}
        for hold in self.basket.holds.values():
            for seat_id in hold.seats:
                held[seat_id] = hold.hold_id
        booked = {}
        for booking in self.basket.bookings.values():
            for seat_id in booking.seats:
                booked[seat_id] = booking.booking_id
        seats = self.seats
        for seat_id in list(seats.held_by_me):
            if seat_id not in held:
                seats.unset_held(seat_id)
        for seat_id in list(held):
            if seats.held_by_me.get(seat_id) != held[seat_id]:
                seats.set_held(seat_id, held[seat_id])
        for seat_id in list(seats.booked_by_me):
            if seat_id not in booked:
                seats.unset_booked(seat_id)
        for seat_id in list(booked):
            if seats.booked_by_me.get(seat_id) != booked[seat_id]:
                seats.set_booked(seat_id, booked[seat_id])


def _int(value: object, default: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return int(value)
