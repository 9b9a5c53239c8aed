"""Production hardening: security headers on every response, JSON-only and
same-origin state changes, the /events cap, the per-client booking rate limit and
structured access log lines."""

from __future__ import annotations

import json
import logging

import pytest

from app.config import Config
from tests.http.conftest import body_of
from tests.support.sse import EventStreamClient

JSON = {"Content-Type": "application/json"}
CROSS_SITE = "https://evil.example"
PARTNER = "https://partner.example"


def csp_directives(policy: str) -> dict[str, list[str]]:
    directives = {}
    for part in policy.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_security_headers(headers) -> None:
    """`headers` is anything with a case-insensitive `get` (Tornado's or the SSE client's)."""
    get = headers.get
    policy = get("Content-Security-Policy") or get("content-security-policy")
    assert policy, "no Content-Security-Policy"
    directives = csp_directives(policy)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'", "'unsafe-eval'"], "Brython needs 'unsafe-eval' and nothing more"
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy and "*" not in policy
    assert (get("X-Content-Type-Options") or get("x-content-type-options")) == "nosniff"
    assert (get("Referrer-Policy") or get("referrer-policy")) in {"no-referrer", "same-origin", "strict-origin"}


# (id, method, path, body, headers, expected status): one of every kind of response.
RESPONSES = [
    ("page-asset", "GET", "/brython/brython.js", None, {}, 200),
    ("page-asset-not-modified", "GET", "/brython/brython.js", None, {"If-None-Match": "*"}, 304),
    ("page", "GET", "/", None, {}, None),  # 200 once the page exists; headers either way
    ("json-snapshot", "GET", "/seats", None, {}, 200),
    ("json-health", "GET", "/healthz", None, {}, 200),
    ("json-booking", "POST", "/book", b"{}", JSON, 200),
    ("error-not-found", "GET", "/no/such/thing", None, {}, 404),
    ("error-method", "PUT", "/seats", b"{}", JSON, 405),
    ("error-bad-request", "POST", "/book", b"{", JSON, 400),
    ("error-media-type", "POST", "/book", b"{}", {"Content-Type": "text/plain"}, 415),
    ("error-origin", "POST", "/book", b"{}", {**JSON, "Origin": CROSS_SITE}, 403),
    ("error-unauthorized", "DELETE", "/bookings/nope", None, {}, 401),
]


@pytest.mark.req("security-headers")
@pytest.mark.parametrize(("method", "path", "body", "headers", "status"), [r[1:] for r in RESPONSES],
                         ids=[r[0] for r in RESPONSES])
@pytest.mark.gen_test
async def test_every_kind_of_response_carries_the_security_headers(api, method, path, body, headers, status):
    response = await api.request(method, path, body, headers)

    if status is not None:
        assert response.code == status, response.body
    assert_security_headers(response.headers)


@pytest.mark.req("security-headers")
@pytest.mark.gen_test
async def test_an_event_stream_carries_the_security_headers(base_url, http_server):
    stream = await EventStreamClient.open(f"{base_url}/events")
    try:
        await stream.next_event()
    finally:
        stream.close()

    assert stream.status == 200
    assert_security_headers(stream.headers)


@pytest.mark.req("security-headers")
@pytest.mark.parametrize("config", [Config(db=":memory:", seats=10, row_size=10, max_streams=1, rate_limit=0.01)])
@pytest.mark.gen_test
async def test_refusals_by_the_limits_carry_the_security_headers(api, base_url, config):
    first = await EventStreamClient.open(f"{base_url}/events")
    refused = await EventStreamClient.open(f"{base_url}/events")
    await api.book()
    limited = await api.book()
    first.close()
    refused.close()

    assert (refused.status, limited.code) == (503, 429)
    assert_security_headers(refused.headers)
    assert_security_headers(limited.headers)


# ---- POST /book and DELETE accept JSON only --------------------------------------------

NOT_JSON = [
    ("text/plain", b'{"quantity": 1}'),
    ("application/x-www-form-urlencoded", b"quantity=1"),
    ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="q"\r\n\r\n1\r\n--x--\r\n'),
    ("application/xml", b"<book/>"),
    ("text/json", b"{}"),
]


@pytest.mark.req("bad-input")
@pytest.mark.parametrize(("content_type", "body"), NOT_JSON, ids=[c for c, _ in NOT_JSON])
@pytest.mark.gen_test
async def test_booking_refuses_every_content_type_but_json(api, content_type, body):
    response = await api.request("POST", "/book", body, {"Content-Type": content_type})

    assert response.code == 415
    assert body_of(response)["error"] == "unsupported_media_type"
    assert (await api.seats())["version"] == 0, "a refused request must book nothing"


@pytest.mark.req("bad-input")
@pytest.mark.parametrize(("content_type", "body"), NOT_JSON, ids=[c for c, _ in NOT_JSON])
@pytest.mark.gen_test
async def test_cancelling_refuses_every_content_type_but_json(api, content_type, body):
    booking = body_of(await api.book({"seats": ["A1"]}))
    headers = {"Content-Type": content_type, "Authorization": f"Bearer {booking['token']}"}

    response = await api.request("DELETE", f"/bookings/{booking['booking_id']}", body, headers)

    assert response.code == 415
    assert body_of(response)["error"] == "unsupported_media_type"
    assert (await api.seats())["available"] == 49, "the booking must still stand"


@pytest.mark.req("bad-input")
@pytest.mark.gen_test
async def test_json_with_a_charset_parameter_is_accepted(api):
    headers = {"Content-Type": "application/json; charset=utf-8"}

    response = await api.request("POST", "/book", b'{"quantity": 2}', headers)

    assert response.code == 200, response.body


# ---- Origin ----------------------------------------------------------------------------

@pytest.mark.req("origin")
@pytest.mark.parametrize("origin", [CROSS_SITE, "null", "http://127.0.0.1.evil.example"])
@pytest.mark.gen_test
async def test_a_booking_from_another_site_is_refused(api, origin):
    response = await api.book({"quantity": 1}, headers={"Origin": origin})

    assert response.code == 403
    assert body_of(response)["error"] == "forbidden_origin"
    assert (await api.seats())["version"] == 0


@pytest.mark.req("origin")
@pytest.mark.gen_test
async def test_a_cancellation_from_another_site_is_refused(api):
    booking = body_of(await api.book({"seats": ["A1"]}))
    headers = {"Authorization": f"Bearer {booking['token']}", "Origin": CROSS_SITE}

    response = await api.request("DELETE", f"/bookings/{booking['booking_id']}", None, headers)

    assert response.code == 403
    assert (await api.seats())["available"] == 49


@pytest.mark.req("origin")
@pytest.mark.gen_test
async def test_the_pages_own_origin_may_book_and_cancel(api, base_url):
    own = {"Origin": base_url}

    booked = await api.book({"seats": ["A1"]}, headers=own)
    booking = body_of(booked)
    cancelled = await api.request("DELETE", f"/bookings/{booking['booking_id']}", None,
                                  {**own, "Authorization": f"Bearer {booking['token']}"})

    assert (booked.code, cancelled.code) == (200, 200)


@pytest.mark.req("origin")
@pytest.mark.parametrize("config", [Config(db=":memory:", seats=50, row_size=10,
                                           allowed_origins=f"{PARTNER}/, https://other.example")])
@pytest.mark.gen_test
async def test_a_configured_origin_may_book_and_cancel_but_no_other(api, config):
    booked = await api.book({"seats": ["A1"]}, headers={"Origin": PARTNER})
    booking = body_of(booked)
    cancelled = await api.request("DELETE", f"/bookings/{booking['booking_id']}", None,
                                  {"Origin": PARTNER, "Authorization": f"Bearer {booking['token']}"})
    stranger = await api.book({"seats": ["A2"]}, headers={"Origin": CROSS_SITE})

    assert (booked.code, cancelled.code, stranger.code) == (200, 200, 403)


# ---- /events cap -----------------------------------------------------------------------

@pytest.mark.req("stream-cap")
@pytest.mark.parametrize("config", [Config(db=":memory:", seats=10, row_size=10, max_streams=3)])
@pytest.mark.gen_test(timeout=30)
async def test_one_stream_past_the_cap_gets_503_with_retry_after_and_a_freed_slot_is_reusable(
    api, base_url, config
):
    streams = [await EventStreamClient.open(f"{base_url}/events") for _ in range(3)]
    for stream in streams:
        await stream.next_event()
    try:
        refused = await EventStreamClient.open(f"{base_url}/events")
        streams.append(refused)
        await refused.ended
        streams[0].close()
        for _ in range(500):  # bounded: the server notices the hang-up within a few loop turns
            if (await api.health())["subscribers"] == 2:
                break
        again = await EventStreamClient.open(f"{base_url}/events")
        snapshot = await again.next_event()
        again.close()
    finally:
        for stream in streams:
            stream.close()

    assert refused.status == 503
    assert int(refused.header("Retry-After")) >= 1
    assert json.loads(refused.parser.buffer or "{}").get("error") == "too_many_streams"
    assert (again.status, snapshot.event) == (200, "snapshot")


# ---- per-client rate limit -------------------------------------------------------------

@pytest.mark.req("rate-limit")
@pytest.mark.parametrize("config", [Config(db=":memory:", seats=50, row_size=10, rate_limit=0.01)])
@pytest.mark.gen_test
async def test_a_client_past_its_booking_rate_gets_429_with_retry_after_and_books_nothing(api, config):
    first = await api.book({"quantity": 1})
    second = await api.book({"quantity": 1})

    assert first.code == 200
    assert second.code == 429
    assert body_of(second)["error"] == "rate_limited"
    # 0.01 bookings a second: the next token is about 100 s away, in whole seconds.
    assert 90 <= int(second.headers["Retry-After"]) <= 100
    assert (await api.seats())["available"] == 49


@pytest.mark.req("rate-limit")
@pytest.mark.parametrize("config", [Config(db=":memory:", seats=50, row_size=10, rate_limit=0.01)])
@pytest.mark.gen_test
async def test_the_rate_limit_is_per_client_address(api, config, base_url):
    await api.book({"quantity": 1})
    limited = await api.book({"quantity": 1})
    # Linux routes all of 127.0.0.0/8 to loopback: a second client from 127.0.0.2.
    other = await api.client.fetch(f"{base_url}/book", method="POST", body=b"{}", headers=JSON,
                                   network_interface="127.0.0.2", raise_error=False)

    assert limited.code == 429
    assert other.code == 200, other.body


@pytest.mark.req("rate-limit")
@pytest.mark.gen_test
async def test_without_a_rate_limit_a_burst_from_one_client_is_served(api):
    responses = [await api.book({"quantity": 1}) for _ in range(30)]

    assert [r.code for r in responses] == [200] * 30


# ---- access log ------------------------------------------------------------------------

@pytest.mark.req("access-log")
@pytest.mark.parametrize("config", [Config(db=":memory:", seats=50, row_size=10, log_format="json")])
@pytest.mark.gen_test
async def test_json_access_log_has_one_json_line_per_request(api, seat_server, caplog, config):
    caplog.set_level(logging.INFO, logger="seats.access")
    await api.book({"quantity": 1})
    await api.request("GET", "/seats")
    await api.request("GET", "/nowhere")

    seat_server.access_log.flush()

    lines = [line for record in caplog.records if record.name == "seats.access"
             for line in record.getMessage().splitlines()]
    entries = [json.loads(line) for line in lines]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", "/book", 200), ("GET", "/seats", 200), ("GET", "/nowhere", 404)]
    for entry in entries:
        assert entry["remote"] == "127.0.0.1"
        assert isinstance(entry["ms"], (int, float)) and entry["ms"] >= 0
        assert entry["time"].endswith("Z")


@pytest.mark.req("access-log")
@pytest.mark.gen_test
async def test_text_access_log_has_one_line_per_request(api, seat_server, caplog):
    caplog.set_level(logging.INFO, logger="seats.access")
    await api.request("GET", "/healthz")
    await api.request("GET", "/seats")

    seat_server.access_log.flush()

    lines = [line for record in caplog.records if record.name == "seats.access"
             for line in record.getMessage().splitlines()]
    assert len(lines) == 2
    assert [line.split()[1:4] for line in lines] == [["200", "GET", "/healthz"], ["200", "GET", "/seats"]]
