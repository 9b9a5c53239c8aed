"""docs/benchmarks.md: the table, the machine, the exact commands."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path

PROFILE_NOTES = Path(__file__).with_name("notes.md")


@dataclass
class Row:
    name: str
    measure: str
    ours: float
    reference: float | None
    reference_name: str | None
    ratio: float | None
    target: str
    met: bool
    unit: str
    detail: str = ""

    def summary(self) -> str:
        against = f" vs {self.reference_name} {self.reference:,.1f}" if self.reference is not None else ""
        ratio = f" = {self.ratio:.2f}x" if self.ratio is not None else ""
        return f"{self.name}: {self.ours:,.1f} {self.unit}{against}{ratio} -> {'met' if self.met else 'NOT met'}"


def first_line(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "n/a"
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr).strip() else "n/a"


def machine() -> list[str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    import tornado

    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    return [
        f"CPU: {cpu}, {os.cpu_count()} cores; {platform.system()} {platform.release()}",
        f"Python {platform.python_version()}, Tornado {tornado.version}; {first_line(['go', 'version'])}; "
        f"{first_line(['wrk', '--version']).split(' Copyright')[0]}; {first_line([chromium, '--version'])}",
        "Servers pinned to core 0 (`taskset -c 0`), load clients to core 1 (`taskset -c 1`, `GOMAXPROCS=1`).",
    ]


def cell(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:,.1f} {unit}"


def write_report(path: Path, rows: list[Row], commands: list[str], seconds: float) -> None:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmarks",
        "",
        f"Written by `bench/run` on {now} in {seconds / 60:.0f} minutes; every reference was measured in",
        "the same run, on the same machine. Each figure is the median of the rounds listed under",
        "'Each run'. Regenerate with `bench/run` (needs Go and wrk; see its header).",
        "",
        "| what | measure | project | reference | ratio | target | met |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        reference = f"{cell(row.reference, row.unit)} ({row.reference_name})" if row.reference is not None else "n/a"
        ratio = f"{row.ratio:.2f}" if row.ratio is not None else "n/a"
        lines.append(f"| {row.name} | {row.measure} | {cell(row.ours, row.unit)} | {reference} | {ratio} | "
                     f"{row.target} | {'yes' if row.met else '**no**'} |")
    lines += ["", "## Machine", ""] + [f"- {line}" for line in machine()]
    lines += ["", "## Each run", ""] + [f"- {row.name}: {row.detail}" for row in rows if row.detail]
    lines += ["", "## Exact commands", "", "`$BUILD` is where `bench/run` built the Go tools; `$SCRATCH` a",
              "fresh temporary directory; `PORT` a free port; `N` the round.", ""]
    lines += [f"    {command}" for command in commands]
    if PROFILE_NOTES.exists():
        lines += ["", PROFILE_NOTES.read_text().strip()]
    path.write_text("\n".join(lines) + "\n")

