"""Real servers for tests that need more than the in-loop app: one in a thread
(for synchronous clients such as hypothesis-driven tests) and one as a separate
process (for restarts, crashes and signals)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from app.config import Config
from application import SeatServer

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def threaded_server(config: Config) -> Iterator[str]:
    """The whole product on its own event loop in a background thread."""
    config = Config(**{**config.__dict__, "host": "127.0.0.1", "port": free_port()})
    ready = threading.Event()
    state: dict = {}

    async def run() -> None:
        server = SeatServer(config)
        server.start()
        state["server"], state["stop"] = server, asyncio.Event()
        ready.set()
        await state["stop"].wait()
        await server.shutdown()

    def main() -> None:
        state["loop"] = asyncio.new_event_loop()
        state["loop"].run_until_complete(run())
        state["loop"].close()

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    assert ready.wait(10), "server thread did not start"
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        state["loop"].call_soon_threadsafe(state["stop"].set)
        thread.join(15)


class ServerProcess:
    """`python server.py ...` as a child process, for restarts and signals."""

    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.args = ["--host", "127.0.0.1", "--port", str(self.port), *args]
        self.process: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{self.port}"
        self._stderr: IO[bytes] | None = None

    def start(self, timeout: float = 15.0) -> ServerProcess:
        # Into a file, not a pipe: nobody reads a pipe while the server runs, and
        # once its 64 KB are full of access log lines the server blocks on a write.
        self._close_log()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the process; closed by stop)
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "server.py"), *self.args], cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=self._stderr, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log()
            try:
                self.get("/healthz")
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("server did not become healthy")

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(self.url + path, timeout=5) as response:
            return json.loads(response.read())

    def get_status(self, path: str) -> int:
        """The status of a GET, error statuses included."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def terminate(self, timeout: float = 20.0) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def log(self) -> str:
        """What the process (this start of it) has written to standard error."""
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._close_log()

    def _close_log(self) -> None:
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
