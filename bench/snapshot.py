"""A 50,000-seat show's snapshot: bytes on the wire and time to a reader.

Against a running server whose show `main` has 50,000 seats, a third of them
booked at random first (so the snapshot is not one long run of `f`): Part 2's
compact `GET /shows/main/seats`, plain and gzipped, the compact `snapshot` that
opens `/shows/main/events`, and Part 1's verbose `GET /seats` for comparison.
Time is from sending the request to the last byte of the body (or of the
snapshot event); bytes are the body as sent (chunk framing and headers aside).

    python -m bench.snapshot --port PORT [--json out.json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import time
import zlib

ROUNDS = 5


def fill(port: int, seats: list[str], share: float) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    chosen = random.Random(3).sample(seats, int(len(seats) * share))
    for start in range(0, len(chosen), 10):
        body = json.dumps({"seats": chosen[start:start + 10]})
        connection.request("POST", "/book", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"filling the house: {response.status}")
    connection.close()


def timed_get(port: int, path: str, gzip: bool) -> tuple[float, int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Accept-Encoding": "gzip"} if gzip else {}
    started = time.perf_counter()
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()  # http.client does not decode: these are the bytes sent
    elapsed = (time.perf_counter() - started) * 1000
    connection.close()
    if response.status != 200 or (gzip and response.getheader("Content-Encoding") != "gzip" and len(body) > 1024):
        raise RuntimeError(f"GET {path}: {response.status} {response.getheader('Content-Encoding')}")
    return elapsed, len(body)


def timed_stream_snapshot(port: int, path: str, gzip: bool) -> tuple[float, int]:
    """Until the opening snapshot event has arrived whole; bytes of the body so far
    (the `retry:` line and, gzipped, the gzip header included)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Accept": "text/event-stream", **({"Accept-Encoding": "gzip"} if gzip else {})}
    started = time.perf_counter()
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if response.getheader("Content-Encoding") == "gzip" else None
    if gzip and inflate is None:
        raise RuntimeError(f"GET {path} with Accept-Encoding: gzip was not gzipped")
    wire, text = 0, b""
    while b"event: snapshot" not in text or not text.endswith(b"\n\n"):
        chunk = response.read1(65536)
        if not chunk:
            raise RuntimeError("the stream ended before its snapshot")
        wire += len(chunk)
        text += inflate.decompress(chunk) if inflate else chunk
    elapsed = (time.perf_counter() - started) * 1000
    connection.close()
    return elapsed, wire


def measure(port: int) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/shows/main/seats")
    rows = json.loads(connection.getresponse().read())["rows"]
    connection.close()
    seats = [f"{label}{n}" for label, codes in rows.items() for n in range(1, len(codes) + 1)]
    fill(port, seats, 1 / 3)
    cases = {
        "compact": lambda: timed_get(port, "/shows/main/seats", gzip=False),
        "compact_gzip": lambda: timed_get(port, "/shows/main/seats", gzip=True),
        "stream_snapshot": lambda: timed_stream_snapshot(port, "/shows/main/events", gzip=False),
        "stream_snapshot_gzip": lambda: timed_stream_snapshot(port, "/shows/main/events", gzip=True),
        "verbose_part1": lambda: timed_get(port, "/seats", gzip=False),
    }
    result: dict = {"seats": len(seats), "rows": len(rows)}
    for name, run in cases.items():
        runs = [run() for _ in range(ROUNDS)]
        result[name] = {"ms": statistics.median(ms for ms, _ in runs), "bytes": runs[0][1],
                        "runs_ms": [round(ms, 1) for ms, _ in runs]}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args()
    result = measure(args.port)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
