"""Starting the servers under test pinned to one core, and the load clients on the other."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER_CPU = "0"
CLIENT_CPU = "1"


def pinned(cpu: str, command: list[str]) -> list[str]:
    """`command` run on one core, when taskset exists (it does on Debian)."""
    return ["taskset", "-c", cpu, *command] if shutil.which("taskset") else command


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {process.args}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}: {process.args}")


@contextmanager
def running(command: list[str], port: int, log: Path, cpu: str | None = SERVER_CPU,
            env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    """A server on core `cpu` (None: on every core), its output in `log`; stopped
    (SIGTERM, then SIGKILL) afterwards."""
    with log.open("ab") as output:
        process = subprocess.Popen(pinned(cpu, command) if cpu else command, cwd=ROOT, stdout=output,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env={**os.environ, **(env or {})})
        try:
            wait_for_port(port, process)
            # Let start-up work (imports, gc.freeze, venue creation) settle.
            time.sleep(0.5)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def project_server(port: int, db: Path | str, seats: int, row_size: int, *flags: str) -> list[str]:
    return [sys.executable, str(ROOT / "server.py"), "--host", "127.0.0.1", "--port", str(port),
            "--db", str(db), "--seats", str(seats), "--row-size", str(row_size), "--max-streams", "20000", *flags]


def go_reference(build: Path, port: int, seats: int) -> list[str]:
    return [str(build / "go-reference"), "-port", str(port), "-seats", str(seats)]


def tornado_ceiling(shared: Path, port: int) -> list[str]:
    return [sys.executable, str(shared / "peers" / "tornado-ceiling" / "ceiling.py"), str(port)]


def tornado_ceiling_backlog(shared: Path, port: int) -> list[str]:
    """The ceiling handler listening with this project's backlog (see ceiling_backlog.py)."""
    return [sys.executable, str(ROOT / "bench" / "ceiling_backlog.py"),
            str(shared / "peers" / "tornado-ceiling" / "ceiling.py"), str(port)]


def rss_kib(pid: int) -> int:
    """Resident memory of a process, from /proc (KiB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def client(command: list[str], timeout: float = 300.0) -> str:
    """Runs a load client on core 1 and returns what it printed."""
    done = subprocess.run(pinned(CLIENT_CPU, command), capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "GOMAXPROCS": "1"})
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout
