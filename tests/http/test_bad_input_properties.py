"""Generated malformed bookings against a live server: each is a 4xx and none
changes anything."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.config import Config
from tests.support.servers import threaded_server

MAX_PER_BOOKING = 10
VALID_SEATS = [f"{row}{n}" for row in "ABCDE" for n in range(1, 11)]


@pytest.fixture(scope="module")
def live_url():
    with threaded_server(Config(db=":memory:", seats=50, row_size=10, max_per_booking=MAX_PER_BOOKING)) as url:
        yield url


def send(url: str, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def state(url: str) -> tuple[int, int]:
    _, snapshot = send(url, "GET", "/seats", b"", {})
    return snapshot["version"], snapshot["available"]


json_scalars = st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=8)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)

bad_quantity = (
    st.integers(max_value=0) | st.integers(min_value=MAX_PER_BOOKING + 1)
    | st.floats() | st.text(max_size=5) | st.booleans() | st.none() | st.lists(st.integers(), max_size=2)
)
unknown_seat = st.text(min_size=1, max_size=6).filter(lambda s: s not in VALID_SEATS)
bad_seat_lists = (
    st.lists(st.sampled_from(VALID_SEATS), max_size=3).flatmap(
        lambda good: unknown_seat.map(lambda bad: [*good, bad]))  # one unknown id
    | st.lists(st.sampled_from(VALID_SEATS), min_size=1, max_size=3).map(lambda s: [*s, s[0]])  # a duplicate
    | st.just([])
    | st.lists(st.sampled_from(VALID_SEATS), min_size=MAX_PER_BOOKING + 1, max_size=15, unique=True)
    | json_scalars
)
bad_bodies = st.one_of(
    st.fixed_dictionaries({"quantity": bad_quantity}),
    st.fixed_dictionaries({"seats": bad_seat_lists}),
    st.fixed_dictionaries({"seats": st.lists(st.sampled_from(VALID_SEATS), min_size=1, max_size=2),
                           "quantity": st.integers(1, 3)}),
    st.dictionaries(st.text(max_size=8).filter(lambda k: k not in ("seats", "quantity")), json_values,
                    min_size=1, max_size=3),
    json_values.filter(lambda v: not isinstance(v, dict)),
)


@pytest.mark.req("bad-input")
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bad_bodies)
def test_generated_invalid_bodies_get_400_and_change_nothing(live_url, body):
    before = state(live_url)

    status, error = send(live_url, "POST", "/book", json.dumps(body).encode(),
                         {"Content-Type": "application/json"})

    assert status == 400, (body, error)
    assert error["error"] == "bad_request" and error["message"]
    assert state(live_url) == before


@pytest.mark.req("bad-input")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(min_size=1, max_size=64).filter(lambda b: _not_json(b)))
def test_generated_non_json_bytes_get_400_and_change_nothing(live_url, raw):
    before = state(live_url)

    status, error = send(live_url, "POST", "/book", raw, {"Content-Type": "application/json"})

    assert status == 400, (raw, error)
    assert state(live_url) == before


@pytest.mark.req("bad-input")
def test_a_bare_post_without_content_type_books_one_seat(live_url):
    status, booking = send(live_url, "POST", "/book", b"", {})

    assert status == 200, booking
    assert len(booking["seats"]) == 1


def _not_json(raw: bytes) -> bool:
    try:
        json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return bool(raw.strip())
    return False
