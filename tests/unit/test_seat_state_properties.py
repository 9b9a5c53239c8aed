"""The page's seat state under random interleavings (hypothesis, stateful).

A small model of the server decides each request when the test says so, and
emits the stream's events; the test then delivers answers (200 / 409 / 500 /
lost) and events (late, duplicated, out of order, stale snapshots) in any order,
while other people book and cancel. Checked at every step: the count shown is
exactly the free seats shown plus our pending releases, and never more than the
stream's free seats plus our own unconfirmed releases; a failure undoes its own
action and leaves every other one as it was; what the state keeps seat by seat
(`shown`, `shown_available`, the seats `take_changes()` reports, redrawn the
way the page does) equals a full recompute over every seat. Checked at the end,
once every answer and event has arrived: the page shows the server's truth.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from tests.unit.test_seat_state import load_seat_state

ss = load_seat_state()

TOTAL, ROW_SIZE = 7, 3  # rows A, B of three and a short row C of one: contention and sold-out happen


class ServerModel:
    """Just enough of the server: all-or-nothing bookings, best available by the
    contract's rule, cancellation by token, a version per committed change."""

    def __init__(self) -> None:
        self.seats = []
        for index in range(TOTAL):
            row = "ABC"[index // ROW_SIZE]
            self.seats.append({"id": f"{row}{index % ROW_SIZE + 1}", "row": row, "number": index % ROW_SIZE + 1})
        self.best_order = ss.best_first(self.seats)
        self.state = {seat["id"]: "free" for seat in self.seats}
        self.version = 0
        self.events: list[dict] = []  # events[i] has version i + 1
        self.bookings: dict[str, tuple[str, list[str]]] = {}
        self._ids = itertools.count(1)

    def snapshot(self) -> dict:
        seats = [{**seat, "state": self.state[seat["id"]]} for seat in self.seats]
        free = sum(1 for s in seats if s["state"] == "free")
        return {"version": self.version, "total": TOTAL, "available": free, "seats": seats}

    def free_count(self) -> int:
        return sum(1 for state in self.state.values() if state == "free")

    def _commit(self, changed: dict[str, str]) -> None:
        self.state.update(changed)
        self.version += 1
        self.events.append({"version": self.version, "available": self.free_count(), "changed": changed})

    def book(self, body: dict) -> tuple[int, dict]:
        if "seats" in body:
            taken = [seat for seat in body["seats"] if self.state[seat] != "free"]
            if taken:
                return 409, {"error": "seats_taken", "message": "taken", "unavailable": taken,
                             "available": self.free_count(), "version": self.version}
            seats = list(body["seats"])
        else:
            free = [seat for seat in self.best_order if self.state[seat] == "free"]
            if not free:
                return 409, {"error": "sold_out", "message": "sold out", "unavailable": [],
                             "available": 0, "version": self.version}
            seats = free[:1]
        booking_id = f"b{next(self._ids)}"
        token = "t" + booking_id
        self.bookings[booking_id] = (token, seats)
        self._commit(dict.fromkeys(seats, "booked"))
        return 200, {"booking_id": booking_id, "token": token, "seats": seats,
                     "available": self.free_count(), "version": self.version}

    def cancel(self, booking_id: str, token: str) -> tuple[int, dict]:
        if booking_id not in self.bookings:
            return 404, {"error": "not_found", "message": "no such booking"}
        if self.bookings[booking_id][0] != token:
            return 403, {"error": "forbidden", "message": "wrong token"}
        _, seats = self.bookings.pop(booking_id)
        self._commit(dict.fromkeys(seats, "free"))
        return 200, {"released": seats, "available": self.free_count(), "version": self.version}

    def handle(self, request: dict) -> tuple[int, dict]:
        if request["method"] == "POST":
            return self.book(request["body"])
        return self.cancel(request["path"].rsplit("/", 1)[1], request["token"])


class InFlight:
    """A request the page sent: decided by the server yet or not, answer delivered or not."""

    def __init__(self, action: ss.PendingAction) -> None:
        self.action = action
        self.request = action.request()
        self.answer: tuple[int, dict] | None = None


class PageAgainstServer(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.server = ServerModel()
        self.page = ss.SeatState()
        self.page.apply_snapshot(self.server.snapshot())
        self.in_flight: list[InFlight] = []
        self.old_snapshots = [self.server.snapshot()]
        self.known_bookings: set[str] = set()  # bookings whose 200 the page received
        self.their_bookings: set[str] = set()  # bookings made by other people
        # Our cancellations the server made but whose answer was lost: if the page
        # then restarts from a snapshot, it cannot see that the seat changed hands.
        self.lost_cancels: set[str] = set()
        self.steps_since_click: dict[int, int] = {}
        self.snapshot_wanted = False
        self.drawn: dict[str, str] = {}  # the seat map as the page draws it from take_changes()
        self.saved = (self.page.bookings_revision, self.page.booking_records())  # what the page last saved

    # ---- what can happen --------------------------------------------------

    def _mark_change(self) -> None:
        for action_id in self.steps_since_click:
            self.steps_since_click[action_id] += 1

    def _sent(self, action: ss.PendingAction | None, view_before: dict, available_before: int) -> None:
        if action is None:
            return
        self._mark_change()
        self.in_flight.append(InFlight(action))
        self.steps_since_click[action.action_id] = 0
        action.test_view_before = (view_before, available_before)

    @rule()
    def click_book_button(self):
        before = (self.page.view(), self.page.available())
        self._sent(self.page.book_best(), *before)

    @rule(index=st.integers(0, TOTAL - 1))
    def click_seat(self, index):
        before = (self.page.view(), self.page.available())
        self._sent(self.page.click(self.page.seat_order[index]), *before)

    @precondition(lambda self: any(f.answer is None for f in self.in_flight))
    @rule(data=st.data())
    def server_decides(self, data):
        undecided = [f for f in self.in_flight if f.answer is None]
        flight = data.draw(st.sampled_from(undecided))
        flight.answer = self.server.handle(flight.request)

    @precondition(lambda self: any(f.answer is not None for f in self.in_flight))
    @rule(data=st.data())
    def answer_arrives(self, data):
        decided = [f for f in self.in_flight if f.answer is not None]
        flight = data.draw(st.sampled_from(decided))
        self._deliver(flight)

    @precondition(lambda self: self.in_flight)
    @rule(data=st.data(), how=st.sampled_from(["500 before deciding", "lost before the server",
                                              "lost after the server", "timeout"]))
    def request_fails(self, data, how):
        flight = data.draw(st.sampled_from(self.in_flight))
        if how == "lost after the server" and flight.answer is None:
            flight.answer = self.server.handle(flight.request)
        if how == "500 before deciding" and flight.answer is not None:
            how = "lost after the server"  # the server already decided: only the answer can be lost
        if how in ("lost after the server", "timeout") and flight.answer and flight.request["method"] == "DELETE":
            self.lost_cancels.add(flight.request["path"].rsplit("/", 1)[1])
        others_before = {f.action.action_id: list(f.action.claimed_seats())
                         for f in self.in_flight if f is not flight}
        quiet = self.steps_since_click[flight.action.action_id] == 0

        self.in_flight.remove(flight)
        self._mark_change()
        if how == "500 before deciding":
            self.page.apply_response(flight.action.action_id, 500, {"error": "internal_error", "message": "x"})
        else:
            self.page.apply_failure(flight.action.action_id, "timeout" if how == "timeout" else "network")

        view = self.page.view()
        for other in self.in_flight:  # a failure never undoes another action
            if others_before[other.action.action_id]:  # (a guess with no seat left may now get one)
                assert other.action.claimed_seats() == others_before[other.action.action_id]
            assert all(view[seat] == "pending" for seat in other.action.claimed_seats())
        if quiet:  # nothing else happened since the click: exactly the state before it (REQ-5)
            assert (view, self.page.available()) == flight.action.test_view_before

    @rule(index=st.integers(0, TOTAL - 1))
    def someone_else_books(self, index):
        status, body = self.server.book({"seats": [self.server.seats[index]["id"]]})
        if status == 200:
            self.their_bookings.add(body["booking_id"])

    @precondition(lambda self: any(b in self.their_bookings for b in self.server.bookings))
    @rule(data=st.data())
    def someone_else_cancels(self, data):
        theirs = sorted(b for b in self.server.bookings if b in self.their_bookings)
        booking_id = data.draw(st.sampled_from(theirs))
        self.server.cancel(booking_id, self.server.bookings[booking_id][0])

    @precondition(lambda self: self.server.events)
    @rule(data=st.data())
    def an_event_arrives(self, data):
        """Any event: the next one, a late duplicate, or one from the future (a gap)."""
        event = data.draw(st.sampled_from(self.server.events))
        self._mark_change()
        if self.page.apply_seats_event(event) == ss.GAP:
            self.snapshot_wanted = True

    @rule()
    def the_next_event_arrives(self):
        if self.page.version < self.server.version:
            self._mark_change()
            assert self.page.apply_seats_event(self.server.events[self.page.version]) == ss.APPLIED

    @rule(stale=st.booleans(), data=st.data())
    def a_snapshot_arrives(self, stale, data):
        """A fresh one (asked for after a gap, or on reconnect), or a stale one."""
        self._mark_change()
        self.old_snapshots.append(self.server.snapshot())
        chosen = data.draw(st.sampled_from(self.old_snapshots)) if stale else self.server.snapshot()
        self.page.apply_snapshot(chosen)
        self.snapshot_wanted = False

    def _deliver(self, flight: InFlight) -> None:
        self.in_flight.remove(flight)
        self._mark_change()
        status, body = flight.answer
        self.page.apply_response(flight.action.action_id, status, body)
        if status == 200 and flight.request["method"] == "POST":
            self.known_bookings.add(body["booking_id"])

    # ---- what must always hold ------------------------------------------

    @invariant()
    def the_count_is_what_the_seats_show(self):
        view = self.page.view()
        releasing = {s for a in self.page.pending if a.kind == ss.CANCEL for s in a.claimed_seats()}
        shown_free = sum(1 for state in view.values() if state == "free")
        assert self.page.available() == shown_free + len(releasing)

    @invariant()
    def what_is_kept_seat_by_seat_equals_a_full_recompute(self):
        """The page redraws only the seats `take_changes()` reports and shows
        `shown_available`: that must be exactly what a recompute of every seat gives."""
        for seat in self.page.take_changes():
            self.drawn[seat] = self.page.shown[seat]
        view = self.page.view()
        assert self.page.shown == view
        assert self.drawn == view
        assert self.page.shown_available == self.page.available()
        # The page saves bookings only when bookings_revision moved: it must move on every change.
        records = self.page.booking_records()
        if self.page.bookings_revision == self.saved[0]:
            assert records == self.saved[1]
        self.saved = (self.page.bookings_revision, records)
        # The guess search starts at _free_from: no free seat may hide before it.
        effective = self.page.effective()
        assert all(effective[seat] != "free" for seat in self.page.best_order[:self.page._free_from])

    @invariant()
    def never_more_free_than_the_stream_plus_our_own_releases(self):
        confirmed_free = sum(1 for state in self.page.confirmed.values() if state == "free")
        assert self.page.available() <= confirmed_free + self.page.unconfirmed_releases()

    def teardown(self):
        """Everything arrives: every request is decided and answered, then the
        stream delivers what the page has not seen yet."""
        for flight in list(self.in_flight):
            if flight.answer is None:
                flight.answer = self.server.handle(flight.request)
        for flight in list(self.in_flight):
            self._deliver(flight)
        while self.page.version < self.server.version:
            assert self.page.apply_seats_event(self.server.events[self.page.version]) == ss.APPLIED

        mine = {seat for b in self.known_bookings if b in self.server.bookings for seat in self.server.bookings[b][1]}
        expected = {seat: ("mine" if seat in mine else state) for seat, state in self.server.state.items()}
        view = self.page.view()
        for seat, shown in view.items():
            if shown == "mine" and expected[seat] == "booked":
                # The one thing a snapshot cannot tell: the seat we failed to hear
                # we released was booked again by someone else (see docs/page.md).
                assert self.page._booking_of(seat).booking_id in self.lost_cancels
                expected[seat] = "mine"
        assert self.page.pending == []
        assert view == expected
        assert self.page.available() == self.server.free_count()
        assert self.page.overlays == []


@pytest.mark.req("REQ-5")
@pytest.mark.req("REQ-6")
@pytest.mark.req("REQ-7")
@pytest.mark.req("REQ-11")
def test_page_state_converges_to_the_servers_truth_whatever_the_order():
    """Each failure undoes exactly its own action; what is redrawn seat by seat is
    always a full recompute's answer; once everything arrived the page shows the truth."""
    run_state_machine_as_test(PageAgainstServer, settings=settings(
        max_examples=300, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]))
