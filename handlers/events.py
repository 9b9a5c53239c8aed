"""`GET /events`: one long-lived Server-Sent Events stream per client."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from functools import lru_cache

from tornado.iostream import StreamBufferFullError, StreamClosedError

from app.event_hub import EventHub
from handlers.base import ApiError, BaseHandler

# Kernel buffering per stream: small, so a client that stops reading shows up in
# our own backlog count quickly instead of hiding megabytes in the socket.
SOCKET_SEND_BUFFER = 16 * 1024


@lru_cache(maxsize=256)
def http_chunk(data: bytes) -> bytes:
    """`data` framed as one HTTP/1.1 chunk. The hub hands the same bytes object to
    every stream, so this is computed once per event (bytes cache their hash) and
    every socket buffer then holds a reference to one shared object, not a copy."""
    return b"%x\r\n%b\r\n" % (len(data), data)


class EventStreamHandler(BaseHandler):
    def initialize(self, hub: EventHub, max_streams: int, max_backlog: int) -> None:
        self.hub = hub
        self.max_streams = max_streams
        self.max_backlog = max_backlog
        self._ended: asyncio.Future[None] | None = None
        self._close_when_finished = False
        self._chunked = True

    async def get(self) -> None:
        if self.settings.get("shutting_down"):
            raise ApiError(503, "server is shutting down", headers={"Retry-After": "5"})
        if self.hub.subscriber_count >= self.max_streams:
            raise ApiError(503, "too many open event streams; retry later", "too_many_streams",
                           headers={"Retry-After": "5"})
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Cache-Control", "no-cache")
        self.set_header("Connection", "keep-alive")
        self.set_header("X-Accel-Buffering", "no")
        self._keep_alive_header_despite_close_request()
        self._ended = asyncio.get_running_loop().create_future()
        stream = self.request.connection.stream
        with contextlib.suppress(OSError):
            stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_SEND_BUFFER)
        # Tornado frames the body in chunks exactly when the request is HTTP/1.1
        # (there is no Content-Length); `send` frames it the same way itself.
        self._chunked = self.request.version == "HTTP/1.1"
        try:
            self.flush()  # the headers; the body is written straight to the stream
        except (StreamClosedError, StreamBufferFullError):
            return
        last_event_id = self.request.headers.get("Last-Event-ID") or self.get_query_argument("lastEventId", None)
        opening = self.hub.opening(last_event_id)
        if not all(self.send(piece) for piece in opening):
            return
        # The opening (a snapshot) may be large; the backlog limit is about what
        # piles up after it. Tornado refuses a write past this size, which is how
        # `send` notices a reader that has stopped reading.
        stream.max_write_buffer_size = self.max_backlog + sum(len(piece) for piece in opening)
        self.hub.add(self)
        await self._ended

    def _keep_alive_header_despite_close_request(self) -> None:
        """REQ-3 asks for `Connection: keep-alive` on every stream, but Tornado answers
        `Connection: close` to a client that sent it (as Tornado's own HTTP client
        does). A stream is never reused either way, so we keep the header and close
        the socket ourselves when the stream ends (`on_finish`)."""
        connection = self.request.connection
        if getattr(connection, "_disconnect_on_finish", False):
            connection._disconnect_on_finish = False
            self._close_when_finished = True

    def on_finish(self) -> None:
        if self._close_when_finished:
            self.request.connection.stream.close()

    def send(self, data: bytes) -> bool:
        """Queue bytes on the socket; never waits. False once the client is gone or
        its unsent backlog would pass max_backlog (then it is disconnected).

        Writes bypass RequestHandler.write/flush, which would copy each event
        (joining and chunk-framing it) for every subscriber. When nothing is queued
        the bytes go straight to the socket, one send() call and no Future; only
        what the socket does not take is queued on the IOStream."""
        stream = self.request.connection.stream
        if self._ended is None or self._ended.done() or stream.closed():
            return False
        chunk = http_chunk(data) if self._chunked else data
        try:
            if not stream.writing():
                try:
                    sent = stream.write_to_fd(memoryview(chunk))
                except BlockingIOError:
                    sent = 0
                if sent == len(chunk):
                    return True
                chunk = chunk[sent:]
            stream.write(chunk)
        except (OSError, StreamClosedError, StreamBufferFullError):
            stream.close()
            self._end()
            return False
        return True

    def end(self) -> None:
        self._end()

    def on_connection_close(self) -> None:
        self.hub.unsubscribe(self)
        self._end()

    def _end(self) -> None:
        if self._ended is not None and not self._ended.done():
            self._ended.set_result(None)
