"""The page's sales state (web/sales_state.py and the pure modules under it), run
by CPython: holds, basket edits, checkout, cancellation, expiry, retries with the
same Idempotency-Key and late answers, one example at a time."""

from __future__ import annotations

import itertools

import pytest

from tests.unit.page_modules import SMALL, compact, layout, load, recompute, seats_event, shown_now

sales = load("sales_state")
venue_module = load("venue")
shown_module = load("shown_seats")

FREE, HELD, BOOKED = shown_module.FREE, shown_module.HELD, shown_module.BOOKED
PENDING, SELECTED, MINE = shown_module.PENDING, shown_module.SELECTED, shown_module.MINE
NOW = 1_000_000


def new_state(detail: dict = SMALL, version: int = 3, states: dict[str, str] | None = None):
    keys = itertools.count(1)
    state = sales.SalesState(venue_module.Venue(detail), lambda: f"key-{next(keys)}")
    state.apply_snapshot(compact(detail, version, states), NOW)
    return state


def sent(state, outcome, now: int = NOW):
    """The one action the outcome sends, marked sent; returns (action, request)."""
    assert len(outcome.send) == 1, outcome.send
    action = outcome.send[0]
    state.sending(action, now)
    return action, action.request(state.show_id)


def hold_answer(seats: list[str], version: int, hold_id: str = "h1", token: str = "ht1",
                expires_in: int = 600, price: int = 4500) -> dict:
    return {"hold_id": hold_id, "token": token, "seats": seats, "expires_at": "2030-01-01T00:00:00.000Z",
            "expires_in": expires_in, "total_price": price * len(seats), "available": 0, "version": version}


def basket_answer(seats: list[str], version: int, hold_id: str = "h1", price: int = 4500) -> dict:
    body = hold_answer(seats, version, hold_id, price=price)
    del body["token"]
    return body


def check_consistent(state) -> None:
    expected, free = recompute(state.seats)
    assert shown_now(state.seats) == expected
    assert state.seats.available == free


def hold_one(state, seat: str = "A2", hold_id: str = "h1"):
    action, _ = sent(state, state.click(seat, NOW))
    version = state.seats.version + 1
    state.answered(action.action_id, 201, hold_answer([seat], version, hold_id), NOW)
    state.apply_event(seats_event(version, **{seat: "held"}), NOW)
    return action


# ---- holding seats -----------------------------------------------------------------

@pytest.mark.req("REQ-6")
@pytest.mark.req("holds")
def test_a_click_on_a_free_seat_shows_it_pending_and_asks_for_a_hold_with_a_key():
    state = new_state()

    outcome = state.click("A2", NOW)

    _action, request = sent(state, outcome)
    assert state.seats.shown_of("A2") == PENDING
    assert state.seats.available == 10
    assert request == {"method": "POST", "path": "/shows/test/holds", "body": {"seats": ["A2"]},
                       "token": "", "key": "key-1"}
    check_consistent(state)


@pytest.mark.req("holds")
def test_a_held_seat_is_selected_in_the_basket_with_its_timer():
    state = new_state()
    action, _ = sent(state, state.click("A2", NOW))

    outcome = state.answered(action.action_id, 201, hold_answer(["A2"], 4), NOW + 200)

    assert state.seats.shown_of("A2") == SELECTED
    assert state.basket.basket_seats() == ["A2"]
    assert state.seconds_left(NOW + 200) == 600
    assert outcome.announce == "A2 is in your basket, held for 10:00."
    assert outcome.notice == ""
    assert outcome.show_seats == ["A2"]
    assert state.basket.requests == {}
    check_consistent(state)


@pytest.mark.req("holds")
def test_a_second_seat_waits_for_the_basket_then_joins_it():
    state = new_state()
    create, _ = sent(state, state.click("A2", NOW))

    queued = state.click("A3", NOW)

    assert queued.send == []
    assert state.seats.shown_of("A3") == PENDING
    assert state.seats.available == 9
    outcome = state.answered(create.action_id, 201, hold_answer(["A2"], 4), NOW)
    add, request = sent(state, outcome)
    assert request == {"method": "POST", "path": "/holds/h1/seats", "body": {"seats": ["A3"]}, "token": "ht1",
                       "key": add.key}
    state.answered(add.action_id, 200, basket_answer(["A2", "A3"], 5), NOW)
    assert state.seats.shown_of("A3") == SELECTED
    assert state.basket.holds["h1"].token == "ht1"
    check_consistent(state)


@pytest.mark.req("holds")
def test_a_click_on_a_basket_seat_takes_it_out_and_an_empty_basket_is_let_go():
    state = new_state()
    hold_one(state, "A2")

    action, request = sent(state, state.click("A2", NOW))

    assert request["method"] == "DELETE" and request["path"] == "/holds/h1/seats/A2"
    assert request["token"] == "ht1"
    assert state.seats.shown_of("A2") == PENDING
    assert state.seats.available == 11  # a seat being let go counts as free at once
    outcome = state.answered(action.action_id, 200, basket_answer([], 5), NOW)
    assert state.seats.shown_of("A2") == FREE
    assert state.basket.holds == {}
    [release] = outcome.send
    assert release.request("test")["path"] == "/holds/h1" and release.background
    check_consistent(state)


@pytest.mark.req("REQ-7")
@pytest.mark.req("REQ-9")
def test_a_409_rolls_the_seat_back_and_says_who_took_it():
    state = new_state()
    action, _ = sent(state, state.click("A2", NOW))

    outcome = state.answered(action.action_id, 409, {"error": "seats_taken", "message": "x", "unavailable": ["A2"],
                                                     "available": 10, "version": 4}, NOW)

    assert outcome.notice == "A2 was just taken by someone else."
    assert outcome.seat == "A2"
    assert state.seats.shown_of("A2") == HELD  # the answer's word, until the stream says more
    assert state.seats.available == 10
    state.apply_event(seats_event(4, A2="held"), NOW)
    assert state.seats.shown_of("A2") == HELD
    assert state.basket.requests == {}
    check_consistent(state)


@pytest.mark.req("REQ-10")
@pytest.mark.req("REQ-7")
def test_a_500_rolls_back_with_a_notice_and_is_not_asked_again():
    state = new_state()
    action, _ = sent(state, state.click("A2", NOW))

    outcome = state.answered(action.action_id, 500, {"error": "internal_error", "message": "x"}, NOW)

    assert state.seats.shown_of("A2") == FREE
    assert outcome.notice == "Server error: your hold was undone. Please try again."
    assert outcome.retry == []
    assert state.actions == {}
    check_consistent(state)


@pytest.mark.req("REQ-5")
@pytest.mark.req("REQ-7")
def test_a_failure_undoes_only_its_own_action():
    state = new_state()
    first, _ = sent(state, state.click("A2", NOW))
    hold_seat = state.click("A3", NOW)  # queued behind the first hold
    assert hold_seat.send == []
    other = state.hold_best(2, "Balcony", NOW)  # also queued

    state.answered(first.action_id, 500, {}, NOW)

    assert state.seats.shown_of("A2") == FREE
    assert state.seats.shown_of("A3") == PENDING  # now asked as a basket of its own
    assert [state.seats.shown_of(s) for s in ("C1", "C2", "C3")].count(PENDING) == 2
    assert other.send == []
    check_consistent(state)


# ---- no answer: roll back, keep asking with the same key --------------------------------

@pytest.mark.req("never-lose-booking")
@pytest.mark.req("REQ-7")
def test_no_answer_rolls_back_then_the_same_key_is_asked_again_and_a_late_hold_comes_back():
    state = new_state()
    action, first = sent(state, state.click("A2", NOW))

    outcome = state.failed(action.action_id, action.attempt, True, NOW + 8000)

    assert state.seats.shown_of("A2") == FREE
    assert outcome.notice.startswith("No answer from the server in time: your hold of A2 was undone for now.")
    assert outcome.retry == [(action, 1000)]
    assert list(state.basket.requests) == [first["key"]]
    again = state.retry_due(action.action_id)
    assert again is action
    state.sending(again, NOW + 9000)
    assert again.request("test") == first  # same key, same body
    late = state.answered(action.action_id, 201, hold_answer(["A2"], 4), NOW + 9500)
    assert state.seats.shown_of("A2") == SELECTED
    assert late.announce == "The server held A2 for you after all: it is back in your basket."
    assert late.notice == ""
    assert state.basket.requests == {}
    check_consistent(state)


@pytest.mark.req("never-lose-booking")
def test_a_failed_retry_of_an_older_attempt_does_not_undo_a_newer_one():
    state = new_state()
    action, _ = sent(state, state.click("A2", NOW))
    state.failed(action.action_id, 1, False, NOW)
    state.sending(action, NOW)  # the background retry (attempt 2)
    again = state.click("A2", NOW)  # the buyer tries again: same action, flying
    assert again.send == [action]
    state.sending(action, NOW)  # attempt 3

    state.failed(action.action_id, 2, False, NOW)

    assert state.seats.shown_of("A2") == PENDING


@pytest.mark.req("never-lose-booking")
@pytest.mark.req("checkout")
def test_a_confirm_answered_after_its_timeout_makes_the_seats_mine_once():
    state = new_state()
    hold_one(state, "A2")
    confirm, request = sent(state, state.checkout("Ada", "ada@example.com", NOW))
    assert request["path"] == "/holds/h1/confirm" and request["body"] == {"name": "Ada", "email": "ada@example.com"}
    assert state.seats.shown_of("A2") == PENDING

    state.failed(confirm.action_id, confirm.attempt, True, NOW + 8000)
    assert state.seats.shown_of("A2") == SELECTED
    again = state.checkout("Ada B", "ada@example.com", NOW + 8500)  # pressed again: same request
    assert again.send == [confirm]
    state.sending(confirm, NOW + 8500)
    assert confirm.request("test") == request
    booked = {"booking_id": "b1", "token": "bt1", "reference": "K7Q-M4ZP", "seats": ["A2"], "total_price": 4500,
              "available": 10, "version": 5}
    outcome = state.answered(confirm.action_id, 200, booked, NOW + 9000)
    duplicate = state.answered(confirm.action_id, 200, booked, NOW + 9000)

    assert state.seats.shown_of("A2") == MINE
    assert list(state.basket.bookings) == ["b1"]
    assert state.basket.holds == {}
    assert [b.reference for b in outcome.confirmed] == ["K7Q-M4ZP"]
    assert outcome.announce == "Booked. Your reference is K7Q-M4ZP: K 7 Q, M 4 Z P."
    assert duplicate.confirmed == []
    check_consistent(state)


@pytest.mark.req("never-lose-booking")
def test_unanswered_requests_survive_a_reload_and_are_asked_again_when_ready():
    state = new_state()
    action, first = sent(state, state.click("A2", NOW))
    state.failed(action.action_id, action.attempt, False, NOW)
    stored = state.basket.records()

    reloaded = sales.SalesState(venue_module.Venue(SMALL), lambda: "fresh")
    reloaded.restore(stored, NOW + 1000)
    outcome = reloaded.apply_snapshot(compact(SMALL, 4, {"A2": "held"}), NOW + 1000)

    [resumed] = outcome.send
    reloaded.sending(resumed, NOW + 1000)
    assert resumed.request("test") == first
    reloaded.answered(resumed.action_id, 201, hold_answer(["A2"], 4), NOW + 1100)
    assert reloaded.seats.shown_of("A2") == SELECTED


# ---- best available -------------------------------------------------------------------

@pytest.mark.req("best-available")
@pytest.mark.req("REQ-6")
def test_quantity_shows_the_servers_best_block_at_once_then_the_seats_it_gave():
    state = new_state(states={"A2": "booked"})

    action, request = sent(state, state.hold_best(2, "", NOW))

    assert request["body"] == {"quantity": 2}
    # A3-A4 fill their run exactly: the front row's block that strands nobody.
    assert sorted(action.guess) == ["A3", "A4"]
    assert state.seats.available == 10 - 2
    state.answered(action.action_id, 201, hold_answer(["B1", "B2"], 4), NOW)
    assert [state.seats.shown_of(s) for s in ("B1", "B2", "B3")] == [SELECTED, SELECTED, FREE]
    check_consistent(state)


@pytest.mark.req("best-available")
def test_a_guess_moves_when_the_stream_takes_its_seat():
    state = new_state()
    action, _ = sent(state, state.hold_best(1, "Balcony", NOW))
    assert action.guess == ["C2"]

    state.apply_event(seats_event(4, C2="held"), NOW)

    assert action.guess == ["C1"]
    assert state.seats.shown_of("C2") == HELD
    assert state.seats.shown_of("C1") == PENDING
    check_consistent(state)


@pytest.mark.req("holds")
def test_seats_for_a_basket_that_expired_on_the_server_start_a_new_one():
    state = new_state()
    hold_one(state, "A2")
    add, _ = sent(state, state.click("A3", NOW))
    assert add.kind == sales.ADD

    outcome = state.answered(add.action_id, 409, {"error": "hold_expired", "message": "x", "unavailable": [],
                                                  "available": 9, "version": 4}, NOW)

    again, request = sent(state, outcome)
    assert request["path"] == "/shows/test/holds" and request["body"] == {"seats": ["A3"]}
    assert again.key != add.key
    assert state.seats.shown_of("A3") == PENDING
    assert state.basket.holds == {}


# ---- expiry ----------------------------------------------------------------------------

@pytest.mark.req("hold-expiry")
def test_at_expiry_the_basket_empties_with_a_clear_message():
    state = new_state()
    hold_one(state, "A2")

    assert state.tick(NOW + 599_000).notice == ""
    outcome = state.tick(NOW + 600_000)

    assert outcome.notice == "Your hold expired: A2 was let go. Pick your seats again."
    assert state.basket.holds == {}
    assert state.seats.shown_of("A2") == HELD  # until the stream says it is free again
    state.apply_event(seats_event(5, A2="free"), NOW + 600_100)
    assert state.seats.shown_of("A2") == FREE
    check_consistent(state)


@pytest.mark.req("hold-expiry")
def test_a_confirm_in_flight_at_expiry_may_still_win():
    state = new_state()
    hold_one(state, "A2")
    confirm, _ = sent(state, state.checkout("Ada", "ada@example.com", NOW))

    outcome = state.tick(NOW + 600_000)

    assert outcome.notice == ""
    assert state.seats.shown_of("A2") == PENDING
    state.answered(confirm.action_id, 200, {"booking_id": "b1", "token": "t", "reference": "R", "seats": ["A2"],
                                            "total_price": 4500, "available": 10, "version": 6}, NOW)
    assert state.seats.shown_of("A2") == MINE


# ---- cancelling -----------------------------------------------------------------------

@pytest.mark.req("cancellation")
def test_my_seat_asks_before_cancelling_then_the_cancel_frees_it():
    state = new_state()
    hold_one(state, "A2")
    confirm, _ = sent(state, state.checkout("Ada", "ada@example.com", NOW))
    state.answered(confirm.action_id, 200, {"booking_id": "b1", "token": "bt", "reference": "R-1", "seats": ["A2"],
                                            "total_price": 4500, "available": 10, "version": 5}, NOW)

    ask = state.click("A2", NOW)
    assert ask.ask_cancel == "b1" and ask.send == []
    assert state.seats.shown_of("A2") == MINE
    cancel, request = sent(state, state.cancel("b1", NOW))

    assert request == {"method": "DELETE", "path": "/bookings/b1", "body": None, "token": "bt", "key": ""}
    assert state.seats.shown_of("A2") == PENDING
    outcome = state.answered(cancel.action_id, 200, {"released": ["A2"], "available": 11, "version": 6}, NOW)
    assert outcome.announce == "Booking R-1 is cancelled: A2 released."
    assert state.seats.shown_of("A2") == FREE
    assert state.basket.bookings == {}
    check_consistent(state)


# ---- several tabs ------------------------------------------------------------------------

@pytest.mark.req("page-multi-tab")
def test_two_tabs_each_book_and_storage_keeps_both():
    tab1, tab2 = new_state(), new_state()
    for tab, seat, booking_id in ((tab1, "A2", "b1"), (tab2, "A3", "b2")):
        hold_one(tab, seat, "h-" + seat)
        confirm, _ = sent(tab, tab.checkout("Ada", "ada@example.com", NOW))
        tab.answered(confirm.action_id, 200, {"booking_id": booking_id, "token": "t" + booking_id,
                                              "reference": "R" + booking_id, "seats": [seat],
                                              "total_price": 4500, "available": 9, "version": 9}, NOW)
    for tab in (tab1, tab2):  # both streams say both seats are booked
        tab.apply_snapshot(compact(SMALL, 9, {"A2": "booked", "A3": "booked"}), NOW)
    storage = tab1.merge_storage({}, NOW)  # tab 1 writes first

    storage = tab2.merge_storage(storage, NOW)  # tab 2 merges instead of overwriting
    tab1.merge_storage(storage, NOW)  # the storage event in tab 1

    assert sorted(storage["bookings"]) == ["b1", "b2"]
    assert tab1.seats.shown_of("A3") == MINE and tab2.seats.shown_of("A2") == MINE
    cancel, _ = sent(tab2, tab2.cancel("b1", NOW))  # either tab can cancel either booking
    tab2.answered(cancel.action_id, 200, {"released": ["A2"], "available": 10, "version": 10}, NOW)
    storage = tab2.merge_storage(storage, NOW)
    stale = tab1.basket.records()  # tab 1 has not heard yet and writes its old view
    storage = tab1.merge_storage(storage, NOW)
    assert "b1" in stale["bookings"] and sorted(storage["bookings"]) == ["b2"]
    assert tab1.seats.shown_of("A2") != MINE


# ---- the stream ------------------------------------------------------------------------

@pytest.mark.req("REQ-11")
def test_events_apply_in_order_and_stale_ones_are_ignored():
    state = new_state()

    assert state.apply_event(seats_event(3, A1="held"), NOW)[0] == shown_module.IGNORED
    assert state.apply_event(seats_event(5, A1="held"), NOW)[0] == shown_module.GAP
    assert state.apply_event(seats_event(4, A1="held", B4="booked"), NOW)[0] == shown_module.APPLIED

    assert state.seats.shown_of("A1") == HELD and state.seats.shown_of("B4") == BOOKED
    assert state.seats.available == 9
    check_consistent(state)


@pytest.mark.req("holds")
def test_a_basket_seat_the_stream_shows_free_after_the_baskets_version_leaves_the_basket():
    state = new_state()
    hold_one(state, "A2")

    state.apply_event(seats_event(5, A2="free"), NOW)  # removed in another tab, or expired

    assert state.basket.holds == {}
    assert state.seats.shown_of("A2") == FREE
    check_consistent(state)


@pytest.mark.req("page-large-venue")
def test_a_large_show_is_kept_as_one_string_a_row():
    rows = [(f"R{chr(65 + i // 26)}{chr(65 + i % 26)}", 100) for i in range(500)]
    detail = layout(("Floor", 3000, rows))
    state = new_state(detail, 7, {"RAA50": "booked"})

    assert state.seats.available == 49_999
    assert state.seats.special == {}
    assert state.seats.shown_of("RAA50") == BOOKED
    action, _ = sent(state, state.hold_best(1, "", NOW))
    assert action.guess == ["RAA51"]
