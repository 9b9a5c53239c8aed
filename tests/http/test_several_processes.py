"""Several server processes on one PostgreSQL database (contract Part 2, "Several
processes"): no seat sold twice, every process's streams get every change in
version order, resumable anywhere, expiry once, idempotency on any process, and
the loss of a process or of the database costs nothing acknowledged."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter

import psycopg
import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from tests.support.postgres import restart_command
from tests.support.servers import ROOT, ServerProcess, free_port
from tests.support.sse import EventStreamClient


def start_processes(servers, postgres_url: str, count: int, *flags: str) -> list[ServerProcess]:
    return [servers("--db", postgres_url, *flags) for _ in range(count)]


async def post(client: AsyncHTTPClient, url: str, payload: dict, headers: dict | None = None):
    return await client.fetch(url, method="POST", body=json.dumps(payload), raise_error=False, request_timeout=30,
                              headers={"Content-Type": "application/json", **(headers or {})})


def follow(stream: EventStreamClient) -> dict[str, str]:
    """The seat states a stream's events so far describe (snapshot, then changes)."""
    states: dict[str, str] = {}
    version = 0
    while not stream.events.empty():
        event = stream.events.get_nowait()
        data = event.json()
        if event.event == "snapshot":
            names = {"f": "free", "h": "held", "b": "booked"}
            states = {f"{row}{n}": names[c] for row, codes in data["rows"].items() for n, c in enumerate(codes, 1)}
            version = data["version"]
        elif event.event == "seats":
            assert data["version"] == version + 1, "events arrive in version order, none missing"
            states.update(data["changed"])
            version = data["version"]
    states["@version"] = str(version)
    return states


def states_of(snapshot: dict) -> dict[str, str]:
    names = {"f": "free", "h": "held", "b": "booked"}
    states = {f"{row}{n}": names[c] for row, codes in snapshot["rows"].items() for n, c in enumerate(codes, 1)}
    states["@version"] = str(snapshot["version"])
    return states


async def settled(processes: list[ServerProcess], version: int, timeout: float = 10.0) -> None:
    """Until every process has reached `version`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(p.get("/shows/main/seats")["version"] >= version for p in processes):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not every process reached version {version}")


@pytest.mark.req("several-processes")
@pytest.mark.req("REQ-9")
@pytest.mark.gen_test(timeout=60)
async def test_five_processes_one_seat_left_a_buyer_on_each_exactly_one_wins(servers, postgres_url):
    # Arrange
    processes = start_processes(servers, postgres_url, 5, "--seats", "5", "--row-size", "5")
    client = AsyncHTTPClient(force_instance=True)
    await post(client, processes[0].url + "/book", {"quantity": 4})

    # Act
    answers = await asyncio.gather(*(post(client, p.url + "/shows/main/holds", {}) for p in processes))
    client.close()

    # Assert
    assert sorted(a.code for a in answers) == [201, 409, 409, 409, 409]
    await settled(processes, 2)
    assert {p.get("/shows/main/seats")["available"] for p in processes} == {0}


@pytest.mark.req("several-processes")
@pytest.mark.req("REQ-2")
@pytest.mark.gen_test(timeout=120)
async def test_2000_bookings_over_three_processes_sell_500_seats_once_and_every_stream_agrees(
        servers, postgres_url):
    # Arrange
    processes = start_processes(servers, postgres_url, 3, "--seats", "500", "--row-size", "25")
    streams = [await EventStreamClient.open(p.url + "/shows/main/events") for p in processes]
    client = AsyncHTTPClient(force_instance=True, max_clients=150)

    # Act
    answers = await asyncio.gather(*(post(client, processes[n % 3].url + "/book", {}) for n in range(2000)))
    client.close()
    await settled(processes, 500)
    await asyncio.sleep(0.5)

    # Assert
    codes = Counter(a.code for a in answers)
    assert codes == {200: 500, 409: 1500}, codes
    seats = [seat for a in answers if a.code == 200 for seat in json.loads(a.body)["seats"]]
    assert len(seats) == len(set(seats)) == 500, "no seat sold twice"
    for process, stream in zip(processes, streams, strict=True):
        assert follow(stream) == states_of(process.get("/shows/main/seats"))
        stream.close()
    assert all(p.get("/shows/main/seats")["version"] == 500 for p in processes)


@pytest.mark.req("several-processes")
@pytest.mark.req("durability")
@pytest.mark.req("resume")
@pytest.mark.gen_test(timeout=120)
async def test_a_process_killed_mid_burst_loses_nothing_and_its_streams_resume_on_another(servers, postgres_url):
    # Arrange
    processes = start_processes(servers, postgres_url, 3, "--seats", "400", "--row-size", "20")
    doomed, survivor = processes[0], processes[1]
    stream = await EventStreamClient.open(doomed.url + "/shows/main/events")
    await stream.next_event()
    client = AsyncHTTPClient(force_instance=True, max_clients=60)
    acknowledged: list[dict] = []

    async def buyer(n: int) -> None:
        try:
            answer = await post(client, processes[n % 3].url + "/book", {})
        except (HTTPClientError, OSError):
            return
        if answer.code == 200:
            acknowledged.append(json.loads(answer.body))

    burst = [asyncio.ensure_future(buyer(n)) for n in range(600)]
    while len(acknowledged) < 60:
        await asyncio.sleep(0.002)

    # Act
    doomed.kill()
    await asyncio.gather(*burst)
    client.close()
    seen = []
    while not stream.events.empty():
        event = stream.events.get_nowait()
        if event.event == "seats":
            seen.append(int(event.id))
    stream.close()
    last_seen = seen[-1] if seen else 0
    final = survivor.get("/shows/main/seats")["version"]
    resumed = await EventStreamClient.open(survivor.url + "/shows/main/events",
                                           headers={"Last-Event-ID": str(last_seen)})
    replayed = []
    while len(replayed) < final - last_seen:
        event = await resumed.next_event()
        assert event.event == "seats", "a resume within the log gets events, not a snapshot"
        replayed.append(int(event.id))
    resumed.close()

    # Assert
    booked = {seat for seat, state in states_of(survivor.get("/shows/main/seats")).items() if state == "booked"}
    assert {seat for booking in acknowledged for seat in booking["seats"]} <= booked
    assert replayed == list(range(last_seen + 1, final + 1)), "exactly the missed events, in order"
    assert processes[2].get("/healthz")["status"] == "ok"


@pytest.mark.req("several-processes")
@pytest.mark.req("hold-expiry")
@pytest.mark.gen_test(timeout=60)
async def test_with_three_processes_each_expiry_happens_once_as_one_event(servers, postgres_url):
    # Arrange
    processes = start_processes(servers, postgres_url, 3, "--seats", "20", "--row-size", "10", "--hold-seconds", "1")
    streams = [await EventStreamClient.open(p.url + "/shows/main/events") for p in processes]
    for stream in streams:
        await stream.next_event()
    client = AsyncHTTPClient(force_instance=True)
    held = [json.loads((await post(client, p.url + "/shows/main/holds", {})).body) for p in processes]
    client.close()

    # Act: the holds expire while every process sweeps
    await asyncio.sleep(3.0)

    # Assert: on every stream, three holds then three expiries, versions 1..6, once each
    for stream in streams:
        events = []
        while not stream.events.empty():
            event = stream.events.get_nowait()
            if event.event == "seats":
                events.append((int(event.id), set(event.json()["changed"].values())))
        stream.close()
        assert [version for version, _ in events] == [1, 2, 3, 4, 5, 6]
        assert [states for _, states in events] == [{"held"}] * 3 + [{"free"}] * 3
    assert all(p.get("/shows/main/seats")["available"] == 20 for p in processes)
    assert len({h["hold_id"] for h in held}) == 3


@pytest.mark.req("several-processes")
@pytest.mark.req("idempotency")
@pytest.mark.gen_test(timeout=60)
async def test_an_idempotency_key_retried_on_another_process_gets_the_original_answer(servers, postgres_url):
    # Arrange
    first, second = start_processes(servers, postgres_url, 2, "--seats", "20", "--row-size", "10")
    client = AsyncHTTPClient(force_instance=True)
    key = {"Idempotency-Key": "across-processes"}

    # Act
    original = await post(client, first.url + "/shows/main/holds", {"quantity": 2}, key)
    repeat = await post(client, second.url + "/shows/main/holds", {"quantity": 2}, key)
    other_body = await post(client, second.url + "/shows/main/holds", {"quantity": 3}, key)
    client.close()

    # Assert
    assert (original.code, repeat.code, other_body.code) == (201, 201, 422)
    assert repeat.body == original.body
    await settled([first, second], 1)
    assert second.get("/shows/main/seats")["available"] == 18


@pytest.mark.req("several-processes")
@pytest.mark.gen_test(timeout=60)
async def test_a_hold_made_on_one_process_is_confirmed_on_another(servers, postgres_url):
    # Arrange
    first, second = start_processes(servers, postgres_url, 2, "--seats", "20", "--row-size", "10")
    client = AsyncHTTPClient(force_instance=True)
    hold = json.loads((await post(client, first.url + "/shows/main/holds", {"quantity": 2})).body)

    # Act: at once, before the second process has heard of the hold
    confirmed = await post(client, second.url + f"/holds/{hold['hold_id']}/confirm",
                           {"name": "Ada", "email": "ada@example.com"}, {"Authorization": f"Bearer {hold['token']}"})
    client.close()

    # Assert
    assert confirmed.code == 200, confirmed.body
    assert json.loads(confirmed.body)["seats"] == hold["seats"]


@pytest.mark.req("several-processes")
@pytest.mark.req("storage-health")
@pytest.mark.gen_test(timeout=120)
async def test_with_the_database_restarted_bookings_wait_nothing_is_lost_and_streams_catch_up(
        servers, postgres_url):
    control = restart_command()
    if control is None:
        pytest.skip("needs the tests' own PostgreSQL (scripts/test starts one) to restart it")
    ctl, options = control
    # Arrange
    first, second = start_processes(servers, postgres_url, 2, "--seats", "50", "--row-size", "10")
    stream = await EventStreamClient.open(second.url + "/shows/main/events")
    await stream.next_event()
    client = AsyncHTTPClient(force_instance=True)
    before = await post(client, first.url + "/book", {})

    # Act
    subprocess.run(f"{ctl} stop -m fast", shell=True, check=True, capture_output=True)
    while_down = await post(client, first.url + "/book", {})
    await asyncio.sleep(1.5)
    health_down = first.get_status("/healthz")
    subprocess.run(f"{ctl} -o '{options}' start", shell=True, check=True, capture_output=True)
    after = None
    for _ in range(100):  # until the process has reconnected
        after = await post(client, first.url + "/book", {})
        if after.code == 200:
            break
        await asyncio.sleep(0.1)
    client.close()
    event_versions = []
    while len(event_versions) < 2:
        event = await stream.next_event(timeout=10)
        if event.event == "seats":
            event_versions.append(int(event.id))
    stream.close()

    # Assert
    assert before.code == 200
    assert while_down.code == 503
    assert health_down == 503
    assert after.code == 200
    assert event_versions == [1, 2], "the second process's stream caught up from the change log"
    assert first.get("/healthz")["status"] == "ok"


def children(pid: int) -> set[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as listing:
        return {int(child) for child in listing.read().split()}


def until(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def book_one(url: str) -> int:
    request = urllib.request.Request(url + "/book", data=b"{}", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.req("several-processes")
def test_workers_flag_runs_n_processes_on_one_port_restarts_a_dead_one_and_stops_them_all(postgres_url):
    # Arrange
    supervisor = ServerProcess("--db", postgres_url, "--workers", "2", "--seats", "20", "--row-size", "10",
                               "--metrics-address", "off")
    supervisor.start()
    workers: set[int] = set()
    try:
        until(lambda: len(children(supervisor.process.pid)) == 2)
        workers = children(supervisor.process.pid)

        # Act: a new connection per booking, spread by the kernel over both workers
        statuses = Counter(book_one(supervisor.url) for _ in range(30))
        os.kill(min(workers), signal.SIGKILL)
        until(lambda: len(children(supervisor.process.pid) - workers) == 1)
        until(lambda: supervisor.get_status("/healthz") == 200)
        after_restart = supervisor.get("/shows/main/seats")
        replaced = children(supervisor.process.pid)
        status = supervisor.terminate()

        # Assert
        assert statuses == {200: 20, 409: 10}, statuses
        assert after_restart["version"] == 20
        assert set("".join(after_restart["rows"].values())) == {"b"}
        assert len(replaced) == 2 and max(workers) in replaced, "only the dead worker was replaced"
        assert status == 0
        assert not any(os.path.exists(f"/proc/{pid}") for pid in replaced), "every worker stopped with it"
    finally:
        for pid in workers | (children(supervisor.process.pid) if supervisor.process.poll() is None else set()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        supervisor.stop()


@pytest.mark.req("several-processes")
def test_workers_that_cannot_start_stop_the_supervisor_instead_of_restarting_forever():
    # Arrange: a database nobody listens on
    command = [sys.executable, str(ROOT / "server.py"), "--port", str(free_port()), "--workers", "2",
               "--metrics-address", "off", "--db", f"postgresql://127.0.0.1:{free_port()}/nothing"]

    # Act
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)

    # Assert
    assert finished.returncode != 0
    assert "failed to start" in finished.stderr


@pytest.mark.req("several-processes")
@pytest.mark.gen_test(timeout=60)
async def test_a_show_locked_past_lock_timeout_is_a_503_to_retry_and_nothing_changes(servers, postgres_url):
    # Arrange: another "process" holds the show's row lock
    server = servers("--db", postgres_url, "--seats", "20", "--row-size", "10", "--lock-timeout", "0.5")
    client = AsyncHTTPClient(force_instance=True)
    with psycopg.connect(postgres_url) as other:
        other.execute("SELECT version FROM shows WHERE id = 'main' FOR UPDATE")

        # Act
        began = time.monotonic()
        refused = await post(client, server.url + "/book", {})
        waited = time.monotonic() - began
        other.rollback()
    after = await post(client, server.url + "/book", {})
    client.close()

    # Assert
    assert refused.code == 503
    assert json.loads(refused.body)["error"] == "busy"
    assert refused.headers["Retry-After"] == "1"
    assert waited >= 0.5, "it waited for the lock first"
    assert json.loads(after.body)["version"] == 1, "the refused request changed nothing"


@pytest.mark.req("several-processes")
@pytest.mark.req("storage-health")
@pytest.mark.gen_test(timeout=60)
async def test_a_connection_lost_during_commit_answers_outcome_unknown_and_a_keyed_retry_decides(
        servers, postgres_url):
    # Arrange: PostgreSQL ends the server's session while it commits (a deferred
    # trigger, which runs at COMMIT), so the server cannot know whether it took.
    server = servers("--db", postgres_url, "--seats", "20", "--row-size", "10")
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("CREATE FUNCTION end_session() RETURNS trigger LANGUAGE plpgsql AS "
                      "$$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $$")
        admin.execute("CREATE CONSTRAINT TRIGGER end_session AFTER INSERT ON changes DEFERRABLE INITIALLY DEFERRED "
                      "FOR EACH ROW EXECUTE FUNCTION end_session()")
    client = AsyncHTTPClient(force_instance=True)
    key = {"Idempotency-Key": "commit-lost-1"}

    # Act
    lost = await post(client, server.url + "/book", {}, key)
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("DROP TRIGGER end_session ON changes")
    retried = await post(client, server.url + "/book", {}, key)
    again = await post(client, server.url + "/book", {}, key)
    client.close()

    # Assert
    assert lost.code == 500
    assert json.loads(lost.body)["error"] == "storage_failed"
    assert retried.code == 200, retried.body
    assert again.body == retried.body, "the retry's answer is the key's answer from now on"
    seats = server.get("/shows/main/seats")
    assert seats["version"] == 1 and seats["available"] == 19


@pytest.mark.req("several-processes")
@pytest.mark.req("idempotency")
@pytest.mark.gen_test(timeout=60)
async def test_one_key_sent_five_times_at_once_to_one_process_books_once_and_answers_alike(servers, postgres_url):
    # Arrange: the show is locked from outside, so a first request waits in one
    # transaction while the five queue up behind it for the next one
    server = servers("--db", postgres_url, "--seats", "20", "--row-size", "10")
    client = AsyncHTTPClient(force_instance=True)
    with psycopg.connect(postgres_url) as other:
        other.execute("SELECT version FROM shows WHERE id = 'main' FOR UPDATE")
        first = asyncio.ensure_future(post(client, server.url + "/book", {}, {"Idempotency-Key": "first"}))
        await asyncio.sleep(0.2)
        five = asyncio.gather(*(post(client, server.url + "/book", {"quantity": 2}, {"Idempotency-Key": "same-five"})
                                for _ in range(5)))
        await asyncio.sleep(0.3)

        # Act
        other.rollback()
        answers = await five
    await first
    client.close()

    # Assert
    assert [answer.code for answer in answers] == [200] * 5
    assert len({answer.body for answer in answers}) == 1
    assert server.get("/shows/main/seats")["available"] == 17


def scrape(port: int) -> dict[str, float]:
    """`GET /metrics` of one worker: {sample line's name and labels: value}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        lines = response.read().decode().splitlines()
    return {name: float(value) for name, _, value in (line.rpartition(" ") for line in lines if line[:1] != "#")}


@pytest.mark.req("metrics")
@pytest.mark.req("several-processes")
def test_each_worker_counts_its_own_decisions_on_its_own_metrics_port(postgres_url):
    # Arrange: two workers; worker i serves /metrics on PORT+i
    metrics_port = free_port()
    while not all(free_port_is(metrics_port + n) for n in range(2)):
        metrics_port = free_port()
    supervisor = ServerProcess("--db", postgres_url, "--workers", "2", "--seats", "20", "--row-size", "10",
                               "--metrics-address", f"127.0.0.1:{metrics_port}")
    supervisor.start()
    try:
        until(lambda: not any(free_port_is(metrics_port + n) for n in range(2)))

        # Act: a new connection per booking, spread by the kernel over both workers
        statuses = Counter(book_one(supervisor.url) for _ in range(30))
        # Each worker follows the other's changes (NOTIFY): wait until both have all.
        until(lambda: all(scrape(metrics_port + n)['seats_available_seats{show="main"}'] == 0 for n in range(2)))
        scrapes = [scrape(metrics_port + n) for n in range(2)]
        on_main_port = supervisor.get_status("/metrics")
    finally:
        supervisor.terminate()
        supervisor.stop()

    # Assert: together the workers counted exactly what was answered
    def total(name: str) -> float:
        return sum(one.get(name, 0) for one in scrapes)

    assert statuses == {200: 20, 409: 10}, statuses
    assert total('seats_decisions_total{action="book",outcome="ok"}') == 20
    assert total('seats_decisions_total{action="book",outcome="sold_out"}') == 10
    assert total('seats_http_requests_total{route="/book",method="POST",status="200"}') == 20
    # Each transaction on PostgreSQL is timed as one commit; 30 decisions took at most 30.
    assert 1 <= total("seats_commit_seconds_count") <= 30
    assert total("seats_decision_seconds_count") == 30
    assert total("seats_storage_failures_total") == 0
    assert on_main_port == 404


def free_port_is(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
