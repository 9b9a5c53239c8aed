"""A test-side Server-Sent Events client on a raw asyncio connection.

Tornado's HTTP client cannot abort a streaming fetch (closing it leaves the
socket open), and tests need to hang up for real, see how a stream ended, and
send any header byte for byte; so this speaks HTTP/1.1 itself.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class ServerSentEvent:
    event: str
    id: str | None
    data: str

    def json(self) -> dict:
        return json.loads(self.data)


@dataclass
class EventStreamParser:
    """Feeds bytes, returns complete events; keeps comments and the retry value."""

    buffer: str = ""
    comments: list[str] = field(default_factory=list)
    retry: int | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        self.buffer += chunk.decode("utf-8")
        events = []
        while "\n\n" in self.buffer:
            block, self.buffer = self.buffer.split("\n\n", 1)
            event, event_id, data = "message", None, []
            for line in block.split("\n"):
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if name == "":
                    self.comments.append(value)
                elif name == "event":
                    event = value
                elif name == "id":
                    event_id = value
                elif name == "data":
                    data.append(value)
                elif name == "retry":
                    self.retry = int(value)
            if data:
                events.append(ServerSentEvent(event, event_id, "\n".join(data)))
        return events


class EventStreamClient:
    """Opens `GET /events` and queues each event as it arrives.

    `ended_cleanly` becomes True when the server sends the final empty chunk, and
    `ended` resolves when the stream stops for any reason. A gzip body (sent when
    the request says `Accept-Encoding: gzip`) is unzipped as it arrives;
    `wire_bytes` counts the body as sent, and `gzip_complete` says the gzip
    trailer arrived and checked out.
    """

    def __init__(self) -> None:
        self.parser = EventStreamParser()
        self.events: asyncio.Queue[ServerSentEvent] = asyncio.Queue()
        self.status = 0
        self.headers: dict[str, str] = {}
        self.ended_cleanly = False
        self.ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.wire_bytes = 0
        self._inflate: zlib._Decompress | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reading: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, url: str, headers: dict[str, str] | None = None, timeout: float = 10.0) -> EventStreamClient:
        client = cls()
        await asyncio.wait_for(client._connect(url, headers or {}), timeout)
        return client

    async def _connect(self, url: str, headers: dict[str, str]) -> None:
        parts = urlsplit(url)
        reader, self._writer = await asyncio.open_connection(parts.hostname, parts.port)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc}", "Accept: text/event-stream"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))
        status_line = (await reader.readline()).decode("latin-1")
        self.status = int(status_line.split()[1])
        while (line := (await reader.readline()).decode("latin-1").strip()):
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        if self.headers.get("content-encoding") == "gzip":
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._reading = asyncio.ensure_future(self._read_chunks(reader))

    async def _read_chunks(self, reader: asyncio.StreamReader) -> None:
        try:
            if self.headers.get("transfer-encoding") != "chunked":
                length = int(self.headers.get("content-length", "0"))
                self._feed(await reader.readexactly(length))
                return
            while True:
                size = int((await reader.readline()).strip() or b"0", 16)
                if size == 0:
                    self.ended_cleanly = True
                    return
                self._feed(await reader.readexactly(size))
                await reader.readexactly(2)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            return
        finally:
            if not self.ended.done():
                self.ended.set_result(None)

    def _feed(self, data: bytes) -> None:
        self.wire_bytes += len(data)
        if self._inflate is not None:
            data = self._inflate.decompress(data)
        for event in self.parser.feed(data):
            self.events.put_nowait(event)

    @property
    def gzip_complete(self) -> bool:
        return self._inflate is not None and self._inflate.eof

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    async def next_event(self, timeout: float = 5.0) -> ServerSentEvent:
        return await asyncio.wait_for(self.events.get(), timeout)

    async def next_seats_event(self, timeout: float = 5.0) -> ServerSentEvent:
        event = await self.next_event(timeout)
        while event.event != "seats":
            event = await self.next_event(timeout)
        return event

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._reading is not None:
            self._reading.cancel()
