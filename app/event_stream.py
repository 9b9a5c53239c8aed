"""One open `/events` stream after its response headers: the client's socket and
the bytes it has not taken yet, nothing else.

Tens of thousands of streams stay open for hours, so a stream is taken out of
Tornado once its headers are sent (as WebSockets are): an IOStream, HTTP
connection, request, handler and their coroutines cost about 14 KB per client,
this object and its socket well under 1 KB.
"""

from __future__ import annotations

import asyncio
import socket
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable
from functools import lru_cache

from app import stream_gzip

LAST_CHUNK = b"0\r\n\r\n"
SMALL = 16 * 1024


@lru_cache(maxsize=256)
def http_chunk(data: bytes) -> bytes:
    """`data` framed as one HTTP/1.1 chunk. The hub hands the same bytes object to
    every stream, so this is computed once per event (bytes cache their hash) and
    every queue then holds a reference to one shared object, not a copy. Only
    small pieces come here: a snapshot is framed around the shared bytes instead
    (`chunk_parts`), so no cache keeps megabytes of old snapshots alive."""
    return b"%x\r\n%b\r\n" % (len(data), data)


def chunk_parts(data: bytes) -> tuple[bytes, ...]:
    """One HTTP/1.1 chunk, as the parts to hand the socket together."""
    if len(data) <= SMALL:
        return (http_chunk(data),)
    return b"%x\r\n" % len(data), data, b"\r\n"


class EventStream:
    """Writes never wait: what the socket does not take is queued, and a client
    whose queue passes `max_backlog` bytes is cut off. Reading only watches for
    the client going away."""

    __slots__ = ("_backlog", "_chunked", "_closed", "_crc", "_ending", "_fd", "_gzip", "_limit", "_loop", "_on_close",
                 "_pending", "_size", "_sock", "opened", "path", "remote")

    def __init__(self, sock: socket.socket, chunked: bool, max_backlog: int,
                 on_close: Callable[[EventStream], None], remote: str, path: str = "/events",
                 gzip: bool = False) -> None:
        self._sock = sock
        self._fd = sock.fileno()
        self._loop = asyncio.get_running_loop()
        self._chunked = chunked
        self._limit = max_backlog
        self._on_close = on_close
        self._pending: deque[memoryview] | None = None
        self._backlog = 0
        self._closed = False
        self._ending = False
        self.opened = time.monotonic()
        self.remote = remote
        self.path = path
        self._gzip = gzip  # the body is one gzip stream (see app/stream_gzip.py)
        self._crc = 0
        self._size = 0
        sock.setblocking(False)
        self._loop.add_reader(self._fd, self._on_readable)

    @property
    def closed(self) -> bool:
        return self._closed

    def open(self, opening: Iterable[bytes]) -> bool:
        """Sends the opening pieces (a snapshot can be large: it does not count
        against the backlog limit)."""
        pieces = list(opening)
        self._limit += sum(len(piece) for piece in pieces)
        if self._gzip and not self._write(self._framed(stream_gzip.HEADER)):
            return False
        return all(self.send(piece) for piece in pieces)

    def send(self, data: bytes) -> bool:
        """Queue bytes for the client. False once it is gone or cut off."""
        if self._closed or self._ending:
            return False
        if self._gzip:
            self._crc = zlib.crc32(data, self._crc)
            self._size += len(data)
            data = stream_gzip.deflated(data)
        return self._write(self._framed(data))

    def end(self) -> None:
        """Ends the stream cleanly: the gzip trailer if any, the last chunk, then
        close once it is out."""
        if self._closed or self._ending:
            return
        self._ending = True
        ending = self._framed(stream_gzip.trailer(self._crc, self._size)) if self._gzip else ()
        if self._chunked:
            ending += (LAST_CHUNK,)
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

    def _framed(self, data: bytes) -> tuple[bytes, ...]:
        return chunk_parts(data) if self._chunked else (data,)

    def _write(self, parts: tuple[bytes, ...], limited: bool = True) -> bool:
        """Hands the parts to the socket in one call (no copy of a large piece);
        what it does not take is queued."""
        if self._pending:
            return self._queue([memoryview(part) for part in parts], limited)
        try:
            sent = self._sock.send(parts[0]) if len(parts) == 1 else self._sock.sendmsg(parts)
        except BlockingIOError:
            sent = 0
        except OSError:
            self.close()
            return False
        rest = []
        for part in parts:
            if sent >= len(part):
                sent -= len(part)
                continue
            rest.append(memoryview(part)[sent:])
            sent = 0
        if not rest:
            return True
        self._pending = deque()
        self._loop.add_writer(self._fd, self._on_writable)
        return self._queue(rest, limited)

    def _queue(self, pieces: list[memoryview], limited: bool) -> bool:
        self._backlog += sum(len(piece) for piece in pieces)
        if limited and self._backlog > self._limit:
            self.close()
            return False
        self._pending.extend(pieces)
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
                pending[0] = piece[sent:]
                return
            pending.popleft()
        self._loop.remove_writer(self._fd)
        self._pending = None
        if self._ending:
            self.close()

    def _on_readable(self) -> None:
        try:
            data = self._sock.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.close()
        # Anything else a client sends on an event stream is ignored.
