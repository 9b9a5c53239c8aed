"""Every JSON body of the contract, byte for byte (app/contract_json.py)."""

from __future__ import annotations

import pytest

from app import contract_json
from app.contract_json import Reply
from booking.inventory import Booking, Change, Hold, Rejected
from booking.layout import Layout
from booking.show import Show

NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z
HOLD = Hold("h1", "hash", ("A1", "BA2"), "10.0.0.1", NOW, NOW + 600, 7000)
BOOKING = Booking("b1", "hash", ("A1", "A2"), "KQ7-M4ZP", 9000, "Ada", "ada@example.com")
CHANGE = Change("main", 8, {"A1": "booked", "A2": "booked"}, 92)


@pytest.mark.req("versions")
@pytest.mark.parametrize(
    ("reply", "status", "body"),
    [
        pytest.param(contract_json.booked(BOOKING, "tok", CHANGE), 200,
                     '{"booking_id":"b1","token":"tok","seats":["A1","A2"],"available":92,"version":8}', id="booked"),
        pytest.param(contract_json.rejected(Rejected("seats_taken", "not available: A1", ("A1",), 92, 8)), 409,
                     '{"error":"seats_taken","message":"not available: A1","unavailable":["A1"],"available":92,'
                     '"version":8}', id="rejected"),
        pytest.param(contract_json.cancelled(BOOKING, Change("main", 9, {}, 94)), 200,
                     '{"released":["A1","A2"],"available":94,"version":9}', id="cancelled"),
        pytest.param(contract_json.basket(HOLD, 40, 3, NOW, token="tok"), 201,
                     '{"hold_id":"h1","token":"tok","seats":["A1","BA2"],"expires_at":"2027-01-15T08:10:00.000Z",'
                     '"expires_in":600,"total_price":7000,"available":40,"version":3}', id="new-basket"),
        pytest.param(contract_json.basket(HOLD, 40, 4, NOW + 599.6), 200,
                     '{"hold_id":"h1","seats":["A1","BA2"],"expires_at":"2027-01-15T08:10:00.000Z",'
                     '"expires_in":0,"total_price":7000,"available":40,"version":4}', id="basket-without-token"),
        pytest.param(contract_json.released(HOLD, 42, 5), 200,
                     '{"released":["A1","BA2"],"available":42,"version":5}', id="released"),
        pytest.param(contract_json.confirmed(BOOKING, "tok2", CHANGE), 200,
                     '{"booking_id":"b1","token":"tok2","reference":"KQ7-M4ZP","seats":["A1","A2"],'
                     '"total_price":9000,"available":92,"version":8}', id="confirmed"),
    ],
)
def test_each_answer_has_the_contracts_shape_byte_for_byte(reply, status, body):
    assert reply == Reply(status, body)


@pytest.mark.req("shows")
def test_show_bodies_list_detail_and_creation():
    # Arrange
    layout = Layout([("Stalls", 4500, [("A", 2, (1,))])])
    show = Show("jazz", "Jazz night", "2027-06-12T20:00:00Z", "EUR", layout)

    # Act
    summary = contract_json.show_list([contract_json.show_summary(show, 1, 3)])
    detail = contract_json.show_detail(show)
    created = contract_json.show_created(show)

    # Assert
    assert summary == ('[{"id":"jazz","name":"Jazz night","starts_at":"2027-06-12T20:00:00Z","total":2,'
                       '"available":1,"version":3}]')
    assert detail == ('{"id":"jazz","name":"Jazz night","starts_at":"2027-06-12T20:00:00Z","currency":"EUR",'
                      '"layout":{"sections":[{"name":"Stalls","price":4500,"rows":[{"label":"A","seats":2,'
                      '"accessible":[1]}]}]}}')
    assert created == Reply(201, detail[:-1] + ',"total":2,"available":2,"version":0}')


@pytest.mark.req("compact-snapshot")
def test_snapshots_verbose_and_compact():
    # Arrange
    layout = Layout.grid(3, 2)

    # Act
    verbose = contract_json.verbose_snapshot(layout, b"fhb", 7, 1)
    compact = contract_json.compact_snapshot(layout, b"fhb", 7, 1)

    # Assert
    assert verbose == ('{"version":7,"total":3,"available":1,"seats":[{"id":"A1","row":"A","number":1,"state":"free"},'
                       '{"id":"A2","row":"A","number":2,"state":"held"},'
                       '{"id":"B1","row":"B","number":1,"state":"booked"}]}')
    assert compact == '{"version":7,"total":3,"available":1,"rows":{"A":"fh","B":"b"}}'


@pytest.mark.req("sse-format")
def test_seats_event_data_errors_and_health():
    assert contract_json.seats_event_data(CHANGE) == (
        '{"version":8,"available":92,"changed":{"A1":"booked","A2":"booked"}}')
    assert contract_json.error("not_found", "no show 'x'") == '{"error":"not_found","message":"no show \'x\'"}'
    assert contract_json.health("ok", 8, 12) == '{"status":"ok","version":8,"subscribers":12}'


@pytest.mark.req("holds")
@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.0, "1970-01-01T00:00:00.000Z"), (1_800_000_600.25, "2027-01-15T08:10:00.250Z"),
     (1_800_000_600.9996, "2027-01-15T08:10:01.000Z")],
)
def test_timestamps_are_utc_to_the_millisecond(seconds, text):
    assert contract_json.timestamp(seconds) == text
