"""What several benchmark rows share: the run's context (scratch files, the exact
commands noted for the report) and the measurements more than one row makes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from bench import processes
from bench.processes import ROOT, client, free_port, running

T = TypeVar("T")
SUBSCRIBERS = 10_000


@dataclass
class Context:
    build: Path
    shared: Path
    scratch: Path
    commands: list[str]

    def log(self, name: str) -> Path:
        return self.scratch / f"{name}.log"

    def note(self, command: list[str]) -> None:
        """Keeps each distinct command for the report's 'exact commands' section."""
        text = " ".join(str(part) for part in command).replace(str(self.scratch), "$SCRATCH")
        text = text.replace(str(self.build), "$BUILD").replace(str(self.shared), "../shared")
        text = re.sub(r"-\d+\.db", "-N.db", text.replace(str(ROOT) + "/", ""))
        text = re.sub(r"--port \d+|-port \d+|127\.0\.0\.1:\d+|ceiling\.py \d+", _port_placeholder, text)
        if text not in self.commands:
            self.commands.append(text)


def _port_placeholder(match: re.Match) -> str:
    return re.sub(r"\d+$", "PORT", match.group(0))


def wrk_rate(context: Context, port: int) -> float:
    """Requests per second of POST /book {} at 64 connections for 10 s, after a 2 s warm-up."""
    url = f"http://127.0.0.1:{port}/book"
    script = str(ROOT / "bench" / "book.lua")
    client(["wrk", "-t1", "-c64", "-d2s", "-s", script, url])
    command = ["wrk", "-t1", "-c64", "-d10s", "-s", script, url]
    context.note(processes.pinned(processes.CLIENT_CPU, command))
    output = client(command)
    if "Non-2xx" in output or "Socket errors" in output:
        raise RuntimeError(f"wrk saw failures:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def on_fresh_server(context: Context, server: Callable[[int], list[str]], name: str,
                    measure: Callable[[Context, list[str], int, str], T]) -> T:
    """Runs `measure` against `server(port)` started on a free port, noting its command."""
    port = free_port()
    command = server(port)
    context.note(processes.pinned(processes.SERVER_CPU, command))
    return measure(context, command, port, name)


def burst_once(context: Context, command: list[str], port: int, name: str, *, cpu: str | None = processes.SERVER_CPU,
               env: dict[str, str] | None = None) -> dict:
    with running(command, port, context.log(name), cpu=cpu, env=env):
        load = [str(context.build / "loadclient"), "-mode", "burst", "-addr", f"127.0.0.1:{port}",
                "-n", str(SUBSCRIBERS)]
        context.note(processes.pinned(processes.CLIENT_CPU, load))
        result = json.loads(client(load))
    statuses = {int(code): count for code, count in result["statuses"].items()}
    # Exact for a 1,000-seat server; the ceiling handler answers 200 to everyone.
    result["correct"] = statuses in ({200: 1000, 409: 9000}, {200: SUBSCRIBERS}) and not result["errors"]
    return result


def describe_burst(run: dict) -> str:
    counts = ", ".join(f"{count} x {code}" for code, count in sorted(run["statuses"].items()))
    errors = ", ".join(f"{count} {kind}" for kind, count in run["errors"].items()) or "no errors"
    return f"{run['decide_all_ms']:.0f} ms ({counts}, {errors})"


def fmt(values) -> str:
    return ", ".join(f"{value:.1f}" for value in values)
