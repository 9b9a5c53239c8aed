"""`--workers N`: N independent server processes sharing one port.

Each worker is a fresh `python server.py … --workers 1 --reuse-port`, started
by this small supervisor (no fork of a running event loop: Tornado's maintainer
advises against it). Linux spreads new connections over the workers
(SO_REUSEPORT). The supervisor passes SIGTERM/SIGINT on, waits for every worker
to finish its shutdown, and restarts a worker that dies, after a pause. A worker
that exits with an error within its first seconds (a taken port, no database) is
not restarted: the supervisor stops the others and exits with its status, so a typo
fails loudly instead of looping.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from app.config import metrics_endpoint

log = logging.getLogger("seats.workers")

SERVER = Path(__file__).resolve().parents[1] / "server.py"
RESTART_PAUSE = 1.0
# A worker that exits sooner than this after its start failed to start at all.
STARTUP_SECONDS = 5.0


def worker_arguments(argv: Sequence[str], index: int = 0, metrics_address: str = "") -> list[str]:
    """The server's arguments for worker `index`: the same, one worker, a shared
    port; with `--metrics-address HOST:PORT`, its own metrics port, PORT+index
    (each process counts its own, and a scrape must know which it reached)."""
    kept, skip = [], False
    for argument in argv:
        if skip:
            skip = False
            continue
        if argument in ("--workers", "--reuse-port", "--no-reuse-port"):
            skip = argument == "--workers"
            continue
        if argument.startswith("--workers="):
            continue
        kept.append(argument)
    own_metrics = []
    endpoint = metrics_endpoint(metrics_address)
    if endpoint is not None:
        host = f"[{endpoint[0]}]" if ":" in endpoint[0] else endpoint[0]
        own_metrics = ["--metrics-address", f"{host}:{endpoint[1] + index}"]
    return [*kept, *own_metrics, "--workers", "1", "--reuse-port"]


def supervise(argv: Sequence[str], count: int, metrics_address: str = "") -> int:
    """Run `count` workers until SIGTERM/SIGINT; the exit status is the worst of theirs."""
    commands = [[sys.executable, str(SERVER), *worker_arguments(argv, n, metrics_address)] for n in range(count)]
    workers = [subprocess.Popen(command) for command in commands]
    started = [time.monotonic()] * count
    stopping = False
    failed = 0

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("%d workers on one port: %s", count, ", ".join(str(w.pid) for w in workers))
    while not stopping:
        for n, worker in enumerate(workers):
            if stopping or worker.poll() is None:
                continue
            # A positive status soon after the start is the worker refusing to run;
            # a signal (the OOM killer, an operator's kill) is worth a restart.
            if worker.returncode > 0 and time.monotonic() - started[n] < STARTUP_SECONDS:
                log.error("worker %d failed to start (exit %s); stopping the others", worker.pid, worker.returncode)
                failed = worker.returncode or 1
                stop(signal.SIGTERM, None)
                break
            log.error("worker %d exited with %s; restarting it in %.0f s", worker.pid, worker.returncode,
                      RESTART_PAUSE)
            time.sleep(RESTART_PAUSE)
            if not stopping:
                workers[n] = subprocess.Popen(commands[n])
                started[n] = time.monotonic()
                log.info("worker %d started in place of %d", workers[n].pid, worker.pid)
        time.sleep(0.2)
    statuses = [worker.wait() for worker in workers]
    return failed or max(statuses, default=0)
