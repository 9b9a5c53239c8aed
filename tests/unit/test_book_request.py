"""`POST /book` bodies: decoding the bytes, then validating the JSON value."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking.errors import InvalidRequest
from booking.requests import BookRequest, decode_json_body, parse_book_request
from booking.venue import Venue

VENUE = Venue(25, 10)  # A1..A10, B1..B10, C1..C5
MAX_PER_BOOKING = 4


def index(*seat_ids: str) -> tuple[int, ...]:
    return tuple(VENUE.index[seat_id] for seat_id in seat_ids)


@pytest.mark.req("bad-input")
@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        (b"", {}),
        (b"  \r\n\t ", {}),
        (b"{}", {}),
        (b'{"quantity": 2}', {"quantity": 2}),
        (b'{"seats": ["A1", "B2"]}', {"seats": ["A1", "B2"]}),
        ('{"seats": ["é"]}'.encode(), {"seats": ["é"]}),
        (b"[1, 2]", [1, 2]),
    ],
)
def test_body_decodes_as_json_and_an_empty_body_means_empty_object(raw, decoded):
    # Act
    value = decode_json_body(raw)

    # Assert
    assert value == decoded


@pytest.mark.req("bad-input")
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{", "not valid JSON"),
        (b"{'quantity': 1}", "not valid JSON"),
        (b'{"quantity": 1}}', "not valid JSON"),
        (b"\xff\xfe{}", "not valid UTF-8"),
        (b'{"seats": ["A1"], "seats": ["A2"]}', "duplicate key 'seats'"),
        (b'{"quantity": 1, "quantity": 2}', "duplicate key 'quantity'"),
        (b"[" * 100_000, "nested too deeply"),
        (b'{"quantity": ' + b"1" * 5000 + b"}", "number"),
        (b"9" * 10_000, "number"),
    ],
)
def test_malformed_body_is_refused_with_a_clear_message(raw, message):
    # Act / Assert
    with pytest.raises(InvalidRequest, match=message):
        decode_json_body(raw)


@pytest.mark.req("bad-input")
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, BookRequest(quantity=1)),
        ({"quantity": 1}, BookRequest(quantity=1)),
        ({"quantity": MAX_PER_BOOKING}, BookRequest(quantity=MAX_PER_BOOKING)),
        ({"seats": ["A1"]}, BookRequest(quantity=1, seats=index("A1"))),
        ({"seats": ["C5", "A1", "B10"]}, BookRequest(quantity=3, seats=index("C5", "A1", "B10"))),
        ({"seats": ["A1", "A2", "A3", "A4"]}, BookRequest(quantity=4, seats=index("A1", "A2", "A3", "A4"))),
    ],
)
def test_valid_body_becomes_a_book_request_with_seat_indexes_in_request_order(body, expected):
    # Act
    request = parse_book_request(body, VENUE, MAX_PER_BOOKING)

    # Assert
    assert request == expected


@pytest.mark.req("bad-input")
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "must be a JSON object"),
        ("quantity", "must be a JSON object"),
        (None, "must be a JSON object"),
        (3, "must be a JSON object"),
        ({"qty": 1}, "unknown field"),
        ({"quantity": 1, "extra": True}, "unknown field"),
        ({"quantity": 1, "seats": ["A1"]}, "not both"),
        ({"quantity": 0}, "between 1 and 4"),
        ({"quantity": -1}, "between 1 and 4"),
        ({"quantity": MAX_PER_BOOKING + 1}, "between 1 and 4"),
        ({"quantity": 10**100}, "between 1 and 4"),
        ({"quantity": 1.0}, "must be an integer"),
        ({"quantity": "2"}, "must be an integer"),
        ({"quantity": True}, "must be an integer"),
        ({"quantity": None}, "must be an integer"),
        ({"quantity": [1]}, "must be an integer"),
        ({"seats": []}, "non-empty list"),
        ({"seats": "A1"}, "non-empty list"),
        ({"seats": {"A1": True}}, "non-empty list"),
        ({"seats": None}, "non-empty list"),
        ({"seats": ["A1", "A2", "A3", "A4", "A5"]}, "at most 4 seats"),
        ({"seats": [1]}, "must be strings"),
        ({"seats": [["A1"]]}, "must be strings"),
        ({"seats": ["Z1"]}, "unknown seat 'Z1'"),
        ({"seats": ["A11"]}, "unknown seat 'A11'"),
        ({"seats": ["C6"]}, "unknown seat 'C6'"),
        ({"seats": ["a1"]}, "unknown seat 'a1'"),
        ({"seats": [" A1"]}, "unknown seat"),
        ({"seats": ["A1", "A1"]}, "listed twice"),
    ],
)
def test_body_that_is_not_one_of_the_three_shapes_is_refused_with_a_clear_message(body, message):
    # Act / Assert
    with pytest.raises(InvalidRequest, match=message):
        parse_book_request(body, VENUE, MAX_PER_BOOKING)


@pytest.mark.req("bad-input")
def test_unknown_seat_id_is_truncated_in_the_message():
    # Arrange
    body = {"seats": ["X" * 10_000]}

    # Act
    with pytest.raises(InvalidRequest) as refused:
        parse_book_request(body, VENUE, MAX_PER_BOOKING)

    # Assert
    assert len(str(refused.value)) < 100


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
    | st.sampled_from(["A1", "A2", "B10", "C5", "C6", "quantity", "seats"]),
    lambda children: st.lists(children, max_size=6)
    | st.dictionaries(st.sampled_from(["quantity", "seats", "x"]) | st.text(max_size=3), children, max_size=3),
    max_leaves=12,
)


@pytest.mark.req("bad-input")
@given(body=JSON_VALUES)
def test_any_json_value_gives_a_valid_request_or_invalid_request_and_nothing_else(body):
    # Act
    try:
        request = parse_book_request(body, VENUE, MAX_PER_BOOKING)
    except InvalidRequest:
        return

    # Assert
    assert 1 <= request.quantity <= MAX_PER_BOOKING
    if request.seats is not None:
        assert len(request.seats) == request.quantity == len(set(request.seats))
        assert all(0 <= i < VENUE.total for i in request.seats)


@pytest.mark.req("bad-input")
@given(raw=st.binary(max_size=64) | JSON_VALUES.map(lambda value: json.dumps(value).encode()))
def test_any_bytes_decode_to_a_value_or_invalid_request_and_nothing_else(raw):
    # Act: anything but InvalidRequest escapes and fails the test
    try:
        value = decode_json_body(raw)
    except InvalidRequest as refused:
        # Assert
        assert str(refused)
        return

    # Assert
    assert isinstance(value, dict | list | str | int | float | bool | None)
