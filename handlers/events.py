"""`GET /events`: one long-lived Server-Sent Events stream per client."""

from __future__ import annotations

import asyncio
import contextlib
import socket

from tornado.iostream import StreamBufferFullError, StreamClosedError

from app.event_hub import EventHub
from handlers.base import ApiError, BaseHandler

# Kernel buffering per stream: small, so a client that stops reading shows up in
# our own backlog count quickly instead of hiding megabytes in the socket.
SOCKET_SEND_BUFFER = 16 * 1024
OPENING_HEADROOM = 4096  # response headers and chunk framing around the opening


class EventStreamHandler(BaseHandler):
    def initialize(self, hub: EventHub, max_streams: int, max_backlog: int) -> None:
        self.hub = hub
        self.max_streams = max_streams
        self.max_backlog = max_backlog
        self._ended: asyncio.Future[None] | None = None
        self._close_when_finished = False

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
        last_event_id = self.request.headers.get("Last-Event-ID") or self.get_query_argument("lastEventId", None)
        opening = self.hub.opening(last_event_id)
        if not self.send(opening):
            return
        # The opening (headers, snapshot) may be large; the backlog limit is about
        # what piles up after it. Tornado refuses a write past this size, which is
        # how `send` notices a reader that has stopped reading.
        stream.max_write_buffer_size = self.max_backlog + len(opening) + OPENING_HEADROOM
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
        its unsent backlog would pass max_backlog (then it is disconnected)."""
        stream = self.request.connection.stream
        if self._ended is None or self._ended.done() or stream.closed():
            return False
        try:
            self.write(data)
            self.flush()
        except (StreamClosedError, StreamBufferFullError):
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
