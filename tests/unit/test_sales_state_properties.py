"""The page's sales state under random histories (hypothesis, stateful), against a
model of the server: holds, basket edits, confirms, cancels, expiry, other buyers,
requests lost before or after the server decided them, answers late, duplicated
or never delivered, retries with the same Idempotency-Key, stale and duplicated
events, snapshots, and a second tab sharing the storage.

Checked after every step: what the state keeps seat by seat (and its free count)
equals a full recompute, and the seats the page redraws (`take_changes()`) give
the same map; an answer or a failure of one action never changes what any other
action in flight shows (no rollback undoes another's). Checked at the end, once
every request has its final answer and every event has arrived: every tab shows
the server's truth (my basket `selected`, my bookings `mine`), no booking the
server made for the page is missing from it, and no basket was confirmed twice.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from tests.unit.page_modules import compact, layout, load, recompute, seat_ids, shown_now

sales = load("sales_state")
venue_module = load("venue")
ranking = load("seat_ranking")
shown_module = load("shown_seats")

DETAIL = layout(("Stalls", 4000, [("A", 3), ("B", 2)]), ("Balcony", 1500, [("C", 2)]))
SEATS = seat_ids(DETAIL)
HOLD_MS = 60_000
LATE_CONFIRM_MS = 3_600_000
START = 1_000_000


class ServerModel:
    """Just enough of the server (contract Part 2): holds with expiry from creation,
    add / remove / release / confirm (a late confirm wins when its seats are still
    free), cancel, best available by the contract's rule, a version per change,
    and replies kept per (path, Idempotency-Key)."""

    def __init__(self) -> None:
        self.venue = venue_module.Venue(DETAIL)
        self.state = dict.fromkeys(SEATS, "f")
        self.owner: dict[str, str] = {}
        self.version = 0
        self.events: list[dict] = []  # events[i] has version i + 1
        self.holds: dict[str, dict] = {}
        self.bookings: dict[str, dict] = {}
        self.replies: dict[tuple[str, str], tuple[int, dict]] = {}
        self.confirmed_holds: list[str] = []
        self._ids = itertools.count(1)

    # ---- state ----------------------------------------------------------------

    def free_count(self) -> int:
        return sum(1 for letter in self.state.values() if letter == "f")

    def snapshot(self) -> dict:
        states = {seat: {"f": "free", "h": "held", "b": "booked"}[letter] for seat, letter in self.state.items()}
        return compact(DETAIL, self.version, states)

    def _commit(self, changed: dict[str, str], owner: str | None) -> None:
        for seat, letter in changed.items():
            self.state[seat] = letter
            if letter == "f":
                self.owner.pop(seat, None)
            else:
                self.owner[seat] = owner
        self.version += 1
        names = {"f": "free", "h": "held", "b": "booked"}
        self.events.append({"version": self.version, "available": self.free_count(),
                            "changed": {seat: names[letter] for seat, letter in changed.items()}})

    def expire_due(self, now: int) -> None:
        for hold in self.holds.values():
            if hold["state"] == "open" and hold["expires_at"] <= now:
                hold["state"] = "expired"
                if hold["seats"]:
                    self._commit(dict.fromkeys(hold["seats"], "f"), None)

    def _choose(self, body: dict) -> list[str] | tuple[int, dict]:
        if "seats" in body:
            taken = [seat for seat in body["seats"] if self.state[seat] != "f"]
            if taken:
                return self._refusal("seats_taken", taken)
            return list(body["seats"])
        quantity = body.get("quantity", 1)
        section = self.venue.section_named(body["section"]) if "section" in body else None
        indexes = section.row_indexes() if section else range(len(self.venue.rows))
        rows = ["".join(self.state[f"{self.venue.rows[i].label}{n}"] for n in range(1, self.venue.rows[i].length + 1))
                for i in indexes]
        picked = ranking.best_available(rows, quantity)
        if len(picked) < quantity:
            return self._refusal("sold_out", [])
        return [f"{self.venue.rows[indexes[0] + r].label}{o + 1}" for r, o in picked]

    def _refusal(self, error: str, unavailable: list[str]) -> tuple[int, dict]:
        return 409, {"error": error, "message": error, "unavailable": unavailable, "available": self.free_count(),
                     "version": self.version}

    def _basket(self, hold_id: str, now: int, token: bool = False) -> dict:
        hold = self.holds[hold_id]
        body = {"hold_id": hold_id, "seats": list(hold["seats"]), "expires_at": "x",
                "expires_in": max(0, round((hold["expires_at"] - now) / 1000)),
                "total_price": sum(self.venue.price_of(s) for s in hold["seats"]),
                "available": self.free_count(), "version": self.version}
        if token:
            body["token"] = hold["token"]
        return body

    # ---- requests -------------------------------------------------------------

    def handle(self, request: dict, now: int) -> tuple[int, dict]:
        self.expire_due(now)
        key = (request["method"] + " " + request["path"], request["key"])
        if request["method"] == "POST" and request["key"] and key in self.replies:
            return self.replies[key]
        reply = self._decide(request, now)
        if request["method"] == "POST" and request["key"] and reply[0] in (200, 201, 409):
            self.replies[key] = reply
        return reply

    def _decide(self, request: dict, now: int) -> tuple[int, dict]:
        parts = request["path"].strip("/").split("/")
        method = request["method"]
        if parts[0] == "shows":
            chosen = self._choose(request["body"])
            if isinstance(chosen, tuple):
                return chosen
            hold_id = f"h{next(self._ids)}"
            self.holds[hold_id] = {"token": "t" + hold_id, "seats": chosen, "expires_at": now + HOLD_MS,
                                   "state": "open"}
            self._commit(dict.fromkeys(chosen, "h"), hold_id)
            return 201, self._basket(hold_id, now, token=True)
        if parts[0] == "bookings":
            booking = self.bookings.get(parts[1])
            if booking is None:
                return 404, {"error": "not_found", "message": "no such booking"}
            if booking["token"] != request["token"]:
                return 403, {"error": "forbidden", "message": "wrong token"}
            del self.bookings[parts[1]]
            self._commit(dict.fromkeys(booking["seats"], "f"), None)
            return 200, {"released": booking["seats"], "available": self.free_count(), "version": self.version}
        hold = self.holds.get(parts[1])
        if hold is None or hold["state"] in ("confirmed", "released"):
            return 404, {"error": "not_found", "message": "no such hold"}
        if hold["token"] != request["token"]:
            return 403, {"error": "forbidden", "message": "wrong token"}
        expired = hold["state"] == "expired"
        if expired and (method == "GET" or (method == "DELETE" and len(parts) == 2)):
            return 404, {"error": "not_found", "message": "no such hold"}
        if expired and (method == "DELETE" or parts[2] == "seats"):
            return self._refusal("hold_expired", [])
        hold_id = parts[1]
        if method == "GET":
            return 200, self._basket(hold_id, now)
        if method == "DELETE" and len(parts) == 2:
            hold["state"] = "released"
            if hold["seats"]:
                self._commit(dict.fromkeys(hold["seats"], "f"), None)
            return 200, {"released": hold["seats"], "available": self.free_count(), "version": self.version}
        if method == "DELETE":
            seat = parts[3]
            if seat not in hold["seats"]:
                return 404, {"error": "not_found", "message": "not in this basket"}
            hold["seats"] = [s for s in hold["seats"] if s != seat]
            self._commit({seat: "f"}, None)
            return 200, self._basket(hold_id, now)
        if parts[2] == "seats":
            body = request["body"]
            if "seats" in body:
                body = {"seats": [s for s in body["seats"] if s not in hold["seats"]]}
                if not body["seats"]:
                    return 200, self._basket(hold_id, now)
            chosen = self._choose(body)
            if isinstance(chosen, tuple):
                return chosen
            hold["seats"] = hold["seats"] + chosen
            self._commit(dict.fromkeys(chosen, "h"), hold_id)
            return 200, self._basket(hold_id, now)
        # confirm
        if not hold["seats"]:
            return self._refusal("basket_empty", [])
        if hold["state"] == "expired":
            taken = [s for s in hold["seats"] if self.state[s] != "f"]
            if taken or now > hold["expires_at"] + LATE_CONFIRM_MS:
                return self._refusal("hold_expired", taken)
        booking_id = f"b{next(self._ids)}"
        hold["state"] = "confirmed"
        self.confirmed_holds.append(hold_id)
        self.bookings[booking_id] = {"token": "t" + booking_id, "seats": list(hold["seats"]), "hold": hold_id}
        self._commit(dict.fromkeys(hold["seats"], "b"), booking_id)
        return 200, {"booking_id": booking_id, "token": "t" + booking_id, "reference": "R-" + booking_id,
                     "seats": list(hold["seats"]), "total_price": 0, "available": self.free_count(),
                     "version": self.version}


class Tab:
    """One browser tab: its state, the version its stream is at, what it drew."""

    def __init__(self, name: str, keys: itertools.count) -> None:
        self.name = name
        self.state = sales.SalesState(venue_module.Venue(DETAIL), lambda: f"key-{next(keys)}")
        self.drawn: dict[str, str] = {}
        self.snapshot_wanted = False


class Flight:
    """One attempt of one action: decided by the server or not, answer delivered or not."""

    def __init__(self, tab: Tab, action, attempt: int) -> None:
        self.tab = tab
        self.action = action
        self.attempt = attempt
        self.request = action.request("test")
        self.answer: tuple[int, dict] | None = None


class PageAgainstServer(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.server = ServerModel()
        self.now = START
        self.keys = itertools.count(1)
        self.tabs = [Tab("one", self.keys), Tab("two", self.keys)]
        self.storage: dict = {}
        self.flights: list[Flight] = []
        self.their_holds: list[str] = []
        self.their_bookings: list[str] = []
        for tab in self.tabs:
            self._outcome(tab, tab.state.apply_snapshot(self.server.snapshot(), self.now))
            self._draw(tab)

    # ---- plumbing -------------------------------------------------------------------

    def _outcome(self, tab: Tab, outcome) -> None:
        for action in outcome.send:
            self._send(tab, action)
        self._save(tab)

    def _send(self, tab: Tab, action) -> None:
        attempt = tab.state.sending(action, self.now)
        self.flights.append(Flight(tab, action, attempt))

    def _save(self, tab: Tab) -> None:
        """What the page does after every change: merge into storage, write it; the
        other tab hears of it (the storage event) and merges too."""
        self.storage = tab.state.merge_storage(self.storage, self.now)
        for other in self.tabs:
            if other is not tab:
                other.state.merge_storage(self.storage, self.now)

    def _others_claims(self, tab: Tab, except_action) -> dict:
        return {(t.name, a.action_id): (list(a.claimed), a.phase, bool(a.seats))
                for t in self.tabs for a in t.state.actions.values()
                if a is not except_action and a.phase != sales.WAITING}

    def _check_others_unchanged(self, before: dict) -> None:
        """No answer or failure of one action changes what another action shows."""
        for tab in self.tabs:
            for action in tab.state.actions.values():
                key = (tab.name, action.action_id)
                if key not in before or action.phase == sales.WAITING:
                    continue
                claimed, _phase, named = before[key]
                if named:
                    assert action.claimed == claimed, (action.kind, action.claimed, claimed)
                for seat in action.claimed:
                    assert tab.state.seats.shown_of(seat) == shown_module.PENDING

    def _draw(self, tab: Tab) -> None:
        everything, seats, _rows = tab.state.seats.take_changes()
        if everything:
            tab.drawn = shown_now(tab.state.seats)
        else:
            for seat in seats:
                tab.drawn[seat] = tab.state.seats.shown_of(seat)

    # ---- the buyer ------------------------------------------------------------------

    @rule(tab=st.integers(0, 1), seat=st.sampled_from(SEATS))
    def choose_a_seat(self, tab, seat):
        tab = self.tabs[tab]
        self._outcome(tab, tab.state.click(seat, self.now))

    @precondition(lambda self: any(t.state.basket.basket_seats() for t in self.tabs))
    @rule(data=st.data())
    def choose_a_seat_in_the_basket(self, data):
        tab = data.draw(st.sampled_from([t for t in self.tabs if t.state.basket.basket_seats()]))
        seat = data.draw(st.sampled_from(sorted(tab.state.basket.basket_seats())))
        self._outcome(tab, tab.state.click(seat, self.now))

    @rule(tab=st.integers(0, 1), quantity=st.integers(1, 3), section=st.sampled_from(["", "Stalls", "Balcony"]))
    def hold_the_best(self, tab, quantity, section):
        tab = self.tabs[tab]
        self._outcome(tab, tab.state.hold_best(quantity, section, self.now))

    @precondition(lambda self: any(t.state.basket.basket_seats() for t in self.tabs))
    @rule(tab=st.integers(0, 1))
    def check_out(self, tab):
        tab = self.tabs[tab]
        self._outcome(tab, tab.state.checkout("Ada", "ada@example.com", self.now))

    @rule(tab=st.integers(0, 1))
    def empty_the_basket(self, tab):
        tab = self.tabs[tab]
        self._outcome(tab, tab.state.release_all(self.now))

    @precondition(lambda self: any(t.state.basket.bookings for t in self.tabs))
    @rule(tab=st.integers(0, 1), data=st.data())
    def cancel_a_booking(self, tab, data):
        tab = self.tabs[tab]
        if tab.state.basket.bookings:
            booking_id = data.draw(st.sampled_from(sorted(tab.state.basket.bookings)))
            self._outcome(tab, tab.state.cancel(booking_id, self.now))

    # ---- the network and the server ----------------------------------------------------

    @precondition(lambda self: any(f.answer is None for f in self.flights))
    @rule(data=st.data(), fault=st.sampled_from([None, None, None, 500, 503]))
    def the_server_decides(self, data, fault):
        flight = data.draw(st.sampled_from([f for f in self.flights if f.answer is None]))
        if fault is None:
            flight.answer = self.server.handle(flight.request, self.now)
        else:
            flight.answer = (fault, {"error": "internal_error" if fault == 500 else "unavailable", "message": "x"})

    @precondition(lambda self: any(f.answer is not None for f in self.flights))
    @rule(data=st.data(), twice=st.booleans())
    def an_answer_arrives(self, data, twice):
        flight = data.draw(st.sampled_from([f for f in self.flights if f.answer is not None]))
        self._deliver(flight)
        if twice:  # a duplicate (a retry answered too): nothing more may happen
            self.flights.append(flight)
            self._deliver(flight)

    @precondition(lambda self: self.flights)
    @rule(data=st.data())
    def a_request_goes_through(self, data):
        flight = data.draw(st.sampled_from(self.flights))
        if flight.answer is None:
            flight.answer = self.server.handle(flight.request, self.now)
        self._deliver(flight)

    @precondition(lambda self: self.flights)
    @rule(data=st.data(), decided=st.booleans(), timeout=st.booleans())
    def an_attempt_gets_no_answer(self, data, decided, timeout):
        """Lost before the server (not decided) or after (decided: only the answer is lost)."""
        flight = data.draw(st.sampled_from(self.flights))
        if decided and flight.answer is None:
            flight.answer = self.server.handle(flight.request, self.now)
        self.flights.remove(flight)
        before = self._others_claims(flight.tab, flight.action)
        outcome = flight.tab.state.failed(flight.action.action_id, flight.attempt, timeout, self.now)
        self._check_others_unchanged(before)
        self._outcome(flight.tab, outcome)

    @precondition(lambda self: any(t.state.waiting() for t in self.tabs))
    @rule(data=st.data())
    def a_retry_fires(self, data):
        tab = data.draw(st.sampled_from([t for t in self.tabs if t.state.waiting()]))
        action = data.draw(st.sampled_from(tab.state.waiting()))
        again = tab.state.retry_due(action.action_id)
        assert again is action
        self._send(tab, again)

    def _deliver(self, flight: Flight) -> None:
        self.flights.remove(flight)
        status, body = flight.answer
        before = self._others_claims(flight.tab, flight.action)
        outcome = flight.tab.state.answered(flight.action.action_id, status, body, self.now)
        self._check_others_unchanged(before)
        self._outcome(flight.tab, outcome)

    # ---- other people, time and the stream -----------------------------------------------

    @rule(seat=st.sampled_from(SEATS), book=st.booleans())
    def someone_else_takes_a_seat(self, seat, book):
        self.server.expire_due(self.now)
        if self.server.state[seat] != "f":
            return
        owner = f"x{next(self.server._ids)}"
        if book:
            self.server.bookings[owner] = {"token": "tx", "seats": [seat], "hold": None}
            self.their_bookings.append(owner)
        else:
            self.server.holds[owner] = {"token": "tx", "seats": [seat], "expires_at": self.now + HOLD_MS,
                                        "state": "open"}
            self.their_holds.append(owner)
        self.server._commit({seat: "b" if book else "h"}, owner)

    @precondition(lambda self: any(b in self.server.bookings for b in self.their_bookings))
    @rule(data=st.data())
    def someone_else_cancels(self, data):
        booking_id = data.draw(st.sampled_from([b for b in self.their_bookings if b in self.server.bookings]))
        self.server.handle({"method": "DELETE", "path": "/bookings/" + booking_id, "token": "tx", "key": "",
                            "body": None}, self.now)

    @rule(seconds=st.sampled_from([1, 5, 30, 61]))
    def time_passes(self, seconds):
        self.now += seconds * 1000
        self.server.expire_due(self.now)
        for tab in self.tabs:
            self._outcome(tab, tab.state.tick(self.now))

    @precondition(lambda self: self.server.events)
    @rule(tab=st.integers(0, 1), data=st.data())
    def an_event_arrives(self, tab, data):
        """The next event, a late duplicate, or one from the future (a gap)."""
        tab = self.tabs[tab]
        event = data.draw(st.sampled_from(self.server.events))
        before = self._others_claims(tab, None)
        result, outcome = tab.state.apply_event(event, self.now)
        self._check_others_unchanged(before)
        if result == shown_module.GAP:
            tab.snapshot_wanted = True
        self._outcome(tab, outcome)

    @rule(tab=st.integers(0, 1))
    def the_stream_catches_up(self, tab):
        self._catch_up(self.tabs[tab])

    @rule(tab=st.integers(0, 1))
    def a_fresh_snapshot_arrives(self, tab):
        tab = self.tabs[tab]
        tab.snapshot_wanted = False
        self._outcome(tab, tab.state.apply_snapshot(self.server.snapshot(), self.now))

    def _catch_up(self, tab: Tab) -> None:
        state = tab.state
        if tab.snapshot_wanted:
            self._outcome(tab, state.apply_snapshot(self.server.snapshot(), self.now))
            tab.snapshot_wanted = False
        while state.seats.version < self.server.version:
            result, outcome = state.apply_event(self.server.events[state.seats.version], self.now)
            assert result == shown_module.APPLIED
            self._outcome(tab, outcome)

    # ---- always ------------------------------------------------------------------

    @invariant()
    def what_is_kept_seat_by_seat_equals_a_full_recompute(self):
        for tab in self.tabs:
            expected, free = recompute(tab.state.seats)
            self._draw(tab)
            assert shown_now(tab.state.seats) == expected
            assert tab.drawn == expected
            assert tab.state.seats.available == free
            for action in tab.state.actions.values():
                for seat in action.claimed:
                    assert expected[seat] == shown_module.PENDING
            basket = tab.state.basket
            assert tab.state.seats.held_by_me == {s: h.hold_id for h in basket.holds.values() for s in h.seats}
            assert tab.state.seats.booked_by_me == {s: b.booking_id for b in basket.bookings.values()
                                                    for s in b.seats}
            for section in tab.state.venue.sections:
                assert tab.state.seats.section_free[section.index] == sum(
                    1 for row_index in section.row_indexes() for offset in range(tab.state.venue.rows[row_index].length)
                    if expected[f"{tab.state.venue.rows[row_index].label}{offset + 1}"] in (
                        shown_module.FREE,) or f"{tab.state.venue.rows[row_index].label}{offset + 1}"
                    in tab.state.seats.releasing)

    def teardown(self):
        """Everything arrives: every attempt is decided and answered, every action
        still waiting is asked again until it has its final answer, and the streams
        deliver what the tabs have not seen."""
        for _ in range(50):
            if not self.flights and not any(t.state.waiting() for t in self.tabs):
                break
            for flight in list(self.flights):
                if flight.answer is None:
                    flight.answer = self.server.handle(flight.request, self.now)
                self._deliver(flight)
            for tab in self.tabs:
                for action in tab.state.waiting():
                    self._send(tab, tab.state.retry_due(action.action_id))
        for tab in self.tabs:
            self._catch_up(tab)
            # What a reconnect would do: the tab asks the server about its baskets.
            self._outcome(tab, tab.state.apply_snapshot(self.server.snapshot(), self.now))
        for flight in list(self.flights):
            flight.answer = self.server.handle(flight.request, self.now)
            self._deliver(flight)
        for tab in self.tabs:
            self._catch_up(tab)

        assert self.flights == []
        assert len(self.server.confirmed_holds) == len(set(self.server.confirmed_holds))
        page_bookings = {b for b, booking in self.server.bookings.items() if b not in self.their_bookings}
        for tab in self.tabs:
            state = tab.state
            assert [a for a in state.actions.values() if a.phase != sales.QUEUED] == []
            assert set(state.basket.bookings) == page_bookings  # never lose a booking
            expected = {}
            for seat, letter in self.server.state.items():
                owner = self.server.owner.get(seat)
                if letter == "f":
                    expected[seat] = shown_module.FREE
                elif letter == "h":
                    expected[seat] = shown_module.SELECTED if owner in state.basket.holds else shown_module.HELD
                else:
                    expected[seat] = shown_module.MINE if owner in state.basket.bookings else shown_module.BOOKED
            assert shown_now(state.seats) == expected
            assert state.seats.available == self.server.free_count()
            assert state.seats.overlays == []
            for hold_id, hold in state.basket.holds.items():
                assert self.server.holds[hold_id]["state"] == "open"
                assert sorted(hold.seats) == sorted(self.server.holds[hold_id]["seats"])


@pytest.mark.req("REQ-5")
@pytest.mark.req("REQ-7")
@pytest.mark.req("REQ-11")
@pytest.mark.req("never-lose-booking")
@pytest.mark.req("page-multi-tab")
@pytest.mark.req("page-basket")
def test_two_tabs_converge_to_the_servers_truth_whatever_happens():
    run_state_machine_as_test(PageAgainstServer, settings=settings(
        max_examples=250, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]))
