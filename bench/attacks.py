"""Two attacks of issue 10, measured against a running server process.

`stalled`: RSS of the server with 1,000 idle event streams, then (on a fresh
server) with 1,000 streams that resume with `Last-Event-ID: 1` after 10,000
versions and never read. Target: under 2 x the idle RSS.

`fd-limit`: the server started with an open-file limit of 1,024, filled to its
connection cap with idle connections; bookings over keep-alive connections
opened before the flood, and new connections past the cap. Target: bookings
still answered (their p99), and connections past the cap refused with a 503
instead of the server spinning.

    python -m bench.attacks stalled --json out.json
    python -m bench.attacks fd-limit --json out.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.processes import ROOT, free_port, rss_kib, wait_for_port

STREAMS = 1_000
VERSIONS = 10_000


def start(port: int, db: Path, *flags: str, nofile: int | None = None) -> subprocess.Popen:
    def limit() -> None:
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    process = subprocess.Popen([sys.executable, str(ROOT / "server.py"), "--host", "127.0.0.1", "--port", str(port),
                                "--db", str(db), "--seats", "100", "--row-size", "10", *flags],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=limit)
    wait_for_port(port, process)
    time.sleep(0.5)
    return process


async def versions(port: int, count: int) -> None:
    """`count` versions: book one seat and cancel it, on one keep-alive connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(count // 2):
        booking = await call(reader, writer, "POST", "/book", b"{}")
        await call(reader, writer, "DELETE", f"/bookings/{booking['booking_id']}", b"",
                   {"Authorization": f"Bearer {booking['token']}"})
    writer.close()


async def call(reader, writer, method: str, path: str, body: bytes, headers: dict | None = None) -> dict:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    if body:
        head += "Content-Type: application/json\r\n"
    writer.write(head.encode() + b"\r\n" + body)
    status_line = await reader.readline()
    length = 0
    while (line := await reader.readline()) != b"\r\n":
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    payload = await reader.readexactly(length)
    if not status_line.startswith(b"HTTP/1.1 2"):
        raise RuntimeError(f"{method} {path}: {status_line!r} {payload[:200]!r}")
    return json.loads(payload) if payload else {}


def open_streams(port: int, count: int, resume_from: str | None) -> list[socket.socket]:
    """Event streams that never read (small receive buffers)."""
    streams = []
    for _ in range(count):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port))
        resume = f"Last-Event-ID: {resume_from}\r\n" if resume_from else ""
        sock.sendall(f"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n{resume}\r\n".encode())
        streams.append(sock)
    return streams


def stalled(max_backlog: int) -> dict:
    result = {"streams": STREAMS, "versions": VERSIONS, "max_backlog": max_backlog}
    with tempfile.TemporaryDirectory() as scratch:
        for case, resume in (("idle", None), ("stalled_resumed", "1")):
            port = free_port()
            process = start(port, Path(scratch) / f"{case}.db", "--max-backlog", str(max_backlog))
            try:
                asyncio.run(versions(port, VERSIONS))
                before = rss_kib(process.pid)
                started = time.perf_counter()
                streams = open_streams(port, STREAMS, resume)
                time.sleep(2.0)
                health_ms = health_time(port)
                result[case] = {"rss_before_kib": before, "rss_kib": rss_kib(process.pid),
                                "healthz_ms": round(health_ms, 1), "open_s": round(time.perf_counter() - started, 2)}
                for sock in streams:
                    sock.close()
            finally:
                process.terminate()
                process.wait(15)
    result["ratio"] = result["stalled_resumed"]["rss_kib"] / result["idle"]["rss_kib"]
    return result


def health_time(port: int) -> float:
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        while sock.recv(65536):
            pass
    return (time.perf_counter() - started) * 1000


async def fd_limit_run(port: int, cap: int) -> dict:
    bookers = [await asyncio.open_connection("127.0.0.1", port) for _ in range(8)]
    flood = []
    for _ in range(cap + 200):  # past the cap: these get a 503 and are closed
        try:
            flood.append(await asyncio.open_connection("127.0.0.1", port))
        except OSError:
            break
    await asyncio.sleep(0.5)
    latencies: list[float] = []

    async def book(reader, writer, count: int) -> None:
        for _ in range(count):
            started = time.perf_counter()
            booking = await call(reader, writer, "POST", "/book", b"{}")
            latencies.append((time.perf_counter() - started) * 1000)
            await call(reader, writer, "DELETE", f"/bookings/{booking['booking_id']}", b"",
                       {"Authorization": f"Bearer {booking['token']}"})

    await asyncio.gather(*(book(r, w, 250) for r, w in bookers))
    refused_ms = []
    refused = 0
    for _ in range(20):
        started = time.perf_counter()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), 10)
        refused_ms.append((time.perf_counter() - started) * 1000)
        refused += answer.startswith(b"HTTP/1.1 503")
        writer.close()
    for _, writer in flood + bookers:
        writer.close()
    latencies.sort()
    return {"bookings": len(latencies), "p50_ms": round(statistics.median(latencies), 2),
            "p99_ms": round(latencies[int(len(latencies) * 0.99)], 2), "new_connections_refused_503": refused,
            "refusal_ms_median": round(statistics.median(refused_ms), 2)}


def fd_limit() -> dict:
    nofile = 1024
    with tempfile.TemporaryDirectory() as scratch:
        port = free_port()
        process = start(port, Path(scratch) / "fd.db", nofile=nofile)
        try:
            result = asyncio.run(fd_limit_run(port, nofile - 64))
            result["cpu_s_while_flooded"] = cpu_seconds(process.pid)
        finally:
            process.terminate()
            process.wait(15)
    result["open_file_limit"] = nofile
    return result


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return round((int(fields[11]) + int(fields[12])) / 100, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=["stalled", "fd-limit"])
    parser.add_argument("--max-backlog", type=int, default=65_536)
    parser.add_argument("--json")
    args = parser.parse_args()
    resource.setrlimit(resource.RLIMIT_NOFILE, (20_000, max(20_000, resource.getrlimit(resource.RLIMIT_NOFILE)[1])))
    result = stalled(args.max_backlog) if args.what == "stalled" else fd_limit()
    if args.json:
        Path(args.json).write_text(json.dumps(result))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
