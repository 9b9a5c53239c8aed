"""Rows for several processes on one PostgreSQL (issue 11): the project with two
workers on both cores against the Go reference on both cores (GOMAXPROCS=2), and
against itself as one process on SQLite. Servers here are not pinned (they are
meant to use both cores); load clients stay on core 1 as in every other row.

PostgreSQL is `SEATS_BENCH_POSTGRES` when set, else a throwaway cluster with fsync
on (`scripts/test-postgres --durable`); each run gets a database of its own."""

from __future__ import annotations

import functools
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from bench import processes
from bench.measures import Context, burst_once, describe_burst, fmt, wrk_rate
from bench.processes import ROOT, free_port, running
from bench.report import Row

ROUNDS = 3
WORKERS = 2
GO_TWO_CORES = {"GOMAXPROCS": "2"}
# The open-file limit here is 20,000 a process, and the Go reference is one
# process: 19,990 subscribers leave it room for its listener and stdio.
FANOUT_SUBSCRIBERS = 19_990
FANOUT_WATCHERS = 2
FANOUT_BOOKINGS = 20
# Bookings are spaced further apart than any fan-out takes, so each is measured alone.
FANOUT_GAP_SECONDS = 1.0


@contextmanager
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server to make databases on."""
    if os.environ.get("SEATS_BENCH_POSTGRES"):
        yield os.environ["SEATS_BENCH_POSTGRES"]
        return
    started = subprocess.run([str(ROOT / "scripts" / "test-postgres"), "--durable"], check=True, capture_output=True,
                             text=True).stdout
    exports = dict(re.findall(r"export (\w+)='?([^'\n]*)'?", started))
    try:
        yield exports["SEATS_TEST_POSTGRES"]
    finally:
        subprocess.run([str(ROOT / "scripts" / "test-postgres"), "stop", exports["SEATS_TEST_PG_DIR"]], check=False)


@contextmanager
def fresh_database(server: str) -> Iterator[str]:
    name = f"seats_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server.rpartition('/')[0]}/{name}"
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bindable(port: int) -> bool:
    """Whether a listener could take `port` now. Checked for PORT+1 too: after a
    burst, thousands of client sockets hold ports of the ephemeral range, where
    free_port's answers come from, and a worker that cannot bind stops them all."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def project_workers(port: int, db: str, seats: int, row_size: int) -> list[str]:
    # Metrics counted as in the one-process rows, each worker on a port of its own
    # (PORT+i), none of them the main port.
    metrics = free_port()
    while port in range(metrics, metrics + WORKERS) or not all(bindable(p) for p in range(metrics, metrics + WORKERS)):
        metrics = free_port()
    return [*processes.project_server(port, db, seats, row_size), "--workers", str(WORKERS),
            "--metrics-address", f"127.0.0.1:{metrics}"]


def on_both_cores(context: Context, server: Callable[[int], list[str]], name: str, measure: Callable[..., object],
                  env: dict[str, str] | None = None) -> object:
    port = free_port()
    command = server(port)
    context.note([*(f"{key}={value}" for key, value in (env or {}).items()), *command])
    return measure(context, command, port, name, cpu=None, env=env)


def go_reference(context: Context) -> Callable[[int], list[str]]:
    return lambda port: processes.go_reference(context.build, port, 1000)


def against_go(context: Context, postgres: str, name: str, measure: Callable[..., dict]) -> tuple[list, list]:
    """ROUNDS of `measure` on the project (two workers, 1,000 seats, a fresh
    database each round) and on the Go reference, both on both cores."""
    ours, reference = [], []
    for round_ in range(ROUNDS):
        reference.append(on_both_cores(context, go_reference(context), "go-reference-2", measure, GO_TWO_CORES))
        with fresh_database(postgres) as db:
            ours.append(on_both_cores(context, lambda port, db=db: project_workers(port, db, 1000, 25),
                                      f"{name}-workers-{round_}", measure))
    return ours, reference


def burst(context: Context, postgres: str) -> Row:
    ours, reference = against_go(context, postgres, "burst", burst_once)
    ours_ms = statistics.median(run["decide_all_ms"] for run in ours)
    reference_ms = statistics.median(run["decide_all_ms"] for run in reference)
    correct = all(run["correct"] for run in ours)
    return Row(
        "burst on both cores", "10,000 clients at once, new connection each, 1,000 seats: time to decide all; project "
        "--workers 2 on PostgreSQL, go-reference GOMAXPROCS=2", ours_ms, reference_ms, "go-reference",
        ratio=ours_ms / reference_ms, target="<= 2 x go-reference, exact counts",
        met=correct and ours_ms <= 2 * reference_ms, unit="ms",
        detail="project: " + "; ".join(describe_burst(run) for run in ours)
        + " | go-reference: " + "; ".join(describe_burst(run) for run in reference),
    )


def watch_once(context: Context, command: list[str], port: int, name: str, *, cpu: str | None,
               env: dict[str, str] | None) -> dict:
    """FANOUT_SUBSCRIBERS streams over FANOUT_WATCHERS client processes; one booking
    at a time; per booking, the time from sending it to the last subscriber's event."""
    per_watcher = FANOUT_SUBSCRIBERS // FANOUT_WATCHERS
    watch = [str(context.build / "loadclient"), "-mode", "watch", "-addr", f"127.0.0.1:{port}",
             "-n", str(per_watcher)]
    with running(command, port, context.log(name), cpu=cpu, env=env) as server:
        context.note([*processes.pinned(processes.CLIENT_CPU, watch), f"(x {FANOUT_WATCHERS})"])
        watchers = [subprocess.Popen(processes.pinned(processes.CLIENT_CPU, watch), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env={**os.environ, "GOMAXPROCS": "1"})
                    for _ in range(FANOUT_WATCHERS)]
        try:
            for watcher in watchers:
                if watcher.stdout.readline().strip() != "ready":
                    raise RuntimeError("subscribers did not all connect")
            streams_per_process = [open_files(pid) for pid in worker_pids(server.pid)]
            sent = []
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for _ in range(FANOUT_BOOKINGS):
                time.sleep(FANOUT_GAP_SECONDS)
                began = time.time_ns()
                connection.request("POST", "/book", body=b"{}", headers={"Content-Type": "application/json"})
                answer = connection.getresponse()
                version = json.loads(answer.read())["version"]
                sent.append((version, began))
            connection.close()
            results = [json.loads(watcher.communicate("\n".join(str(v) for v, _ in sent) + "\n", timeout=120)[0])
                       for watcher in watchers]
        finally:
            for watcher in watchers:
                if watcher.poll() is None:
                    watcher.kill()
    last_ms = [max(result["last_ns"][str(version)] for result in results) / 1e6 - began / 1e6
               for version, began in sent]
    return {"last_ms_median": statistics.median(last_ms), "missed": sum(result["missed"] for result in results),
            "streams_per_process": streams_per_process}


def worker_pids(pid: int) -> list[int]:
    """The --workers supervisor's children, or the server itself when it has none."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children] or [pid]


def open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def fanout(context: Context, postgres: str) -> Row:
    ours, reference = against_go(context, postgres, "fanout", watch_once)
    ours_ms = statistics.median(run["last_ms_median"] for run in ours)
    reference_ms = statistics.median(run["last_ms_median"] for run in reference)
    missed = sum(run["missed"] for run in ours)
    return Row(
        "fan-out over two processes", f"one booking to the last of {FANOUT_SUBSCRIBERS:,} subscribers (spread by the "
        f"kernel over --workers 2 on PostgreSQL), median of {FANOUT_BOOKINGS} bookings; go-reference GOMAXPROCS=2",
        ours_ms, reference_ms, "go-reference", ratio=ours_ms / reference_ms, target="<= 1.0 x go-reference",
        met=missed == 0 and ours_ms <= reference_ms, unit="ms",
        detail=f"project runs {fmt(run['last_ms_median'] for run in ours)} (missed {missed}; open files per worker "
        f"{', '.join('/'.join(str(n) for n in run['streams_per_process']) for run in ours)}); go-reference runs "
        f"{fmt(run['last_ms_median'] for run in reference)}",
    )


def throughput_once(context: Context, command: list[str], port: int, name: str, *, cpu: str | None,
                    env: dict[str, str] | None) -> float:
    with running(command, port, context.log(name), cpu=cpu, env=env):
        return wrk_rate(context, port)


def throughput(context: Context, postgres: str) -> Row:
    ours, sqlite = [], []
    for round_ in range(ROUNDS):
        db_file = context.scratch / f"throughput-one-{round_}.db"
        one_process = functools.partial(processes.project_server, db=db_file, seats=100_000, row_size=100)
        sqlite.append(on_both_cores(context, one_process, f"throughput-sqlite-{round_}", throughput_once))
        with fresh_database(postgres) as db:
            ours.append(on_both_cores(context, lambda port, db=db: project_workers(port, db, 100_000, 100),
                                      f"throughput-workers-{round_}", throughput_once))
    ratio = statistics.median(ours) / statistics.median(sqlite)
    return Row(
        "booking throughput, two workers", "POST /book req/s, wrk 64 connections, 10 s: --workers 2 on PostgreSQL "
        "(fsync on) against one process on SQLite, both unpinned", statistics.median(ours),
        statistics.median(sqlite), "1 worker, SQLite", ratio=ratio, target=">= 1.0 x one SQLite process",
        met=ratio >= 1.0, unit="req/s", detail=f"two workers runs {fmt(ours)}; one SQLite process runs {fmt(sqlite)}",
    )


def rows(context: Context) -> list[Row]:
    with postgres_server() as postgres:
        return [burst(context, postgres), fanout(context, postgres), throughput(context, postgres)]


