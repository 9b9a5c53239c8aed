"""The attacks of the second hardening round (issue 10), each replayed against the
server: stalled resumed streams, connection floods, a deleted database, bodies
on every route, cross-site pages (CORS, DNS rebinding), a failed fsync."""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from app.config import Config
from app.http_server import ConnectionLimits, LimitedHTTPServer
from app.sqlite_store import SqliteStore
from application import SeatServer
from tests.http.conftest import ADMIN_TOKEN, body_of
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


async def raw_request(port: int, data: bytes, read_timeout: float = 5.0) -> bytes:
    """Sends raw bytes on a fresh connection; returns what comes back until the
    server closes it (or the timeout)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        try:
            return await asyncio.wait_for(reader.read(), read_timeout)
        except TimeoutError:
            return b"<timeout>"
    finally:
        writer.close()


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def json_of(response: bytes) -> dict:
    return json.loads(response.partition(b"\r\n\r\n")[2])


# -- 1. stalled streams that resume far behind ---------------------------------------------


class TestStalledResumedStreams:
    @pytest.fixture
    def config(self) -> Config:
        return Config(db=":memory:", seats=100, row_size=10, max_backlog=4_096, admin_token=ADMIN_TOKEN)

    @pytest.mark.req("stalled-reader")
    @pytest.mark.gen_test(timeout=60)
    async def test_streams_resuming_far_behind_without_reading_hold_no_more_than_their_backlog(
            self, api, seat_server, base_url):
        # Arrange: 300 versions (book and cancel), about 21 KB of events to replay
        for _ in range(150):
            booking = body_of(await api.book({}))
            await api.cancel(booking["booking_id"], booking["token"])
        port = int(base_url.rsplit(":", 1)[1])
        stalled = []
        for _ in range(40):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
            sock.connect(("127.0.0.1", port))
            sock.sendall(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nLast-Event-ID: 1\r\n\r\n")
            stalled.append(sock)
        hub = seat_server.box_office.sales("main").hub
        for _ in range(200):
            if hub.subscriber_count == 40:
                break
            await asyncio.sleep(0.01)

        # Act: everything each stalled stream still has queued
        queued = [stream.backlog for stream in hub._subscribers]
        snapshot = len(hub.board.snapshot_piece(compact=False).form(chunked=True, gzip=False))
        for sock in stalled:
            sock.close()

        # Assert: a replay past the backlog became the (shared) snapshot; no stream
        # holds more than the larger of the two
        assert len(queued) == 40
        assert max(queued) <= max(4_096, snapshot + 64)


# -- 2. connections -----------------------------------------------------------------------


class TestConnectionCap:
    @pytest.fixture
    def config(self) -> Config:
        return Config(db=":memory:", seats=20, row_size=10, max_connections=4, max_connections_per_address=4,
                      host="127.0.0.1", port=free_port())

    @pytest.mark.req("connection-limits")
    def test_past_the_connection_cap_a_connection_gets_a_json_503_and_the_rest_keep_working(self, config):
        async def scenario():
            server = SeatServer(config)
            server.start()
            try:
                idle = [await asyncio.open_connection("127.0.0.1", config.port) for _ in range(4)]
                await asyncio.sleep(0.05)
                refused = await raw_request(config.port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                for _, writer in idle[:1]:
                    writer.close()
                await asyncio.sleep(0.05)
                served = await raw_request(config.port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                        b"Connection: close\r\n\r\n")
                for _, writer in idle[1:]:
                    writer.close()
                return refused, served, server.connections.open
            finally:
                await server.shutdown()

        refused, served, still_open = asyncio.run(scenario())

        assert status_of(refused) == 503
        assert b"Retry-After: 5" in refused
        assert json_of(refused)["error"] == "too_many_connections"
        assert status_of(served) == 200
        assert still_open <= 4

    @pytest.mark.req("connection-limits")
    def test_event_streams_count_until_they_close(self, config):
        async def scenario():
            server = SeatServer(config)
            server.start()
            try:
                streams = []
                for _ in range(2):
                    reader, writer = await asyncio.open_connection("127.0.0.1", config.port)
                    writer.write(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    await reader.readuntil(b"event: snapshot")
                    streams.append(writer)
                with_streams = server.connections.open
                for writer in streams:
                    writer.close()
                for _ in range(100):
                    await asyncio.sleep(0.01)
                    if server.connections.open == 0:
                        break
                return with_streams, server.connections.open
            finally:
                await server.shutdown()

        with_streams, after = asyncio.run(scenario())

        assert (with_streams, after) == (2, 0)


class FullDescriptorTable(socket.socket):
    """A listening socket whose accept() fails as it does with no descriptors left."""

    def accept(self):
        raise OSError(errno.EMFILE, "Too many open files")


@pytest.mark.req("connection-limits")
def test_out_of_descriptors_the_accept_loop_pauses_and_logs_once_instead_of_spinning(caplog):
    async def scenario():
        server = LimitedHTTPServer(lambda request: None, limits=ConnectionLimits(10, 10), refusal=b"")
        listener = FullDescriptorTable(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        listener.setblocking(False)
        server._listening.append(listener)
        server._watch(listener)
        clients = [socket.create_connection(listener.getsockname()) for _ in range(3)]
        await asyncio.sleep(0.5)  # a spinning loop would call accept() thousands of times
        pauses = server.accept_pauses
        server.stop()
        for client in clients:
            client.close()
        return pauses

    with caplog.at_level(logging.WARNING, logger="seats.connections"):
        pauses = asyncio.run(scenario())

    assert 1 <= pauses <= 6  # 0.05 s, then 0.1, 0.2, 0.4 between tries
    assert len([r for r in caplog.records if "cannot accept" in r.getMessage()]) == 1


class TestTimeouts:
    @pytest.fixture
    def config(self) -> Config:
        return Config(db=":memory:", seats=20, row_size=10, idle_timeout=0.3, body_timeout=0.3,
                      host="127.0.0.1", port=free_port())

    @pytest.mark.req("connection-limits")
    def test_a_silent_connection_and_a_body_that_never_comes_are_closed(self, config):
        async def scenario():
            server = SeatServer(config)
            server.start()
            try:
                silent = await raw_request(config.port, b"", read_timeout=5)
                slow_body = await raw_request(config.port, b"POST /book HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                            b"Content-Type: application/json\r\n"
                                                            b"Content-Length: 100\r\n\r\n{", read_timeout=5)
                return silent, slow_body, server.connections.open
            finally:
                await server.shutdown()

        silent, slow_body, still_open = asyncio.run(scenario())

        assert silent == b""  # closed by the server, not by our timeout
        assert b"<timeout>" not in slow_body
        assert still_open == 0


# -- 3. the database deleted under a running server -----------------------------------------


@pytest.mark.req("storage-health")
@pytest.mark.gen_test(timeout=60)
async def test_a_deleted_database_is_noticed_refuses_changes_and_fails_healthz(servers, tmp_path):
    # Arrange
    data = tmp_path / "data"
    server = servers("--db", str(data / "seats.db"), "--seats", "20", "--row-size", "10")
    first = post(server.url + "/book", {})

    # Act: the operator's data directory goes away
    for path in data.iterdir():
        path.unlink()
    data.rmdir()
    after = post(server.url + "/book", {})
    later = post(server.url + "/book", {})
    health = get(server.url + "/healthz")

    # Assert
    assert first[0] == 200
    assert after[0] == 500 and "unknown" in after[1]["message"]
    assert later[0] == 503 and later[1]["error"] == "storage_unavailable"
    assert health[0] == 503 and health[1]["status"] == "storage_failed"


@pytest.mark.req("storage-health")
def test_a_missing_database_a_server_here_opened_before_is_not_recreated_without_init(servers, tmp_path):
    # Arrange
    db = tmp_path / "seats.db"
    first = servers("--db", str(db), "--seats", "20", "--row-size", "10")
    post(first.url + "/book", {})
    first.stop()
    for path in tmp_path.glob("seats.db*"):
        path.unlink()

    # Act
    refused = run_server("--db", str(db))
    recreated = servers("--db", str(db), "--init")

    # Assert
    assert refused.returncode == 2
    assert "is missing" in refused.stderr and "--init" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert recreated.get("/seats")["version"] == 0


@pytest.mark.req("storage-health")
@pytest.mark.parametrize("content", [b"this is not a database at all" * 100, b"SQLite format 3\x00" + b"\x00" * 50],
                         ids=["garbage", "truncated"])
def test_a_file_that_is_not_a_seats_database_stops_the_server_with_one_line(tmp_path, content):
    # Arrange
    db = tmp_path / "seats.db"
    db.write_bytes(content)

    # Act
    result = run_server("--db", str(db))

    # Assert
    assert result.returncode == 2
    assert "is not a usable seats database" in result.stderr
    assert "Traceback" not in result.stderr


# -- 4. bodies on every route ----------------------------------------------------------------


@pytest.mark.req("body-limits")
@pytest.mark.parametrize("path", ["/seats", "/healthz", "/shows", "/no/such/path", "/events", "/"])
@pytest.mark.gen_test
async def test_a_large_body_on_a_route_that_takes_none_is_refused_before_it_is_read(api, base_url, path):
    # Arrange: a declared 99 MB body, of which only the headers are sent
    port = int(base_url.rsplit(":", 1)[1])
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {99 * 1024 * 1024}\r\n\r\n").encode()

    # Act
    response = await raw_request(port, request)

    # Assert
    assert status_of(response) == 413
    assert json_of(response)["error"] == "payload_too_large"


@pytest.mark.req("body-limits")
@pytest.mark.gen_test
async def test_a_chunked_body_past_the_limit_is_never_kept_and_the_connection_ends(api, base_url):
    # Arrange: 3 MB in chunks to a route that takes no body
    port = int(base_url.rsplit(":", 1)[1])
    chunk = b"%x\r\n%b\r\n" % (64 * 1024, b"x" * 64 * 1024)
    request = b"GET /seats HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk * 48

    # Act
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        with pytest.raises((ConnectionError, asyncio.IncompleteReadError, OSError)):
            await writer.drain()
            await asyncio.wait_for(reader.readexactly(10**9), 5)
    finally:
        writer.close()

    # Assert: the server is still answering
    assert (await api.health())["status"] == "ok"


# -- 5. the rate limit ---------------------------------------------------------------------


class TestRateLimit:
    @pytest.fixture
    def config(self) -> Config:
        return Config(db=":memory:", seats=20, row_size=10, rate_limit=1, admin_token=ADMIN_TOKEN)

    @pytest.mark.req("rate-limit")
    @pytest.mark.gen_test
    async def test_a_request_that_cannot_book_spends_no_token(self, api):
        # Act
        wrong_method = await api.request("GET", "/book")
        booked = await api.book({})

        # Assert
        assert wrong_method.code == 405
        assert booked.code == 200


# -- 6. other sites' pages: CORS and DNS rebinding ---------------------------------------------


class TestAllowedOrigin:
    @pytest.fixture
    def config(self) -> Config:
        return Config(db=":memory:", seats=20, row_size=10, allowed_origins="https://shop.example",
                      admin_token=ADMIN_TOKEN)

    @pytest.mark.req("cors")
    @pytest.mark.gen_test
    async def test_a_preflight_from_an_allowed_origin_is_answered_with_what_the_browser_needs(self, api):
        # Act
        preflight = await api.request("OPTIONS", "/shows/main/holds", headers={
            "Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, idempotency-key"})

        # Assert
        assert preflight.code == 204
        assert preflight.headers["Access-Control-Allow-Origin"] == "https://shop.example"
        assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
        assert {"content-type", "authorization", "idempotency-key"} <= {
            h.strip().lower() for h in preflight.headers["Access-Control-Allow-Headers"].split(",")}
        assert preflight.headers["Vary"] == "Origin"

    @pytest.mark.req("cors")
    @pytest.mark.gen_test
    async def test_an_allowed_origins_booking_answer_is_readable_by_its_page(self, api):
        # Act
        booked = await api.book({}, headers={"Origin": "https://shop.example"})
        refused = await api.book({"seats": ["Z99"]}, headers={"Origin": "https://shop.example"})

        # Assert: the token reaches the page that booked (errors are readable too)
        assert booked.code == 200
        assert booked.headers["Access-Control-Allow-Origin"] == "https://shop.example"
        assert refused.headers["Access-Control-Allow-Origin"] == "https://shop.example"

    @pytest.mark.req("cors")
    @pytest.mark.gen_test
    async def test_any_other_origin_gets_no_preflight_and_no_booking(self, api):
        # Act
        preflight = await api.request("OPTIONS", "/book", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        booked = await api.request("POST", "/book", b"", headers={"Origin": "https://evil.example"})

        # Assert
        assert preflight.code == 403
        assert "Access-Control-Allow-Origin" not in preflight.headers
        assert booked.code == 403
        assert (await api.seats())["version"] == 0


@pytest.mark.req("security-headers")
@pytest.mark.parametrize(("host", "status"), [("evil.example:8888", 421), ("rebind.attacker.test", 421),
                                              ("127.0.0.1:8888", 200), ("localhost", 200), ("[::1]:8888", 200),
                                              ("seats", 200)])
def test_a_loopback_server_refuses_domain_names_in_host_against_dns_rebinding(host, status):
    config = Config(db=":memory:", seats=20, row_size=10, host="127.0.0.1", port=free_port())

    async def scenario():
        server = SeatServer(config)
        server.start()
        try:
            return await raw_request(config.port, f"GET /seats HTTP/1.1\r\nHost: {host}\r\n"
                                                  f"Connection: close\r\n\r\n".encode())
        finally:
            await server.shutdown()

    response = asyncio.run(scenario())

    assert status_of(response) == status
    assert b"\r\nServer:" not in response.partition(b"\r\n\r\n")[0]


@pytest.mark.req("security-headers")
def test_allowed_hosts_are_the_only_names_answered():
    config = Config(db=":memory:", seats=20, row_size=10, host="0.0.0.0", port=free_port(),
                    allowed_hosts="tickets.example.com")

    async def scenario():
        server = SeatServer(config)
        server.start()
        try:
            return [status_of(await raw_request(config.port, f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n"
                                                             f"Connection: close\r\n\r\n".encode()))
                    for host in ("tickets.example.com", "TICKETS.example.com:443", "other.example.com")]
        finally:
            await server.shutdown()

    assert asyncio.run(scenario()) == [200, 200, 421]


def holds_from(config: Config, addresses: list[str]) -> list[int]:
    """The statuses of one POST /shows/main/holds per X-Real-IP in `addresses`."""

    async def scenario():
        server = SeatServer(config)
        server.start()
        try:
            return [status_of(await raw_request(
                config.port, f"POST /shows/main/holds HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Real-IP: {address}\r\n"
                             f"Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n"
                             f"{{}}".encode())) for address in addresses]
        finally:
            await server.shutdown()

    return asyncio.run(scenario())


@pytest.mark.req("holds")
def test_behind_a_proxy_holds_per_client_count_the_address_the_proxy_reports():
    config = Config(db=":memory:", seats=20, row_size=10, port=free_port(), max_holds_per_client=1,
                    behind_proxy=True)

    assert holds_from(config, ["203.0.113.1", "203.0.113.2", "203.0.113.1"]) == [201, 201, 429]


@pytest.mark.req("holds")
def test_not_behind_a_proxy_a_forged_address_header_is_ignored():
    config = Config(db=":memory:", seats=20, row_size=10, port=free_port(), max_holds_per_client=1)

    assert holds_from(config, ["203.0.113.1", "203.0.113.2"]) == [201, 429]


# -- 7. a failed fsync ---------------------------------------------------------------------------


class FsyncFailsAfterWriting:
    """The commit reaches the file, then reports an I/O error, as an fsync that
    fails with EIO does: whether the data is on disk is unknown."""

    def __init__(self) -> None:
        self.failures_left = 0


@pytest.fixture
def fsync(monkeypatch) -> FsyncFailsAfterWriting:
    disk = FsyncFailsAfterWriting()
    real_commit = SqliteStore.commit

    def commit(store: SqliteStore, records) -> None:
        real_commit(store, records)
        if disk.failures_left:
            disk.failures_left -= 1
            raise OSError(errno.EIO, "Input/output error (fsync)")

    monkeypatch.setattr(SqliteStore, "commit", commit)
    return disk


class TestFailedFsync:
    @pytest.fixture
    def seat_server(self, config, clock, fsync):
        server = SeatServer(config, clock=clock)
        yield server
        server.close()

    @pytest.mark.req("fsync-failure")
    @pytest.mark.gen_test
    async def test_a_failed_commit_says_the_outcome_is_unknown_and_a_keyed_retry_tells_which(self, api, fsync):
        # Arrange
        fsync.failures_left = 1

        # Act
        failed = await api.book({"seats": ["A1"]}, headers={"Idempotency-Key": "fsync-1"})
        for _ in range(100):
            if (await api.request("GET", "/healthz")).code == 200:
                break
            await asyncio.sleep(0.01)
        retried = await api.book({"seats": ["A1"]}, headers={"Idempotency-Key": "fsync-1"})

        # Assert: the booking had reached the disk; the retry returns it, once
        assert failed.code == 500
        assert body_of(failed)["error"] == "storage_failed"
        assert "unknown" in body_of(failed)["message"] and "Idempotency-Key" in body_of(failed)["message"]
        assert retried.code == 200, retried.body
        assert body_of(retried)["seats"] == ["A1"]
        assert (await api.seats())["available"] == 49

    @pytest.mark.req("fsync-failure")
    @pytest.mark.req("storage-health")
    @pytest.mark.gen_test
    async def test_after_a_failed_commit_no_change_is_taken_until_the_store_is_reopened(
            self, api, seat_server, fsync, monkeypatch):
        # Arrange: reopening fails, as it would for a disk gone bad
        def cannot_reopen(store) -> None:
            raise OSError(errno.EIO, "Input/output error")

        monkeypatch.setattr(SqliteStore, "reopen", cannot_reopen)
        fsync.failures_left = 1
        await api.book({})
        await asyncio.sleep(0.05)

        # Act
        refused = await api.book({})
        health = await api.request("GET", "/healthz")

        # Assert
        assert refused.code == 503
        assert body_of(refused)["error"] == "storage_unavailable"
        assert health.code == 503 and body_of(health)["status"] == "storage_failed"


# -- helpers for server processes --------------------------------------------------------------


def post(url: str, payload: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def run_server(*args: str) -> subprocess.CompletedProcess:
    """`python server.py ARGS` expected to stop at start-up."""
    return subprocess.run([sys.executable, str(ROOT / "server.py"), "--port", str(free_port()), *args],
                          capture_output=True, text=True, timeout=30, check=False,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})
