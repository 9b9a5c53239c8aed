"""One open event stream after its response headers: the client's socket and
the bytes it has not taken yet, nothing else.

Tens of thousands of streams stay open for hours, so a stream is taken out of
Tornado once its headers are sent (as WebSockets are): an IOStream, HTTP
connection, request, handler and their coroutines cost about 14 KB per client,
this object and its socket well under 1 KB.

Every message is a `Piece`, made once for all streams, which keeps each
framing of itself (HTTP chunk, gzip, both) once it has been asked for. Events
are not queued per stream at all: a stream keeps a cursor into its show's
`EventLog` (the last version it sent) and pulls the next event when its socket
can take more, so one that stopped reading, or resumes thousands of versions
back, costs a cursor. It is cut off once it is `max_backlog` bytes behind, or
behind what the log keeps.
"""

from __future__ import annotations

import asyncio
import socket
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from app import stream_gzip

if TYPE_CHECKING:
    from app.event_log import EventLog
    from app.metrics import Counter

LAST_CHUNK = b"0\r\n\r\n"


class FellBehind(Exception):
    """The events after a stream's cursor are no longer kept in the log."""


def http_chunk(data: bytes) -> bytes:
    """`data` framed as one HTTP/1.1 chunk."""
    return b"%x\r\n%b\r\n" % (len(data), data)


class Piece:
    """One message for every stream (an event, a snapshot, a ping), with its
    framings made once, on first use: plain, chunked, gzipped, both."""

    __slots__ = ("_forms", "data")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._forms: list[bytes | None] = [data, None, None, None]

    def form(self, chunked: bool, gzip: bool) -> bytes:
        index = 2 * chunked + gzip
        framed = self._forms[index]
        if framed is None:
            body = stream_gzip.deflated(self.data) if gzip else self.data
            framed = self._forms[index] = http_chunk(body) if chunked else body
        return framed


class EventStream:
    """Writes never wait: what the socket does not take is queued (one piece at
    most, while following the log), and a client too far behind is cut off.
    Reading only watches for the client going away (or talking, which an
    event-stream client never does)."""

    __slots__ = ("_backlog", "_chunked", "_closed", "_crc", "_cursor", "_ending", "_fd", "_gzip", "_limit", "_log",
                 "_loop", "_on_close", "_pending", "_sent", "_size", "_sock", "cut_off", "opened", "path", "remote")

    def __init__(self, sock: socket.socket, chunked: bool, max_backlog: int,
                 on_close: Callable[[EventStream], None], remote: str, path: str = "/events",
                 gzip: bool = False, sent: Counter | None = None) -> None:
        self._sock = sock
        self._fd = sock.fileno()
        self._loop = asyncio.get_running_loop()
        self._chunked = chunked
        self._limit = max_backlog
        self._on_close = on_close
        self._pending: deque[bytes | memoryview] | None = None
        self._backlog = 0
        self._closed = False
        self._ending = False
        self.opened = time.monotonic()
        self.remote = remote
        self.path = path
        self._gzip = gzip  # the body is one gzip stream (see app/stream_gzip.py)
        self._crc = 0
        self._size = 0
        self._log: EventLog | None = None
        self._cursor = 0  # the last version sent (or queued) from the log
        self._sent = sent  # counts the log's events sent, every stream's together
        self.cut_off = False  # closed for falling behind, not by the reader
        sock.setblocking(False)
        self._loop.add_reader(self._fd, self._on_readable)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def backlog(self) -> int:
        """Bytes this stream still has to send: queued, and the events of the log
        it has not reached yet."""
        behind = self._log.bytes_after(self._cursor) if self._log is not None and not self._ending else 0
        return self._backlog + behind

    def open(self, opening: Iterable[Piece], log: EventLog | None = None, cursor: int = 0) -> bool:
        """Sends the opening pieces (`retry:`, a snapshot), then follows `log` from
        the version after `cursor`. The opening counts against the backlog like
        anything else; only a snapshot larger than the limit is let through whole
        (it is shared by every stream opened at its version, not copied)."""
        pieces = list(opening)
        size = sum(len(piece.form(self._chunked, self._gzip)) for piece in pieces)
        self._limit = max(self._limit, size + (len(stream_gzip.HEADER) + 16 if self._gzip else 0))
        if self._gzip and not self._write(http_chunk(stream_gzip.HEADER) if self._chunked else stream_gzip.HEADER):
            return False
        if not all(self.send(piece) for piece in pieces):
            return False
        self._log, self._cursor = log, cursor
        return self.advance()

    def advance(self) -> bool:
        """New events are in the log: send what the socket takes now; the rest is
        pulled as it drains. False once the stream is gone or cut off (too far
        behind)."""
        if self._closed or self._ending or self._log is None:
            return not self._closed
        try:
            if self.backlog > self._limit:
                self._cut_off()
                return False
            if not self._pending:
                self._pump()
        except FellBehind:
            self._cut_off()
            return False
        return not self._closed

    def send(self, piece: Piece) -> bool:
        """Queue a piece that is not in the log (`retry:`, a snapshot). False once
        the stream is gone or cut off."""
        if self._closed or self._ending:
            return False
        if self._gzip:
            self._crc = zlib.crc32(piece.data, self._crc)
            self._size += len(piece.data)
        return self._write(piece.form(self._chunked, self._gzip))

    def ping(self, piece: Piece) -> bool:
        """A heartbeat, sent only to a stream with nothing else to send (one that
        is sending has no need of it)."""
        if self._closed or self._ending:
            return not self._closed
        if self._pending or (self._log is not None and self._log.last_version > self._cursor):
            return True
        return self.send(piece)

    def _pump(self) -> None:
        """Sends events from the log while the socket takes them whole; the first
        it does not is queued, and the rest wait for the socket to drain."""
        log = self._log
        while not self._pending and not self._closed:
            piece = log.next_after(self._cursor)
            if piece is None:
                return
            self._cursor += 1
            if self.send(piece) and self._sent is not None:
                self._sent.value += 1

    def end(self) -> None:
        """Ends the stream cleanly: the gzip trailer if any, the last chunk, then
        close once it is out."""
        if self._closed or self._ending:
            return
        self._ending = True
        ending = b""
        if self._gzip:
            trailer = stream_gzip.trailer(self._crc, self._size)
            ending = http_chunk(trailer) if self._chunked else trailer
        if self._chunked:
            ending += LAST_CHUNK
        if ending and not self._write(ending, limited=False):
            return
        if not self._pending:
            self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._loop.remove_reader(self._fd)
        if self._pending:
            self._loop.remove_writer(self._fd)
            self._pending = None
        self._sock.close()
        # Later, not now: the hub may be iterating over its streams.
        self._loop.call_soon(self._on_close, self)

    def _cut_off(self) -> None:
        self.cut_off = True
        self.close()

    def _write(self, data: bytes, limited: bool = True) -> bool:
        if self._pending:
            return self._queue(data, limited)
        try:
            sent = self._sock.send(data)
        except BlockingIOError:
            sent = 0
        except OSError:
            self.close()
            return False
        if sent == len(data):
            return True
        self._pending = deque()
        self._loop.add_writer(self._fd, self._on_writable)
        return self._queue(memoryview(data)[sent:] if sent else data, limited)

    def _queue(self, data: bytes | memoryview, limited: bool) -> bool:
        self._backlog += len(data)
        if limited and self._backlog > self._limit:
            self._cut_off()
            return False
        self._pending.append(data)
        return True

    def _on_writable(self) -> None:
        pending = self._pending
        while pending:
            piece = pending[0]
            try:
                sent = self._sock.send(piece)
            except BlockingIOError:
                return
            except OSError:
                self.close()
                return
            self._backlog -= sent
            if sent < len(piece):
                pending[0] = memoryview(piece)[sent:]
                return
            pending.popleft()
        self._loop.remove_writer(self._fd)
        self._pending = None
        if self._ending:
            self.close()
            return
        if self._log is not None:
            try:
                self._pump()
            except FellBehind:
                self._cut_off()

    def _on_readable(self) -> None:
        """An event-stream client sends nothing after its request: end of file is
        it going away, and anything else (bytes blasted at the stream) is refused
        by closing, so no one can keep a core busy reading."""
        try:
            self._sock.recv(1)
        except BlockingIOError:
            return
        except OSError:
            pass
        self.close()
