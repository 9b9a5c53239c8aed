"""Every malformed request gets the right 4xx with the JSON error shape and
changes nothing: version and available stay as they were."""

from __future__ import annotations

import json

import pytest

from tests.http.conftest import body_of

JSON = {"Content-Type": "application/json"}

BAD_BOOKINGS = [
    # (id, body bytes, headers, expected status)
    ("broken-json", b'{"seats": ', JSON, 400),
    ("trailing-garbage", b'{"quantity": 1} x', JSON, 400),
    ("array-body", b"[]", JSON, 400),
    ("string-body", b'"A1"', JSON, 400),
    ("null-body", b"null", JSON, 400),
    ("number-body", b"3", JSON, 400),
    ("quantity-zero", b'{"quantity": 0}', JSON, 400),
    ("quantity-negative", b'{"quantity": -1}', JSON, 400),
    ("quantity-over-max", b'{"quantity": 11}', JSON, 400),
    ("quantity-string", b'{"quantity": "2"}', JSON, 400),
    ("quantity-float", b'{"quantity": 1.5}', JSON, 400),
    ("quantity-bool", b'{"quantity": true}', JSON, 400),
    ("quantity-null", b'{"quantity": null}', JSON, 400),
    ("quantity-nan", b'{"quantity": NaN}', JSON, 400),
    ("quantity-huge", b'{"quantity": 100000000000000000000000}', JSON, 400),
    ("seats-not-a-list", b'{"seats": "A1"}', JSON, 400),
    ("seats-empty", b'{"seats": []}', JSON, 400),
    ("seat-unknown", b'{"seats": ["Z99"]}', JSON, 400),
    ("seat-lowercase", b'{"seats": ["a1"]}', JSON, 400),
    ("seat-duplicate", b'{"seats": ["A1", "A1"]}', JSON, 400),
    ("seat-not-a-string", b'{"seats": [1]}', JSON, 400),
    ("seat-one-unknown-among-good", b'{"seats": ["A1", "Q1"]}', JSON, 400),
    ("seats-over-max", json.dumps({"seats": [f"B{n}" for n in range(1, 11)] + ["C1"]}).encode(), JSON, 400),
    ("seats-and-quantity", b'{"seats": ["A1"], "quantity": 1}', JSON, 400),
    ("unknown-field", b'{"qty": 1}', JSON, 400),
    ("duplicate-json-key", b'{"quantity": 1, "quantity": 2}', JSON, 400),
    ("invalid-utf8", b'{"seats": ["\xff"]}', JSON, 400),
    ("deep-nesting", b"[" * 100_000 + b"]" * 100_000, JSON, 413),
    ("body-over-limit", b'{"seats": ["A1"], "pad": "' + b"x" * 20_000 + b'"}', JSON, 413),
    ("body-of-two-megabytes", b"{" + b" " * 2_000_000 + b"}", JSON, 413),
    ("text-plain", b'{"quantity": 1}', {"Content-Type": "text/plain"}, 415),
    ("form-encoded", b"quantity=1", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
    ("multipart", b"--x--", {"Content-Type": "multipart/form-data; boundary=x"}, 415),
    ("json-lookalike-type", b"{}", {"Content-Type": "application/jsonp"}, 415),
    ("body-without-content-type", b'{"quantity": 1}', {}, 415),
    ("idempotency-key-empty", b"{}", {**JSON, "Idempotency-Key": ""}, 400),
    ("idempotency-key-too-long", b"{}", {**JSON, "Idempotency-Key": "k" * 256}, 400),
    ("idempotency-key-control-char", b"{}", {**JSON, "Idempotency-Key": "a\tb"}, 400),
]


async def state_of(api) -> tuple[int, int]:
    snapshot = await api.seats()
    return snapshot["version"], snapshot["available"]


@pytest.mark.req("bad-input")
@pytest.mark.parametrize(("body", "headers", "status"), [case[1:] for case in BAD_BOOKINGS],
                         ids=[case[0] for case in BAD_BOOKINGS])
@pytest.mark.gen_test(timeout=30)
async def test_malformed_booking_is_refused_and_changes_nothing(api, body, headers, status):
    await api.book({"seats": ["A2"]})
    before = await state_of(api)

    response = await api.request("POST", "/book", body, headers)

    assert response.code == status, response.body
    error = body_of(response)
    assert set(error) == {"error", "message"}
    assert error["message"]
    assert response.headers["Content-Type"].startswith("application/json")
    assert await state_of(api) == before


@pytest.mark.req("bad-input")
@pytest.mark.gen_test
async def test_a_refused_idempotency_key_is_not_remembered(api):
    bad = await api.book({"quantity": 0}, headers={"Idempotency-Key": "k-400"})

    good = await api.book({"quantity": 1}, headers={"Idempotency-Key": "k-400"})

    assert (bad.code, good.code) == (400, 200)


@pytest.mark.req("bad-input")
@pytest.mark.parametrize(
    ("path", "headers", "body", "status"),
    [
        ("/bookings/x", {}, None, 401),
        ("/bookings/x", {"Authorization": "Bearer"}, None, 401),
        ("/bookings/x", {"Authorization": "Token abc"}, None, 401),
        ("/bookings/x", {"Authorization": "Bearer nope"}, None, 404),
        ("/bookings/x", {"Authorization": "Bearer t", "Content-Type": "text/plain"}, b"hi", 415),
    ],
    ids=["no-auth", "empty-bearer", "other-scheme", "unknown-booking", "non-json-body"],
)
@pytest.mark.gen_test
async def test_malformed_cancellation_is_refused_and_changes_nothing(api, path, headers, body, status):
    await api.book({"seats": ["A2"]})
    before = await state_of(api)

    response = await api.request("DELETE", path, body, headers)

    assert response.code == status, response.body
    assert set(body_of(response)) == {"error", "message"}
    assert await state_of(api) == before


@pytest.mark.req("bad-input")
@pytest.mark.parametrize(("method", "path", "status"), [
    ("PUT", "/book", 405), ("GET", "/book", 405), ("POST", "/seats", 405), ("GET", "/nowhere", 404),
    ("DELETE", "/bookings/", 404),
])
@pytest.mark.gen_test
async def test_wrong_method_or_path_gets_a_json_error(api, method, path, status):
    before = await state_of(api)

    response = await api.request(method, path, b"{}" if method in ("PUT", "POST") else None, JSON)

    assert response.code == status
    assert set(body_of(response)) == {"error", "message"}
    assert await state_of(api) == before


@pytest.mark.req("bad-input")
@pytest.mark.parametrize("headers", [{"Content-Type": "application/x-www-form-urlencoded"}, JSON],
                         ids=["client-default-form-type", "json"])
@pytest.mark.gen_test
async def test_an_empty_body_means_one_seat_best_available(api, headers):
    response = await api.request("POST", "/book", b"", headers)

    assert response.code == 200, response.body
    assert body_of(response)["seats"] == ["A5"]


@pytest.mark.req("origin")
@pytest.mark.gen_test
async def test_an_empty_form_post_from_another_site_is_refused(api):
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"}

    response = await api.request("POST", "/book", b"", headers)

    assert response.code == 403
    assert (await api.seats())["version"] == 0
