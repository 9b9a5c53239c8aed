"""`GET /events` and `GET /shows/{show}/events`: one long-lived Server-Sent Events
stream per client, for one show."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable
from functools import partial

from tornado.ioloop import IOLoop
from tornado.iostream import StreamClosedError

from app.box_office import BoxOffice
from app.event_hub import EventHub
from app.event_stream import EventStream
from app.http_server import ADMITTED, DETACHED
from app.metrics import Counter
from app.stream_gzip import accepts_gzip
from booking.show import DEFAULT_SHOW
from handlers.base import ApiError, BaseHandler

# Kernel buffering per stream: small, so a client that stops reading shows up in
# our own backlog count quickly instead of hiding megabytes in the socket.
SOCKET_SEND_BUFFER = 16 * 1024


class EventStreamHandler(BaseHandler):
    def initialize(self, box_office: BoxOffice, compact: bool, max_streams: int, max_backlog: int,
                   on_stream_closed: Callable[[EventHub, bool, EventStream], None],
                   events_sent: Counter | None = None) -> None:
        self.box_office = box_office
        self.events_sent = events_sent
        self.compact = compact
        self.max_streams = max_streams
        self.max_backlog = max_backlog
        self.on_stream_closed = on_stream_closed

    async def get(self, show_id: str = DEFAULT_SHOW) -> None:
        hub = self.box_office.sales(show_id).hub
        if self.box_office.closing:
            raise ApiError(503, "server is shutting down", headers={"Retry-After": "5"})
        if self.box_office.streams_open() >= self.max_streams:
            raise ApiError(503, "too many open event streams; retry later", "too_many_streams",
                           headers={"Retry-After": "5"})
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Cache-Control", "no-cache")
        self.set_header("Connection", "keep-alive")
        self.set_header("X-Accel-Buffering", "no")
        # Browsers' EventSource asks for gzip: a large snapshot then costs a
        # quarter of its bytes, and each event is compressed once for everyone.
        gzip = accepts_gzip(self.request.headers.get("Accept-Encoding"))
        if gzip:
            self.set_header("Content-Encoding", "gzip")
        self.set_header("Vary", "Accept-Encoding")
        self._keep_alive_header_despite_close_request()
        # Tornado frames the body in chunks exactly when the request is HTTP/1.1
        # (there is no Content-Length); EventStream frames it the same way.
        chunked = self.request.version == "HTTP/1.1"
        last_event_id = self.request.headers.get("Last-Event-ID") or self.get_query_argument("lastEventId", None)
        try:
            await self.flush()  # the headers, by Tornado; the body is ours
        except StreamClosedError:
            return
        # `partial`, not a lambda over `self`: the stream must not keep this handler
        # (and its request and connection) alive for as long as it stays open.
        sock, counted = self._take_socket()
        stream = EventStream(sock, chunked, self.max_backlog, partial(self.on_stream_closed, hub, counted),
                             self.request.remote_ip, self.request.path, gzip, self.events_sent)
        # No await between the opening and `add`: no event can fall in the gap.
        opening = hub.opening(last_event_id, self.compact, self.max_backlog)
        if stream.open(opening.pieces, hub.log, opening.cursor):
            hub.add(stream)

    def _keep_alive_header_despite_close_request(self) -> None:
        """REQ-3 asks for `Connection: keep-alive` on every stream, but Tornado answers
        `Connection: close` to a client that sent it (as Tornado's own HTTP client
        does). The connection leaves Tornado after the headers either way, and is
        closed when the stream ends."""
        connection = self.request.connection
        if getattr(connection, "_disconnect_on_finish", False):
            connection._disconnect_on_finish = False

    def _take_socket(self) -> tuple[socket.socket, bool]:
        """The connection's socket, out of Tornado's hands (as IOStream.start_tls
        takes it): Tornado forgets the request, its handler and its IOStream. Also
        whether the connection counts against the connection limits (the event
        stream then gives it back when it closes)."""
        iostream = self.detach()
        counted = getattr(iostream, ADMITTED, None) is not None
        setattr(iostream, DETACHED, True)
        sock = iostream.socket
        IOLoop.current().remove_handler(sock)
        iostream.socket = None
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_SEND_BUFFER)
        return sock, counted
