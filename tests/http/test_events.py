"""GET /events: headers, snapshot, broadcast, resume, heartbeats, disconnects, backlog."""

from __future__ import annotations

import asyncio
import gc
import socket

import pytest

from app.config import Config
from application import SeatServer
from handlers.events import EventStreamHandler
from tests.http.conftest import body_of
from tests.support.sse import EventStreamClient


@pytest.fixture
def open_stream(base_url, http_server):
    streams: list[EventStreamClient] = []

    async def open_(headers: dict[str, str] | None = None, query: str = "") -> EventStreamClient:
        stream = await EventStreamClient.open(f"{base_url}/events{query}", headers)
        streams.append(stream)
        return stream

    yield open_
    for stream in streams:
        stream.close()


async def wait_until(condition, timeout: float = 5.0) -> None:
    """Poll an async condition; fail the test if it does not hold in time."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await condition():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


@pytest.mark.req("REQ-3")
@pytest.mark.parametrize("request_headers", [None, {"Connection": "close"}], ids=["plain", "client-says-close"])
@pytest.mark.gen_test
async def test_events_is_an_event_stream_with_the_contract_headers(api, open_stream, request_headers):
    stream = await open_stream(headers=request_headers)

    assert stream.header("Content-Type") == "text/event-stream"
    assert stream.header("Cache-Control") == "no-cache"
    assert stream.header("Connection") == "keep-alive"
    assert stream.header("X-Accel-Buffering") == "no"


@pytest.mark.req("REQ-3")
@pytest.mark.gen_test
async def test_stream_starts_with_retry_then_a_snapshot_like_get_seats(api, open_stream):
    await api.book({"seats": ["A1"]})

    stream = await open_stream()
    first = await stream.next_event()

    assert stream.parser.retry is not None and stream.parser.retry > 0
    assert (first.event, first.id) == ("snapshot", "1")
    assert first.json() == await api.seats()


@pytest.mark.req("REQ-4")
@pytest.mark.gen_test
async def test_three_streams_all_receive_the_same_booking_event(api, open_stream):
    streams = [await open_stream() for _ in range(3)]
    for stream in streams:
        await stream.next_event()  # the snapshot

    booking = body_of(await api.book({"seats": ["B7"]}))
    events = [await stream.next_seats_event() for stream in streams]

    assert {event.id for event in events} == {str(booking["version"])}
    for event in events:
        assert event.json() == {"version": booking["version"], "available": 49, "changed": {"B7": "booked"}}


@pytest.mark.req("REQ-4")
@pytest.mark.gen_test
async def test_cancellation_is_broadcast_as_seats_becoming_free(api, open_stream):
    booking = body_of(await api.book({"seats": ["C1", "C2"]}))
    stream = await open_stream()
    await stream.next_event()

    await api.cancel(booking["booking_id"], booking["token"])
    event = await stream.next_seats_event()

    assert event.json() == {"version": 2, "available": 50, "changed": {"C1": "free", "C2": "free"}}


@pytest.mark.req("REQ-4")
@pytest.mark.gen_test
async def test_a_refused_booking_sends_no_event(api, open_stream):
    await api.book({"seats": ["A1"]})
    stream = await open_stream()
    await stream.next_event()

    assert (await api.book({"seats": ["A1"]})).code == 409
    await api.book({"seats": ["A2"]})
    event = await stream.next_seats_event()

    assert event.json()["changed"] == {"A2": "booked"}


@pytest.mark.req("resume")
@pytest.mark.parametrize("how", ["header", "query"])
@pytest.mark.gen_test
async def test_resume_replays_exactly_the_events_after_the_last_id_in_order(api, open_stream, how):
    for seat in ("A1", "A2", "A3", "A4", "A5"):
        await api.book({"seats": [seat]})

    if how == "header":
        stream = await open_stream(headers={"Last-Event-ID": "2"})
    else:
        stream = await open_stream(query="?lastEventId=2")
    replayed = [await stream.next_event() for _ in range(3)]
    await api.book({"seats": ["A6"]})
    live = await stream.next_event()

    assert [(e.event, e.id) for e in replayed] == [("seats", "3"), ("seats", "4"), ("seats", "5")]
    assert [e.json()["changed"] for e in replayed] == [{"A3": "booked"}, {"A4": "booked"}, {"A5": "booked"}]
    assert (live.event, live.id) == ("seats", "6")


@pytest.mark.req("resume")
@pytest.mark.gen_test
async def test_resume_at_the_current_version_sends_nothing_until_the_next_change(api, open_stream):
    await api.book({"seats": ["A1"]})

    stream = await open_stream(headers={"Last-Event-ID": "1"})
    await api.book({"seats": ["A2"]})
    event = await stream.next_event()

    assert (event.event, event.id) == ("seats", "2")


@pytest.mark.req("resume")
@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ({"Last-Event-ID": "99"}, ""),
        ({"Last-Event-ID": "abc"}, ""),
        ({"Last-Event-ID": "-1"}, ""),
        ({"Last-Event-ID": "1.5"}, ""),
        ({"Last-Event-ID": ""}, ""),
        (None, "?lastEventId=%D9%A3"),  # an Arabic-Indic digit: not an ASCII version
        (None, "?lastEventId=1e3"),
    ],
)
@pytest.mark.gen_test
async def test_unknown_malformed_or_future_last_event_id_gets_a_snapshot(api, open_stream, headers, query):
    await api.book({"seats": ["A1"]})

    stream = await open_stream(headers=headers, query=query)
    event = await stream.next_event()

    assert (event.event, event.id) == ("snapshot", "1")


class TestShortReplayLog:
    @pytest.fixture
    def seat_server(self, config):
        server = SeatServer(config, replay_limit=3)
        yield server
        server.close()

    @pytest.mark.req("resume")
    @pytest.mark.gen_test
    async def test_a_client_too_far_behind_gets_a_snapshot(self, api, open_stream):
        for seat in ("A1", "A2", "A3", "A4", "A5", "A6"):
            await api.book({"seats": [seat]})

        behind = await open_stream(headers={"Last-Event-ID": "1"})
        recent = await open_stream(headers={"Last-Event-ID": "3"})
        behind_first = await behind.next_event()
        recent_events = [await recent.next_event() for _ in range(3)]

        assert (behind_first.event, behind_first.id) == ("snapshot", "6")
        assert behind_first.json()["available"] == 44
        assert [e.id for e in recent_events] == ["4", "5", "6"]


@pytest.mark.req("heartbeat")
@pytest.mark.parametrize("config", [Config(db=":memory:", seats=10, heartbeat=0.05)])
@pytest.mark.gen_test
async def test_idle_streams_get_ping_comments(api, open_stream, seat_server, config):
    seat_server.start_heartbeat()
    stream = await open_stream()
    await stream.next_event()

    async def pinged() -> bool:
        return "ping" in stream.parser.comments

    await wait_until(pinged)


@pytest.mark.req("REQ-8")
@pytest.mark.gen_test
async def test_a_closed_stream_is_removed_at_once(api, open_stream):
    stream = await open_stream()
    await stream.next_event()
    assert (await api.health())["subscribers"] == 1

    stream.close()

    async def gone() -> bool:
        return (await api.health())["subscribers"] == 0

    await wait_until(gone)


@pytest.mark.req("stalled-reader")
@pytest.mark.parametrize("config", [Config(db=":memory:", seats=1000, row_size=50, max_backlog=4096)])
@pytest.mark.gen_test(timeout=60)
async def test_a_reader_that_stops_reading_is_dropped_while_others_get_every_event(
    api, open_stream, http_server, base_url, config
):
    port = int(base_url.rsplit(":", 1)[1])
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect(("127.0.0.1", port))
    stalled.sendall(b"GET /events HTTP/1.1\r\nHost: test\r\n\r\n")
    healthy = await open_stream()
    await healthy.next_event()

    async def both_subscribed() -> bool:
        return (await api.health())["subscribers"] == 2

    await wait_until(both_subscribed)
    received: list[int] = []
    bookings = []
    try:
        for _ in range(400):  # bounded: far more than the buffers can hold
            booking = body_of(await api.book({"quantity": 10}))
            bookings.append(booking)
            await api.cancel(booking["booking_id"], booking["token"])
            received.extend([int((await healthy.next_seats_event()).id) for _ in range(2)])
            if (await api.health())["subscribers"] == 1:
                break
        subscribers_after = (await api.health())["subscribers"]
        await api.book({"seats": ["A1"]})
        received.append(int((await healthy.next_seats_event()).id))
    finally:
        stalled.close()

    assert subscribers_after == 1, "the stalled reader should have been cut off"
    assert received == list(range(1, len(received) + 1)), "the healthy stream missed or reordered events"


@pytest.mark.req("stalled-reader")
@pytest.mark.parametrize("headers", [None, {"Accept-Encoding": "gzip"}], ids=["plain", "gzip"])
@pytest.mark.gen_test
async def test_an_open_stream_keeps_no_request_handler_alive(api, open_stream, seat_server, headers):
    """An idle stream is its socket and its queue (about 1 KB): nothing of the
    request that opened it (handler, request, connection: about 14 KB) may stay
    reachable from it."""
    # Arrange
    streams = [await open_stream(headers) for _ in range(3)]
    for stream in streams:
        await stream.next_event()

    # Act
    gc.collect()
    alive = [o for o in gc.get_objects() if isinstance(o, EventStreamHandler)]

    # Assert
    assert seat_server.box_office.streams_open() == 3
    assert alive == []
