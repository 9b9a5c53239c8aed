"""The page's pure state module (web/seat_state.py), run by CPython: examples.

The same file runs in the browser under Brython; here it is loaded by path,
since web/ is not a package.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

STATE_FILE = Path(__file__).resolve().parents[2] / "web" / "seat_state.py"


def load_seat_state() -> ModuleType:
    """web/seat_state.py as the module `seat_state` (loaded once per test run)."""
    if "seat_state" not in sys.modules:
        spec = importlib.util.spec_from_file_location("seat_state", STATE_FILE)
        module = importlib.util.module_from_spec(spec)
        sys.modules["seat_state"] = module
        spec.loader.exec_module(module)
    return sys.modules["seat_state"]


ss = load_seat_state()


def snapshot(version: int, booked: tuple[str, ...] = (), total: int = 25, row_size: int = 10) -> dict:
    """The server's snapshot JSON for a venue laid out like the server does it."""
    seats = []
    for index in range(total):
        row = chr(ord("A") + index // row_size)
        number = index % row_size + 1
        seat_id = f"{row}{number}"
        seats.append({"id": seat_id, "row": row, "number": number,
                      "state": "booked" if seat_id in booked else "free"})
    return {"version": version, "total": total, "available": total - len(booked), "seats": seats}


def seats_event(version: int, **changed: str) -> dict:
    return {"version": version, "available": 0, "changed": changed}


def booked_answer(seats: list[str], version: int, booking_id: str = "b1", token: str = "t1") -> dict:
    return {"booking_id": booking_id, "token": token, "seats": seats, "available": 0, "version": version}


def state_at(version: int = 3, booked: tuple[str, ...] = ()) -> ss.SeatState:
    state = ss.SeatState()
    state.apply_snapshot(snapshot(version, booked))
    return state


def own_seat(state: ss.SeatState, seat: str, booking_id: str = "b1") -> None:
    """Book `seat` for this browser and let the stream confirm it."""
    action = state.book_seat(seat)
    version = state.version + 1
    state.apply_response(action.action_id, 200, booked_answer([seat], version, booking_id, "tok-" + booking_id))
    state.apply_seats_event(seats_event(version, **{seat: "booked"}))


# ---- the stream --------------------------------------------------------------

@pytest.mark.req("REQ-11")
def test_a_snapshot_shows_every_seat_and_the_free_count():
    state = state_at(3, booked=("A1", "B2"))

    assert state.ready
    assert state.view()["A1"] == "booked"
    assert state.view()["A2"] == "free"
    assert state.available() == 23
    assert [label for label, _ in state.rows] == ["A", "B", "C"]
    assert state.rows[2][1] == ["C1", "C2", "C3", "C4", "C5"]


@pytest.mark.req("REQ-11")
def test_a_next_seats_event_is_applied():
    state = state_at(3)

    outcome = state.apply_seats_event(seats_event(4, A5="booked"))

    assert outcome == ss.APPLIED
    assert state.version == 4
    assert state.view()["A5"] == "booked"
    assert state.available() == 24


@pytest.mark.parametrize("version", [1, 3], ids=["older", "duplicate"])
@pytest.mark.req("versions")
def test_a_seats_event_not_newer_than_the_state_is_ignored(version):
    state = state_at(3)

    outcome = state.apply_seats_event(seats_event(version, A5="booked"))

    assert outcome == ss.IGNORED
    assert state.view()["A5"] == "free"
    assert state.version == 3


@pytest.mark.req("versions")
@pytest.mark.req("resume")
def test_a_skipped_version_asks_for_a_snapshot_and_changes_nothing():
    state = state_at(3)

    outcome = state.apply_seats_event(seats_event(5, A5="booked"))

    assert outcome == ss.GAP
    assert state.version == 3
    assert state.view()["A5"] == "free"


@pytest.mark.req("resume")
def test_events_before_any_snapshot_ask_for_one():
    assert ss.SeatState().apply_seats_event(seats_event(1, A1="booked")) == ss.GAP


@pytest.mark.req("versions")
def test_a_snapshot_replaces_everything_even_with_an_older_version():
    """A new database starts again at version 0."""
    state = state_at(40, booked=("A1",))

    layout_changed = state.apply_snapshot(snapshot(0))

    assert not layout_changed
    assert state.version == 0
    assert state.view()["A1"] == "free"


@pytest.mark.req("REQ-11")
def test_a_snapshot_of_another_venue_reports_a_new_layout():
    state = state_at(3)

    assert state.apply_snapshot(snapshot(0, total=12, row_size=4)) is True
    assert len(state.view()) == 12


# ---- best available -----------------------------------------------------------

@pytest.mark.parametrize(("total", "row_size", "booked", "expected"), [
    (25, 10, (), "A5"),  # middle of 10 is 5.5: 5 and 6 tie, left first
    (25, 10, ("A5",), "A6"),
    (25, 10, ("A5", "A6"), "A4"),
    (9, 3, (), "A2"),
    (23, 10, tuple(f"{r}{n}" for r in "AB" for n in range(1, 11)), "C2"),  # short row of 3: its own middle
    (24, 10, tuple(f"{r}{n}" for r in "AB" for n in range(1, 11)), "C2"),  # row of 4: 2 and 3 tie
])
@pytest.mark.req("best-available")
def test_the_best_available_guess_follows_the_servers_rule(total, row_size, booked, expected):
    state = ss.SeatState()
    state.apply_snapshot(snapshot(1, booked, total, row_size))

    action = state.book_best()

    assert action.guess == expected
    assert state.view()[expected] == "pending"


@pytest.mark.req("best-available")
def test_booking_best_available_moves_to_the_seat_the_server_picked():
    state = state_at(3)
    action = state.book_best()
    assert state.view()["A5"] == "pending"

    state.apply_response(action.action_id, 200, booked_answer(["A6"], 4))

    assert state.view()["A5"] == "free"
    assert state.view()["A6"] == "mine"
    assert state.available() == 24


@pytest.mark.req("best-available")
def test_a_guess_moves_when_the_stream_says_its_seat_was_taken():
    state = state_at(3)
    action = state.book_best()

    state.apply_seats_event(seats_event(4, A5="booked"))

    assert action.guess == "A6"
    assert state.view()["A5"] == "booked"
    assert state.view()["A6"] == "pending"
    assert state.available() == 23


@pytest.mark.req("best-available")
@pytest.mark.req("REQ-7")
def test_a_guess_stays_put_when_another_action_fails():
    state = state_at(3)
    click = state.book_seat("A5")
    button = state.book_best()
    assert button.guess == "A6"

    state.apply_response(click.action_id, 500, {"error": "internal_error", "message": "x"})

    assert button.guess == "A6"
    assert state.view()["A5"] == "free"


@pytest.mark.req("best-available")
def test_book_best_with_nothing_free_shows_no_guess_and_keeps_the_count():
    state = ss.SeatState()
    state.apply_snapshot(snapshot(1, ("A1", "A2"), total=2, row_size=2))

    action = state.book_best()

    assert action.guess is None
    assert state.available() == 0
    assert action.request() == {"method": "POST", "path": "/book", "body": {}, "token": None}


# ---- optimistic actions and their answers ------------------------------------

@pytest.mark.req("REQ-6")
def test_clicking_a_free_seat_shows_it_pending_and_counts_it_at_once():
    """REQ-6 on the state: the change exists before any answer."""
    state = state_at(3)

    action = state.click("A5")

    assert action.kind == ss.BOOK_SEATS
    assert action.request()["body"] == {"seats": ["A5"]}
    assert state.view()["A5"] == "pending"
    assert state.available() == 24


@pytest.mark.parametrize("seat_state", ["booked", "pending"])
@pytest.mark.req("REQ-5")
def test_clicking_a_seat_that_is_not_free_or_mine_does_nothing(seat_state):
    state = state_at(3, booked=("A5",))
    if seat_state == "pending":
        state.apply_snapshot(snapshot(3))
        state.book_seat("A5")

    assert state.click("A5") is None
    assert len(state.pending) == (1 if seat_state == "pending" else 0)


@pytest.mark.req("versions")
def test_a_200_ahead_of_the_stream_keeps_the_seat_mine_until_the_stream_catches_up():
    state = state_at(3)
    action = state.book_seat("A5")

    state.apply_response(action.action_id, 200, booked_answer(["A5"], 5))
    assert state.view()["A5"] == "mine"
    assert state.available() == 24

    state.apply_seats_event(seats_event(4, B1="booked"))
    assert state.view()["A5"] == "mine"
    assert state.available() == 23

    state.apply_seats_event(seats_event(5, A5="booked"))
    assert state.view()["A5"] == "mine"
    assert state.overlays == []


@pytest.mark.req("REQ-6")
def test_the_stream_can_confirm_a_booking_before_its_answer_arrives():
    state = state_at(3)
    action = state.book_seat("A5")

    state.apply_seats_event(seats_event(4, A5="booked"))
    assert state.view()["A5"] == "pending"
    assert state.available() == 24

    state.apply_response(action.action_id, 200, booked_answer(["A5"], 4))
    assert state.view()["A5"] == "mine"


@pytest.mark.parametrize(("status", "body", "reason", "message"), [
    (409, {"error": "seats_taken", "message": "already booked: A5", "unavailable": ["A5"], "available": 20,
           "version": 9}, None, "A5 was just taken by someone else."),
    (500, {"error": "internal_error", "message": "internal server error"}, None,
     "Server error, your booking was undone. Please try again."),
    (502, None, None, "Server error, your booking was undone. Please try again."),
    (429, {"error": "rate_limited", "message": "slow down"}, None,
     "Too many bookings at once: your booking was undone. Please wait a moment and try again."),
    (None, None, "network", "Network problem: your booking of A5 was undone. Please try again."),
    (None, None, "timeout", "No answer from the server in time: your booking of A5 was undone. Please try again."),
])
@pytest.mark.req("REQ-5")
@pytest.mark.req("REQ-7")
@pytest.mark.req("REQ-10")
def test_a_failed_booking_restores_exactly_the_state_before_it(status, body, reason, message):
    """REQ-5 / REQ-7 / REQ-10: the seat and the count go back, with a plain notice."""
    state = state_at(3, booked=("B1",))
    view_before, available_before = state.view(), state.available()
    action = state.click("A5")
    assert action.before == {"A5": "free"}

    if reason is None:
        notice = state.apply_response(action.action_id, status, body)
    else:
        notice = state.apply_failure(action.action_id, reason)

    assert notice == message
    assert state.pending == []
    if status == 409:  # the 409 taught us A5 is booked (as of version 9)
        assert state.view() == {**view_before, "A5": "booked"}
        assert state.available() == available_before - 1
    else:
        assert state.view() == view_before
        assert state.available() == available_before


@pytest.mark.req("REQ-7")
def test_sold_out_says_so():
    state = state_at(3)
    action = state.book_best()

    notice = state.apply_response(action.action_id, 409, {
        "error": "sold_out", "message": "sold out", "unavailable": [], "available": 0, "version": 3})

    assert notice == "Sold out: there are no free seats left."
    assert state.view()["A5"] == "free"


@pytest.mark.req("REQ-7")
def test_a_failure_undoes_only_its_own_action():
    """REQ-7: other pending actions stay exactly as they were."""
    state = state_at(3)
    first = state.click("A1")
    second = state.click("A2")
    third = state.book_best()

    state.apply_failure(second.action_id)

    assert [a.action_id for a in state.pending] == [first.action_id, third.action_id]
    assert state.view()["A1"] == "pending"
    assert state.view()["A2"] == "free"
    assert state.view()[third.guess] == "pending"
    assert state.available() == 23


@pytest.mark.req("REQ-7")
def test_an_answer_for_an_action_no_longer_pending_is_ignored():
    state = state_at(3)
    action = state.click("A5")
    state.apply_failure(action.action_id, "timeout")

    assert state.apply_response(action.action_id, 500, None) == ""
    assert state.apply_failure(action.action_id) == ""


# ---- cancelling -----------------------------------------------------------------

@pytest.mark.req("cancellation")
@pytest.mark.req("REQ-6")
def test_clicking_my_seat_cancels_its_booking_optimistically():
    state = state_at(3)
    own_seat(state, "A5")
    assert state.view()["A5"] == "mine"

    action = state.click("A5")

    assert action.request() == {"method": "DELETE", "path": "/bookings/b1", "body": None, "token": "tok-b1"}
    assert state.view()["A5"] == "pending"
    assert state.available() == 25


@pytest.mark.req("cancellation")
def test_a_confirmed_cancel_frees_the_seat_before_the_stream_says_so():
    state = state_at(3)
    own_seat(state, "A5")
    action = state.click("A5")

    state.apply_response(action.action_id, 200, {"released": ["A5"], "available": 25, "version": 5})

    assert state.view()["A5"] == "free"
    assert state.available() == 25
    assert state.booking_records() == []
    state.apply_seats_event(seats_event(5, A5="free"))
    assert state.view()["A5"] == "free"


@pytest.mark.req("REQ-5")
def test_a_failed_cancel_gives_the_seat_back():
    """REQ-5: the seat is mine again, and the count goes back."""
    state = state_at(3)
    own_seat(state, "A5")
    action = state.click("A5")

    notice = state.apply_response(action.action_id, 500, None)

    assert notice == "Server error, your cancellation was undone. Please try again."
    assert state.view()["A5"] == "mine"
    assert state.available() == 24


@pytest.mark.req("cancellation")
def test_a_cancel_of_a_booking_already_gone_forgets_it():
    state = state_at(3)
    own_seat(state, "A5")
    action = state.click("A5")

    notice = state.apply_response(action.action_id, 404, {"error": "not_found", "message": "no"})

    assert notice == "That booking (A5) was already cancelled."
    assert state.booking_records() == []
    assert state.view()["A5"] == "booked"  # until the stream says it is free


# ---- localStorage ------------------------------------------------------------

@pytest.mark.req("cancellation")
def test_saved_bookings_make_a_reloaded_page_recognise_its_seats():
    first_visit = state_at(3)
    own_seat(first_visit, "A5")
    records = first_visit.booking_records()

    reloaded = ss.SeatState()
    reloaded.restore_bookings(records)
    reloaded.apply_snapshot(snapshot(4, booked=("A5",)))

    assert reloaded.view()["A5"] == "mine"
    assert reloaded.click("A5").request()["token"] == "tok-b1"


@pytest.mark.req("cancellation")
def test_saved_bookings_the_stream_shows_released_are_forgotten():
    reloaded = ss.SeatState()
    reloaded.restore_bookings([{"booking_id": "b1", "token": "t", "seats": ["A5"], "version": 4}])

    reloaded.apply_snapshot(snapshot(6))

    assert reloaded.booking_records() == []


@pytest.mark.req("cancellation")
def test_malformed_saved_bookings_are_skipped():
    state = ss.SeatState()

    state.restore_bookings([{"booking_id": "b1"}, "junk", {"booking_id": "b2", "token": "t", "seats": ["A1"],
                                                           "version": "x"}])

    assert state.booking_records() == []


# ---- redrawing only what changed -------------------------------------------------

def shown_after(state: ss.SeatState) -> tuple[set[str], dict[str, str], int]:
    """What the page redraws: the seats reported changed, and the state kept seat by seat."""
    return state.take_changes(), state.shown, state.shown_available


def assert_matches_a_full_recompute(state: ss.SeatState) -> None:
    assert state.shown == state.view()
    assert state.shown_available == state.available()


@pytest.mark.req("REQ-11")
def test_a_first_snapshot_reports_every_seat_and_counts_the_free_ones():
    state = state_at(3, booked=("A1", "B2"))

    changes, _shown, free = shown_after(state)

    assert changes == set(state.seat_order)
    assert free == 23
    assert_matches_a_full_recompute(state)


@pytest.mark.req("REQ-6")
def test_a_click_reports_only_the_clicked_seat_and_counts_it_at_once():
    state = state_at(3)
    state.take_changes()

    state.click("A5")

    changes, shown, free = shown_after(state)
    assert changes == {"A5"}
    assert shown["A5"] == "pending"
    assert free == 24
    assert_matches_a_full_recompute(state)


@pytest.mark.req("REQ-11")
def test_a_seats_event_reports_only_the_seats_it_changed():
    state = state_at(3)
    state.take_changes()

    state.apply_seats_event(seats_event(4, B1="booked", B2="booked"))

    changes, _shown, free = shown_after(state)
    assert changes == {"B1", "B2"}
    assert free == 23
    assert_matches_a_full_recompute(state)


@pytest.mark.req("REQ-11")
def test_an_ignored_event_or_a_gap_reports_nothing():
    state = state_at(3)
    state.take_changes()

    state.apply_seats_event(seats_event(3, A5="booked"))
    state.apply_seats_event(seats_event(5, A6="booked"))

    assert state.take_changes() == set()


@pytest.mark.req("REQ-11")
def test_a_snapshot_reports_only_the_seats_whose_shown_state_changed():
    state = state_at(3, booked=("A1",))
    state.click("A5")
    state.take_changes()

    state.apply_snapshot(snapshot(7, booked=("A1", "C3")))

    changes, shown, free = shown_after(state)
    assert changes == {"C3"}
    assert shown["A5"] == "pending"  # still ours in flight
    assert free == 22
    assert_matches_a_full_recompute(state)


@pytest.mark.req("REQ-11")
def test_a_new_layout_reports_only_the_new_seats():
    state = state_at(3)
    state.take_changes()

    state.apply_snapshot(snapshot(0, total=6, row_size=3))

    assert state.take_changes() == {"A1", "A2", "A3", "B1", "B2", "B3"}
    assert state.shown_available == 6
    assert state.seat_numbers["B3"] == "3"  # the text on the seat's button
    assert_matches_a_full_recompute(state)


@pytest.mark.req("REQ-6")
@pytest.mark.req("best-available")
def test_a_moving_guess_reports_the_seat_it_left_and_the_seat_it_took():
    state = state_at(3)
    state.take_changes()
    state.book_best()
    assert state.take_changes() == {"A5"}

    state.apply_seats_event(seats_event(4, A5="booked"))

    changes, shown, free = shown_after(state)
    assert changes == {"A5", "A6"}
    assert (shown["A5"], shown["A6"]) == ("booked", "pending")
    assert free == 23
    assert_matches_a_full_recompute(state)


@pytest.mark.req("REQ-5")
@pytest.mark.req("REQ-7")
def test_answers_report_only_the_seats_of_their_own_action():
    state = state_at(3)
    first = state.click("A1")
    second = state.click("A2")
    state.take_changes()

    state.apply_response(first.action_id, 200, booked_answer(["A1"], 4))
    assert state.take_changes() == {"A1"}
    assert state.shown["A1"] == "mine"
    state.apply_failure(second.action_id)

    changes, shown, free = shown_after(state)
    assert changes == {"A2"}
    assert shown["A2"] == "free"
    assert free == 24
    assert_matches_a_full_recompute(state)


@pytest.mark.req("cancellation")
def test_a_cancel_and_its_answer_report_the_seats_of_the_booking():
    state = state_at(3)
    own_seat(state, "A5")
    state.take_changes()

    action = state.click("A5")
    assert state.take_changes() == {"A5"}
    assert state.shown_available == 25  # a seat we release counts as free at once
    state.apply_response(action.action_id, 200, {"released": ["A5"], "available": 25, "version": 6})

    changes, shown, free = shown_after(state)
    assert changes == {"A5"}
    assert shown["A5"] == "free"
    assert free == 25
    assert_matches_a_full_recompute(state)


@pytest.mark.req("cancellation")
def test_restored_bookings_report_their_seats():
    state = state_at(4, booked=("A5",))
    state.take_changes()

    state.restore_bookings([{"booking_id": "b1", "token": "t", "seats": ["A5"], "version": 4}])

    assert state.take_changes() == {"A5"}
    assert state.shown["A5"] == "mine"
    assert_matches_a_full_recompute(state)


@pytest.mark.req("best-available")
def test_the_guess_search_skips_a_booked_front_and_comes_back_when_a_seat_there_frees():
    booked = tuple(f"{row}{n}" for row in "AB" for n in range(1, 11))
    state = state_at(3, booked=booked)
    first = state.book_best()
    assert first.guess == "C3"  # the short row C of 5: its own middle
    state.apply_failure(first.action_id)

    state.apply_seats_event(seats_event(4, B9="free"))
    second = state.book_best()

    assert second.guess == "B9"
    assert_matches_a_full_recompute(state)


@pytest.mark.req("best-available")
@pytest.mark.parametrize("numbers", [[3, 1, 2], [2, 4, 6, 8], [5, 4, 3, 2, 1, 0]])
def test_a_row_numbered_otherwise_is_still_ranked_by_the_rule(numbers):
    """Rows the server lays out are numbered 1..n; any other numbering is sorted."""
    seats = [{"id": f"A{i}", "row": "A", "number": n} for i, n in enumerate(numbers)]
    seats += [{"id": f"B{n}", "row": "B", "number": n} for n in (1, 2, 3, 4)]
    middle = (len(numbers) + 1) / 2
    expected = [s["id"] for s in sorted(seats[:len(numbers)], key=lambda s: (abs(s["number"] - middle), s["number"]))]

    assert ss.best_first(seats) == [*expected, "B2", "B3", "B1", "B4"]


# ---- purity -------------------------------------------------------------------

@pytest.mark.req("REQ-1")
def test_the_state_module_imports_nothing_and_runs_nothing_at_import():
    """Brython loads only brython.js: no stdlib, no browser; CPython tests it as is."""
    tree = ast.parse(STATE_FILE.read_text())

    imports = [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
    top_level = {type(node).__name__ for node in tree.body}

    assert imports == []
    assert top_level <= {"Expr", "Assign", "ClassDef", "FunctionDef"}


@pytest.mark.req("best-available")
@pytest.mark.parametrize(("total", "row_size"), [(1, 1), (7, 3), (25, 10), (100, 10), (53, 8), (30, 30), (701, 26)])
def test_the_page_ranks_seats_exactly_like_the_server(total, row_size):
    """The optimistic guess is the seat the server will pick when nobody else books first."""
    from booking.layout import Layout  # the server's own rule, plain Python

    layout = Layout.grid(total, row_size)
    seats = [{"id": s.id, "row": s.row, "number": s.number, "state": "free"} for s in map(layout.seat, range(total))]

    assert ss.best_first(seats) == [layout.seat_id(i) for i in layout.best_order()]
