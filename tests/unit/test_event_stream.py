"""One event stream over a real socket pair: chunk framing, queueing what the
socket does not take, cutting off a reader past its backlog, a clean end."""

from __future__ import annotations

import asyncio
import gzip
import socket
from collections.abc import Awaitable, Callable

import pytest

from app.event_log import EventLog
from app.event_stream import LAST_CHUNK, EventStream, Piece, http_chunk

SMALL_BUFFER = 4096


def run(scenario: Callable[[socket.socket, list[EventStream], Callable[..., EventStream]], Awaitable[None]]) -> None:
    """Runs `scenario(client, closed, make_stream)` on a fresh loop and socket pair."""

    async def main() -> None:
        server_side, client = socket.socketpair()
        closed: list[EventStream] = []
        for side in (server_side, client):
            side.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SMALL_BUFFER)
            side.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SMALL_BUFFER)

        def make_stream(max_backlog: int = 1 << 20, chunked: bool = True, gzip: bool = False) -> EventStream:
            return EventStream(server_side, chunked, max_backlog, closed.append, "127.0.0.1", gzip=gzip)

        try:
            await asyncio.wait_for(scenario(client, closed, make_stream), timeout=10)
        finally:
            client.close()
            server_side.close()

    asyncio.run(main())


def read_all(client: socket.socket) -> bytes:
    client.setblocking(False)
    received = b""
    while True:
        try:
            piece = client.recv(65536)
        except BlockingIOError:
            return received
        if not piece:
            return received
        received += piece


@pytest.mark.req("sse-format")
def test_each_send_is_one_http_chunk_on_the_wire():
    async def scenario(client, closed, make_stream):
        # Arrange
        stream = make_stream()

        # Act
        sent = stream.send(Piece(b"data: 1\n\n"))

        # Assert
        assert sent is True
        assert read_all(client) == b"9\r\ndata: 1\n\n\r\n"

    run(scenario)


@pytest.mark.req("stalled-reader")
def test_what_the_socket_does_not_take_is_queued_and_sent_in_order_once_it_drains():
    async def scenario(client, closed, make_stream):
        # Arrange
        stream = make_stream()
        events = [b"data: %d %s\n\n" % (n, b"x" * 1000) for n in range(200)]

        # Act: far more than the socket buffers hold, with the client not reading
        accepted = [stream.send(Piece(event)) for event in events]
        received = b""
        expected = b"".join(http_chunk(event) for event in events)
        while len(received) < len(expected):
            await asyncio.sleep(0.01)
            received += read_all(client)

        # Assert
        assert all(accepted)
        assert received == expected
        assert closed == []

    run(scenario)


@pytest.mark.req("stalled-reader")
def test_a_reader_past_its_backlog_is_cut_off_and_reported_closed():
    async def scenario(client, closed, make_stream):
        # Arrange
        stream = make_stream(max_backlog=10_000)
        event = b"data: " + b"x" * 1000 + b"\n\n"

        # Act: the client never reads
        results = [stream.send(Piece(event)) for _ in range(100)]
        await asyncio.sleep(0)

        # Assert
        assert results[0] is True
        assert results[-1] is False
        assert stream.closed
        assert closed == [stream]

    run(scenario)


@pytest.mark.req("shutdown")
def test_end_sends_the_last_chunk_then_closes():
    async def scenario(client, closed, make_stream):
        # Arrange
        stream = make_stream()
        stream.send(Piece(b"data: 1\n\n"))

        # Act
        stream.end()
        await asyncio.sleep(0)

        # Assert
        assert read_all(client).endswith(b"\r\n" + LAST_CHUNK)
        assert stream.closed
        assert closed == [stream]
        assert stream.send(Piece(b"data: 2\n\n")) is False

    run(scenario)


@pytest.mark.req("stalled-reader")
def test_a_client_that_goes_away_is_noticed_without_any_send():
    async def scenario(client, closed, make_stream):
        # Arrange
        stream = make_stream()

        # Act
        client.shutdown(socket.SHUT_WR)
        for _ in range(100):
            if closed:
                break
            await asyncio.sleep(0.01)

        # Assert
        assert closed == [stream]

    run(scenario)


@pytest.mark.req("sse-format")
def test_an_http_1_0_stream_is_not_chunked():
    async def scenario(client, closed, make_stream):
        # Arrange
        stream = make_stream(chunked=False)

        # Act
        stream.send(Piece(b"data: 1\n\n"))
        stream.end()
        await asyncio.sleep(0)

        # Assert
        assert read_all(client) == b"data: 1\n\n"
        assert closed == [stream]

    run(scenario)


def unchunk(body: bytes) -> bytes:
    """The payload of an HTTP/1.1 chunked body that ends with the last chunk."""
    payload = b""
    while True:
        size_line, body = body.split(b"\r\n", 1)
        size = int(size_line, 16)
        if size == 0:
            return payload
        payload, body = payload + body[:size], body[size + 2:]


@pytest.mark.req("sse-format")
@pytest.mark.req("compact-snapshot")
def test_a_gzip_stream_is_one_gzip_body_that_unzips_to_every_event_sent():
    async def scenario(client, closed, make_stream):
        # Arrange
        stream = make_stream(gzip=True)
        snapshot = b"event: snapshot\ndata: " + b"fbhf" * 20_000 + b"\n\n"
        events = [b"event: seats\ndata: {\"n\":%d}\n\n" % n for n in range(5)]

        # Act
        stream.open([Piece(b"retry: 2000\n\n"), Piece(snapshot)])
        for event in events:
            stream.send(Piece(event))
        stream.end()
        received = b""
        while not stream.closed or not received.endswith(LAST_CHUNK):
            await asyncio.sleep(0.01)
            received += read_all(client)

        # Assert
        body = unchunk(received)
        assert gzip.decompress(body) == b"retry: 2000\n\n" + snapshot + b"".join(events)
        assert len(body) < len(snapshot) / 10

    run(scenario)


@pytest.mark.req("stalled-reader")
def test_a_large_piece_is_sent_without_a_copy_and_queued_in_order_when_the_socket_is_full():
    async def scenario(client, closed, make_stream):
        # Arrange
        stream = make_stream()
        large = b"data: " + b"y" * 200_000 + b"\n\n"
        after = b"data: after\n\n"

        # Act
        accepted = stream.send(Piece(large)), stream.send(Piece(after))
        received = b""
        expected = b"%x\r\n%b\r\n" % (len(large), large) + http_chunk(after)
        while len(received) < len(expected):
            await asyncio.sleep(0.01)
            received += read_all(client)

        # Assert
        assert accepted == (True, True)
        assert received == expected

    run(scenario)


@pytest.mark.req("stalled-reader")
def test_the_opening_counts_against_the_backlog_so_a_stalled_reader_gets_nothing_more_past_it():
    async def scenario(client, closed, make_stream):
        # Arrange: a reader that never reads, opened with far more than its limit
        stream = make_stream(max_backlog=2_000)
        opening = [Piece(b"data: " + b"s" * 60_000 + b"\n\n")]

        # Act
        opened = stream.open(opening)
        small = stream.send(Piece(b"data: x\n\n"))
        results = [stream.send(Piece(b"data: " + b"e" * 500 + b"\n\n")) for _ in range(200)]
        await asyncio.sleep(0)

        # Assert: the opening went through whole; what follows is cut off at once
        assert (opened, small) == (True, True)
        assert results[-1] is False
        assert stream.closed and closed == [stream]
        assert stream.backlog <= 60_000 + 2_000 + 2_000

    run(scenario)


@pytest.mark.req("stalled-reader")
def test_a_client_that_sends_bytes_on_its_event_stream_is_closed():
    async def scenario(client, closed, make_stream):
        # Arrange
        stream = make_stream()

        # Act: bytes blasted at the stream, as an attacker keeping a core busy would
        client.sendall(b"x" * 100)
        for _ in range(100):
            await asyncio.sleep(0.01)
            if closed:
                break

        # Assert
        assert stream.closed and closed == [stream]

    run(scenario)


@pytest.mark.req("stalled-reader")
def test_a_stream_following_the_log_holds_one_piece_at_most_and_is_cut_off_once_too_far_behind():
    async def scenario(client, closed, make_stream):
        # Arrange: a reader that never reads, following a log
        log = EventLog(10_000)
        stream = make_stream(max_backlog=50_000)
        stream.open([], log, 0)

        # Act: events arrive; the stream is told to advance after each
        advanced = []
        for version in range(1, 2_001):
            log.append(version, Piece(b"data: " + b"e" * 94 + b"\n\n"))
            advanced.append(stream.advance())
        await asyncio.sleep(0)

        # Assert: while it kept up with the socket it queued at most one piece;
        # past 50 KB behind it was cut off
        assert advanced[0] is True and advanced[-1] is False
        assert stream.closed and closed == [stream]
        first_false = advanced.index(False)
        assert 400 < first_false < 700  # 50,000 bytes of 102-byte events, plus what the socket took

    run(scenario)
