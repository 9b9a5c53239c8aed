"""GET /metrics: a scripted burst (bookings, a 409, a hold that expires, a
stalled stream) moves each counter by exactly what happened; the endpoint on an
address of its own, or off."""

from __future__ import annotations

import asyncio
import re
import socket

import pytest
from tornado.httpclient import AsyncHTTPClient

from app.config import Config
from application import SeatServer
from tests.http.conftest import ADMIN_TOKEN, body_of
from tests.support.servers import free_port
from tests.support.sse import EventStreamClient

SAMPLE = re.compile(r'^([a-z_]+)(?:\{(.*)\})? (\S+)$')


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    """Prometheus text format -> {(name, {(label, value)}): value}; every line
    must be a comment or a sample."""
    samples = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, labels, value = match.groups()
        pairs = frozenset(re.findall(r'([a-z_]+)="([^"]*)"', labels or ""))
        samples[(name, pairs)] = float(value.replace("+Inf", "inf"))
    return samples


class Scrape:
    def __init__(self, samples: dict[tuple[str, frozenset], float]) -> None:
        self.samples = samples

    def __call__(self, name: str, **labels: str) -> float:
        return self.samples.get((name, frozenset(labels.items())), 0.0)


async def scrape(api, path: str = "/metrics") -> Scrape:
    response = await api.get(path)
    assert response.code == 200
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return Scrape(parse(response.body.decode()))


def delta(before: Scrape, after: Scrape, name: str, **labels: str) -> float:
    return after(name, **labels) - before(name, **labels)


async def wait_until(predicate, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


@pytest.mark.req("metrics")
@pytest.mark.parametrize("config", [Config(db=":memory:", seats=1000, row_size=50, max_backlog=4096,
                                           hold_seconds=60, admin_token=ADMIN_TOKEN)])
@pytest.mark.gen_test(timeout=90)
async def test_each_counter_moves_by_exactly_what_a_scripted_burst_did(api, base_url, clock, seat_server, config):
    # Arrange: a show, a healthy stream on it, and the counters before.
    assert (await api.create_show("gala")).code == 201
    healthy = await EventStreamClient.open(base_url + "/shows/gala/events")
    await healthy.next_event()
    before = await scrape(api)

    # Act 1: three bookings, one refused for a taken seat, a hold left to expire.
    booked = [await api.post("/shows/gala/book", {"seats": [seat]}) for seat in ("A3", "A4", "A5")]
    taken = await api.post("/shows/gala/book", {"seats": ["A4"]})
    hold = await api.hold("gala", {"seats": ["B1", "B2"]})
    holding = await scrape(api)
    clock.advance(61)
    seat_server.box_office.sweep()
    events = [(await healthy.next_seats_event()).id for _ in range(5)]  # 3 bookings, the hold, its expiry
    after = await scrape(api)

    # Assert 1
    assert [r.code for r in booked] == [200, 200, 200] and taken.code == 409 and hold.code == 201
    assert events == ["1", "2", "3", "4", "5"]
    assert delta(before, after, "seats_decisions_total", action="book", outcome="ok") == 3
    assert delta(before, after, "seats_decisions_total", action="book", outcome="seats_taken") == 1
    assert delta(before, after, "seats_decisions_total", action="hold", outcome="ok") == 1
    assert delta(before, after, "seats_http_requests_total", route="/shows/{show}/book", method="POST",
                 status="200") == 3
    assert delta(before, after, "seats_http_requests_total", route="/shows/{show}/book", method="POST",
                 status="409") == 1
    assert delta(before, after, "seats_http_requests_total", route="/shows/{show}/holds", method="POST",
                 status="201") == 1
    # The scrapes count too: one before `holding`, one before `after`.
    assert delta(before, after, "seats_http_requests_total", route="/metrics", method="GET", status="200") == 2
    assert holding("seats_open_holds", show="gala") == 1
    assert after("seats_open_holds", show="gala") == 0
    assert delta(before, after, "seats_hold_expiries_total", show="gala") == 1
    assert after("seats_show_version", show="gala") == 5
    assert after("seats_available_seats", show="gala") == 16 - 3
    assert after("seats_open_streams", show="gala") == 1
    # One stream saw five events (the snapshot is not an event of the log).
    assert delta(before, after, "seats_events_sent_total") == 5
    # Four decisions that changed something, and the one refused (it waits for
    # nothing to commit but is decided all the same); the expiry is no request.
    assert delta(before, after, "seats_decision_seconds_count") == 5
    assert delta(before, after, "seats_commit_batch_records_sum") >= 5  # 4 decisions + the expiry
    assert delta(before, after, "seats_commit_seconds_count") == delta(before, after,
                                                                      "seats_commit_batch_records_count") >= 1
    assert delta(before, after, "seats_streams_dropped_total") == 0
    assert delta(before, after, "seats_storage_failures_total") == 0

    # Act 2: a reader that stops reading, on the one-venue stream, is cut off.
    port = int(base_url.rsplit(":", 1)[1])
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect(("127.0.0.1", port))
    stalled.sendall(b"GET /events HTTP/1.1\r\nHost: test\r\n\r\n")

    async def subscribed() -> bool:
        return (await scrape(api))("seats_open_streams", show="main") == 1

    await wait_until(subscribed)
    try:
        for _ in range(400):  # bounded: far more than the socket buffers hold
            booking = body_of(await api.book({"quantity": 10}))
            await api.cancel(booking["booking_id"], booking["token"])
            if seat_server.box_office.streams_open() == 1:
                break
        await asyncio.sleep(0.05)  # the stream's close is counted on the next loop turn
        dropped = await scrape(api)
    finally:
        stalled.close()
        healthy.close()

    # Assert 2: one stream dropped; it was answered 200 and is counted as a request once it ended.
    assert dropped("seats_open_streams", show="main") == 0
    assert delta(after, dropped, "seats_streams_dropped_total") == 1
    assert delta(after, dropped, "seats_http_requests_total", route="/events", method="GET", status="200") == 1
    bookings = delta(after, dropped, "seats_decisions_total", action="book", outcome="ok")
    assert bookings >= 1
    assert delta(after, dropped, "seats_decisions_total", action="cancel", outcome="ok") == bookings


@pytest.mark.req("metrics")
@pytest.mark.gen_test
async def test_a_booking_refused_as_bad_input_is_counted_by_its_error_code(api):
    before = await scrape(api)

    bad = await api.book({"seats": ["Z99"]})
    after = await scrape(api)

    assert bad.code == 400
    assert delta(before, after, "seats_decisions_total", action="book", outcome="bad_request") == 1
    assert delta(before, after, "seats_http_requests_total", route="/book", method="POST", status="400") == 1


@pytest.mark.req("metrics")
@pytest.mark.gen_test
async def test_metrics_on_an_address_of_their_own_are_not_on_the_main_port(clock):
    port, main_port = free_port(), free_port()
    server = SeatServer(Config(db=":memory:", seats=10, row_size=10, host="127.0.0.1", port=main_port,
                               metrics_address=f"127.0.0.1:{port}"), clock=clock)
    server.start()
    client = AsyncHTTPClient(force_instance=True)
    try:
        booked = await client.fetch(f"http://127.0.0.1:{main_port}/book", method="POST", body=b'{"quantity": 1}',
                                    headers={"Content-Type": "application/json"}, raise_error=False)
        on_main = await client.fetch(f"http://127.0.0.1:{main_port}/metrics", raise_error=False)
        own = await client.fetch(f"http://127.0.0.1:{port}/metrics", raise_error=False)
    finally:
        client.close()
        await server.shutdown()

    assert booked.code == 200
    assert on_main.code == 404
    assert own.code == 200
    assert Scrape(parse(own.body.decode()))("seats_decisions_total", action="book", outcome="ok") == 1


@pytest.mark.req("metrics")
@pytest.mark.gen_test(timeout=30)
async def test_the_metrics_listener_has_the_main_ports_defences_and_shares_its_connection_cap(clock):
    port, main_port = free_port(), free_port()
    server = SeatServer(Config(db=":memory:", seats=10, row_size=10, host="127.0.0.1", port=main_port,
                               max_connections=4, metrics_address=f"127.0.0.1:{port}"), clock=clock)
    server.start()
    client = AsyncHTTPClient(force_instance=True)
    idle: list[socket.socket] = []
    try:
        rebound = await client.fetch(f"http://127.0.0.1:{port}/metrics", headers={"Host": "rebind.example"},
                                     raise_error=False)
        unknown = await client.fetch(f"http://127.0.0.1:{port}/nothing", raise_error=False)
        # Connections held open on the metrics port count against the server's cap.
        for _ in range(4):
            idle.append(socket.create_connection(("127.0.0.1", port)))
        await asyncio.sleep(0.2)
        refused = await client.fetch(f"http://127.0.0.1:{main_port}/healthz", raise_error=False)
        for sock in idle:
            sock.close()
        await asyncio.sleep(0.2)
        counted = Scrape(parse((await client.fetch(f"http://127.0.0.1:{port}/metrics")).body.decode()))
    finally:
        for sock in idle:
            sock.close()
        client.close()
        await server.shutdown()

    assert rebound.code == 421
    assert unknown.code == 404 and body_of(unknown)["error"] == "not_found"
    assert "Server" not in unknown.headers
    assert refused.code == 503 and body_of(refused)["error"] == "too_many_connections"
    assert counted("seats_connections_refused_total") == 1
    assert counted("seats_http_requests_total", route="/metrics", method="GET", status="421") == 1
    assert counted("seats_http_requests_total", route="other", method="GET", status="404") == 1


@pytest.mark.req("metrics")
@pytest.mark.gen_test
async def test_a_repeated_idempotency_key_is_counted_as_replayed_not_as_a_new_decision(api):
    before = await scrape(api)

    answers = [await api.book({"seats": ["A1"]}, {"Idempotency-Key": "k1"}) for _ in range(3)]
    refusals = [await api.book({"seats": ["A1"]}, {"Idempotency-Key": "k2"}) for _ in range(2)]
    after = await scrape(api)

    assert [r.code for r in answers] == [200, 200, 200] and [r.code for r in refusals] == [409, 409]
    assert delta(before, after, "seats_decisions_total", action="book", outcome="ok") == 1
    assert delta(before, after, "seats_decisions_total", action="book", outcome="seats_taken") == 1
    assert delta(before, after, "seats_decisions_total", action="book", outcome="replayed") == 3
    assert delta(before, after, "seats_decision_seconds_count") == 2


@pytest.mark.req("metrics")
@pytest.mark.parametrize("config", [Config(db=":memory:", seats=10, row_size=10, metrics_address="off")])
@pytest.mark.gen_test
async def test_metrics_off_counts_nothing_and_serves_no_endpoint(api, seat_server):
    booked = await api.book({"quantity": 1})
    response = await api.get("/metrics")

    assert booked.code == 200
    assert response.code == 404
    assert seat_server.metrics is None
