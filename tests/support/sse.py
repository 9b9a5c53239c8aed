"""A test-side Server-Sent Events reader over Tornado's streaming HTTP client."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

from tornado.httpclient import AsyncHTTPClient, HTTPRequest, HTTPResponse


@dataclass
class ServerSentEvent:
    event: str
    id: str | None
    data: str

    def json(self) -> dict:
        return json.loads(self.data)


@dataclass
class EventStreamParser:
    """Feeds bytes, yields complete events (comments and retry lines are counted)."""

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
    """Opens `/events` and queues each event as it arrives."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.parser = EventStreamParser()
        self.events: asyncio.Queue[ServerSentEvent] = asyncio.Queue()
        self.headers_seen: asyncio.Future = asyncio.get_running_loop().create_future()
        self.client = AsyncHTTPClient(force_instance=True)
        self.response: asyncio.Future[HTTPResponse] = asyncio.ensure_future(self.client.fetch(
            HTTPRequest(url, headers=headers, request_timeout=0, streaming_callback=self._on_chunk,
                        header_callback=self._on_header),
            raise_error=False,
        ))
        self.raw_headers: list[str] = []

    def _on_header(self, line: str) -> None:
        self.raw_headers.append(line)
        if line in ("\r\n", "\n") and not self.headers_seen.done():
            self.headers_seen.set_result(None)

    def _on_chunk(self, chunk: bytes) -> None:
        for event in self.parser.feed(chunk):
            self.events.put_nowait(event)

    async def next_event(self, timeout: float = 5.0) -> ServerSentEvent:
        return await asyncio.wait_for(self.events.get(), timeout)

    async def next_seats_event(self, timeout: float = 5.0) -> ServerSentEvent:
        event = await self.next_event(timeout)
        while event.event != "seats":
            event = await self.next_event(timeout)
        return event

    def header(self, name: str) -> str | None:
        for line in self.raw_headers:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None

    def close(self) -> None:
        self.client.close()
        self.response.cancel()
