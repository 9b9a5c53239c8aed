"""Tornado's HTTP server with the limits a public server needs: connections
capped in total and per client address, and an accept loop that backs off when
the process runs out of file descriptors instead of spinning on EMFILE.

Event streams leave Tornado once their headers are sent (handlers/events.py);
their connections stay counted until the `EventStream` closes and calls
`ConnectionLimits.release`.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
import time
from collections.abc import Callable

from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.iostream import IOStream
from tornado.netutil import bind_sockets

log = logging.getLogger("seats.connections")

# accept() failing for these means "no room for another descriptor now".
OUT_OF_DESCRIPTORS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
BACKOFF_FIRST, BACKOFF_LONGEST = 0.05, 1.0
REFUSED_LINGER_SECONDS = 1.0
LOG_EVERY_SECONDS = 10.0
# Marks on an IOStream: the client address it was admitted for, and that an
# EventStream took its socket (then the EventStream releases it when it closes).
ADMITTED = "_seats_admitted_for"
DETACHED = "_seats_detached_to_event_stream"


class ConnectionLimits:
    """Open connections, in total and per client address."""

    def __init__(self, max_total: int, max_per_address: int) -> None:
        self.max_total = max_total
        self.max_per_address = max_per_address
        self.open = 0
        self._per_address: dict[str, int] = {}

    def admit(self, address: str) -> bool:
        count = self._per_address.get(address, 0)
        if self.open >= self.max_total or count >= self.max_per_address:
            return False
        self.open += 1
        self._per_address[address] = count + 1
        return True

    def release(self, address: str) -> None:
        self.open -= 1
        count = self._per_address[address] - 1
        if count:
            self._per_address[address] = count
        else:
            del self._per_address[address]


class LimitedHTTPServer(HTTPServer):
    """`refusal` is the whole HTTP response written to a connection past a limit
    (a 503 in the contract's JSON shape) before it is closed. (Tornado servers
    take their arguments in `initialize`.)"""

    def initialize(self, *args, limits: ConnectionLimits, refusal: bytes,
                   clock: Callable[[], float] = time.monotonic, **kwargs) -> None:
        super().initialize(*args, **kwargs)
        self.limits = limits
        self._refusal = refusal
        self._clock = clock
        self._address_of: dict[IOStream, str] = {}
        self._listening: list[socket.socket] = []
        self._backoff = BACKOFF_FIRST
        self._last_logged = -LOG_EVERY_SECONDS
        self.refused = 0
        self.accept_pauses = 0

    # -- accepting -------------------------------------------------------------------

    def listen_limited(self, port: int, address: str, backlog: int, reuse_port: bool = False) -> None:
        for sock in bind_sockets(port, address, backlog=backlog, reuse_port=reuse_port):
            self._listening.append(sock)
            self._watch(sock)

    def stop(self) -> None:
        io_loop = IOLoop.current()
        for sock in self._listening:
            io_loop.remove_handler(sock)
            sock.close()
        self._listening = []
        super().stop()

    def _watch(self, sock: socket.socket) -> None:
        IOLoop.current().add_handler(sock, lambda fd, events: self._accept(sock), IOLoop.READ)

    def _accept(self, sock: socket.socket) -> None:
        """Tornado's accept loop (netutil.add_accept_handler), except that running
        out of descriptors pauses accepting for a while (the kernel keeps the
        waiting connections in its backlog) and is logged once per interval."""
        for _ in range(128):
            try:
                connection, address = sock.accept()
            except BlockingIOError:
                return
            except ConnectionAbortedError:
                continue
            except OSError as error:
                if error.errno not in OUT_OF_DESCRIPTORS:
                    raise
                self._pause(sock, error)
                return
            self._backoff = BACKOFF_FIRST
            connection.setblocking(False)
            self.handle_stream(IOStream(connection), address)

    def _pause(self, sock: socket.socket, error: OSError) -> None:
        io_loop = IOLoop.current()
        io_loop.remove_handler(sock)
        self.accept_pauses += 1
        now = self._clock()
        if now - self._last_logged >= LOG_EVERY_SECONDS:
            self._last_logged = now
            log.warning("cannot accept connections (%s) with %d open; pausing accept for %.2f s "
                        "(logged once every %.0f s)", error.strerror, self.limits.open, self._backoff,
                        LOG_EVERY_SECONDS)
        io_loop.call_later(self._backoff, lambda: sock.fileno() >= 0 and self._watch(sock))
        self._backoff = min(self._backoff * 2, BACKOFF_LONGEST)

    # -- counting ---------------------------------------------------------------------

    def handle_stream(self, stream: IOStream, address: tuple) -> None:
        client = str(address[0]) if isinstance(address, tuple) and address else ""
        if not self.limits.admit(client):
            self._refuse(stream)
            return
        self._address_of[stream] = client
        setattr(stream, ADMITTED, client)
        super().handle_stream(stream, address)

    def _refuse(self, stream: IOStream) -> None:
        """The 503, then a half-close: what the client sent is read and thrown
        away for a moment, so closing does not reset the connection (a reset
        could destroy the answer before the client reads it)."""
        self.refused += 1

        def written(_: object) -> None:
            with contextlib.suppress(OSError, AttributeError):
                stream.socket.shutdown(socket.SHUT_WR)
            stream.read_until_close().add_done_callback(lambda done: done.exception())
            IOLoop.current().call_later(REFUSED_LINGER_SECONDS, stream.close)

        stream.write(self._refusal).add_done_callback(written)

    def on_close(self, server_conn) -> None:
        super().on_close(server_conn)
        stream = server_conn.stream
        client = self._address_of.pop(stream, None)
        # A stream's socket taken by an event stream stays counted until it closes.
        if client is not None and not getattr(stream, DETACHED, False):
            self.limits.release(client)
