"""Graceful shutdown under load, against a real `python server.py` process: SIGTERM
while 1,000 event streams are open and bookings keep arriving. The server exits 0,
ends every stream with HTTP's terminating chunk, and a restart on the same
database holds every booking that was answered 200."""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.servers import ROOT, free_port

STREAMS = 1_000
BOOKERS = 8
SHUTDOWN_TIMEOUT = 5.0
SEATS = 5_000


@dataclass
class StreamResult:
    snapshot: bool = False
    ending: str = "open"  # "clean" (0\r\n\r\n), "eof" (cut short), "reset", "error"
    events: int = 0


@dataclass
class Bookings:
    acknowledged: list[dict] = field(default_factory=list)
    refused: int = 0
    failed: int = 0


class Server:
    """`python server.py` with its output in a file (a pipe could fill and block it)."""

    def __init__(self, db: Path, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.args = [sys.executable, str(ROOT / "server.py"), "--host", "127.0.0.1", "--port", str(self.port),
                     "--db", str(db), "--seats", str(SEATS), "--row-size", "50",
                     "--shutdown-timeout", str(SHUTDOWN_TIMEOUT), "--max-streams", str(STREAMS + 100)]
        self.process: subprocess.Popen | None = None

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.args, cwd=ROOT, stdout=out, stderr=out)
        for _ in range(300):  # bounded: up to ~15 s for the interpreter to come up
            assert self.process.poll() is None, self.output()
            with contextlib.suppress(OSError):
                status, _ = await http(self.port, "GET", "/healthz")
                if status == 200:
                    return
            await asyncio.sleep(0.05)
        raise AssertionError("server did not become healthy\n" + self.output())

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


async def http(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    """One request on its own connection (`Connection: close`): status and body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        writer.write(head.encode() + b"\r\n" + (body or b""))
        response = await asyncio.wait_for(reader.read(), 15)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    head, _, payload = response.partition(b"\r\n\r\n")
    if not head:
        raise ConnectionError("no response")
    return int(head.split(b" ", 2)[1]), payload


async def open_stream(port: int, result: StreamResult, subscribed: asyncio.Event | None = None) -> None:
    """Reads one /events stream chunk by chunk until it ends, and says how it ended."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200") and b"chunked" in head.lower(), head
        while True:
            size = int((await reader.readline()).strip(), 16)
            if size == 0:
                await reader.readexactly(2)
                result.ending = "clean"
                return
            data = await reader.readexactly(size + 2)
            if b"event: snapshot" in data:
                result.snapshot = True
            elif b"event: seats" in data:
                result.events += 1
    except ConnectionResetError:
        result.ending = "reset"
    except asyncio.IncompleteReadError:
        result.ending = "eof"
    except (OSError, ValueError, AssertionError) as error:
        result.ending = f"error: {error!r}"
    finally:
        writer.close()


async def book_until_refused(port: int, bookings: Bookings, stopping: asyncio.Event, first: asyncio.Event) -> None:
    for _ in range(SEATS):  # bounded by the venue
        try:
            status, body = await http(port, "POST", "/book", b"{}")
        except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError):
            bookings.failed += 1
            if stopping.is_set():
                return
            continue
        if status == 200:
            bookings.acknowledged.append(json.loads(body))
            if len(bookings.acknowledged) >= 100:
                first.set()
        else:
            bookings.refused += 1
            if stopping.is_set():
                return


def raise_open_file_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= 2 * STREAMS + 200, "not enough file descriptors"


async def wait_for_process(process: subprocess.Popen, timeout: float) -> int | None:
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(None, process.wait, timeout)
    except subprocess.TimeoutExpired:
        return None


@pytest.mark.req("shutdown")
@pytest.mark.req("durability")
def test_sigterm_under_load_ends_every_stream_cleanly_keeps_every_acknowledged_booking_and_exits_0(tmp_path):
    raise_open_file_limit(20_000)
    db = tmp_path / "seats.db"
    log = tmp_path / "server.log"

    async def scenario() -> tuple[int | None, list[StreamResult], Bookings, dict]:
        server = Server(db, log)
        try:
            await server.start()
            results = [StreamResult() for _ in range(STREAMS)]
            readers = [asyncio.ensure_future(open_stream(server.port, r)) for r in results]
            for _ in range(400):  # bounded: until all 1,000 are subscribed
                _, health = await http(server.port, "GET", "/healthz")
                if json.loads(health)["subscribers"] == STREAMS:
                    break
                await asyncio.sleep(0.05)
            assert json.loads(health)["subscribers"] == STREAMS, server.output()

            bookings, stopping, first = Bookings(), asyncio.Event(), asyncio.Event()
            bookers = [asyncio.ensure_future(book_until_refused(server.port, bookings, stopping, first))
                       for _ in range(BOOKERS)]
            await asyncio.wait_for(first.wait(), 20)

            stopping.set()
            server.process.send_signal(signal.SIGTERM)
            status = await wait_for_process(server.process, SHUTDOWN_TIMEOUT + 10)
            await asyncio.wait_for(asyncio.gather(*readers, *bookers), 15)

            restarted = Server(db, log)
            try:
                await restarted.start()
                _, snapshot = await http(restarted.port, "GET", "/seats")
            finally:
                restarted.process.send_signal(signal.SIGTERM)
                await wait_for_process(restarted.process, 15)
                restarted.stop()
            return status, results, bookings, json.loads(snapshot)
        finally:
            server.stop()

    status, results, bookings, snapshot = asyncio.run(scenario())
    output = log.read_text(errors="replace")[-3000:]

    assert status == 0, f"exit status {status}\n{output}"
    assert all(r.snapshot for r in results), "every stream got its snapshot before the signal"
    endings = {}
    for r in results:
        endings[r.ending] = endings.get(r.ending, 0) + 1
    assert endings == {"clean": STREAMS}, f"streams did not all end with the terminating chunk: {endings}\n{output}"
    booked = {seat["id"] for seat in snapshot["seats"] if seat["state"] == "booked"}
    acknowledged = {seat for booking in bookings.acknowledged for seat in booking["seats"]}
    assert len(acknowledged) == len(bookings.acknowledged) >= 100
    assert acknowledged <= booked, f"lost acknowledged bookings: {sorted(acknowledged - booked)[:10]}"
    assert snapshot["version"] >= max(b["version"] for b in bookings.acknowledged)
