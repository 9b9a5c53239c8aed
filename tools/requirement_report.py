#!/usr/bin/env python3
"""The requirement report: which tests prove each requirement, and did they pass.

Reads the last test run (`reports/last-run.json`, written by the pytest plugin
in `tests/conftest.py`), writes `reports/<YYYY-MM-DD>/<HH-MM-SS>/report.json`
(UTC) with every requirement, its tests, their outcomes and the environment, and
prints a summary table. Exits 1 when a required requirement has no passing test,
any test of any requirement failed, or (in a whole-suite run) a test carries no
`req` marker (2 when there is no run to report on).

    tools/requirement_report.py [--results reports/last-run.json] [--partial]

A run of part of the suite (`scripts/test tests/unit`, `-k`, ...) is reported as
partial: a requirement with no test in that run is listed as "not run" instead
of failing, and a test with no `req` marker is a warning unless it failed.
`--partial` forces that for any run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "reports" / "last-run.json"
# CI checks the shared specification out beside the repository.
SHARED_REQUIREMENTS = ROOT.parent / "shared" / "requirements.md"

# Used when ../shared/requirements.md is not there (in a container, say).
BUILT_IN_REQS = {
    "REQ-1": "No libraries beyond the stack: Tornado + stdlib on the server, Brython + fetch/EventSource in the page.",
    "REQ-2": "Every change to seat state is serialized by one tornado.locks.Lock; 50 concurrent bookings lose nothing.",
    "REQ-3": "GET /events is SSE with text/event-stream, Cache-Control: no-cache, Connection: keep-alive.",
    "REQ-4": "After every successful booking, every connected stream receives the new state.",
    "REQ-5": "The page keeps what it needs to undo each optimistic action.",
    "REQ-6": "The optimistic change is shown before fetch resolves.",
    "REQ-7": "A failed fetch or a non-2xx answer undoes that action by itself.",
    "REQ-8": "The page opens its EventSource when it starts and closes it when it goes away.",
    "REQ-9": "One seat left and five concurrent bookings: exactly one succeeds, four get 409.",
    "REQ-10": "A 500 from the server: the change shows at once, then reverts by itself.",
    "REQ-11": "Client A books; client B sees it through its stream, with no reload.",
}

# The product's own requirements (issue 5 and ../shared/requirements.md), each
# needing at least one passing test.
NAMED_REQS = {
    "best-available": "Best-available seats: front row first, then closest to the middle; adjacent for a quantity.",
    "all-or-nothing": "A multi-seat booking takes every seat asked for or none.",
    "cancellation": "Only the booker (bearer token) can cancel; released seats are free again.",
    "idempotency": "A retried request with the same Idempotency-Key gets the original answer and books nothing more.",
    "durability": "Every acknowledged booking survives a crash or restart; versions keep going up.",
    "resume": "A stream resumed with Last-Event-ID gets exactly the missed events, else a snapshot.",
    "stalled-reader": "A reader that stops reading is cut off at --max-backlog without slowing the others.",
    "bad-input": "Every malformed request gets a clear JSON 4xx and changes nothing.",
    "browser-concurrency": "Several browsers booking at once each see a consistent, live venue.",
    "security-headers": "Every response: CSP ('self', 'unsafe-eval'), frame-ancestors 'none', nosniff, Referrer-Policy",
    "origin": "POST /book and DELETE from another site's origin are refused unless configured.",
    "stream-cap": "Past --max-streams, /events answers 503 with Retry-After.",
    "rate-limit": "Past --rate-limit bookings per second, a client gets 429 with Retry-After.",
    "shutdown": "SIGTERM under load: streams end cleanly, acknowledged bookings are on disk, exit 0.",
    "access-log": "One access log line per request, JSON with --log-format json.",
    "packaging": "The image installs with scripts/install-deps; README, CI and the image run scripts/test.",
    "page-access": "Every seat is a labelled button, bookable by keyboard; the page fits a 360 px wide phone.",
    "page-budget": "The page starts on brython.js alone, within 500 KB on the wire (its start time: bench/page.py).",
    # Contract Part 2 (issue 8): shows, holds and checkout.
    "shows": "Several shows, each with its own seats, versions, stream, holds and bookings; admin-only creation.",
    "layouts": "Layouts of sections and rows of any length, with prices and accessible seats, up to 100,000 seats.",
    "holds": "A basket holds seats all or nothing; add, remove one, release, read; others see them held.",
    "hold-expiry": "A hold expires --hold-seconds after creation as a change like any other; a late confirm "
                   "wins only if its seats are untouched.",
    "checkout": "Confirming a basket with name and email books its seats; expiry and confirm: exactly one wins.",
    "references": "Every booking has a short readable reference, unique in its show.",
    "compact-snapshot": "/shows/{show}/seats and its stream's snapshot: one letter a seat, 50,000 seats in 64 KB.",
    "migration": "A database written by the single-venue version opens with its venue and bookings as show main.",
    # Hardening, round two (issue 10).
    "connection-limits": "Connections capped in total and per address (JSON 503), idle and body timeouts, and "
                         "an accept loop that backs off when out of file descriptors.",
    "storage-health": "A failed, lost or foreign database refuses changes, fails /healthz and is never silently "
                      "recreated empty.",
    "body-limits": "Every route has a body limit; past it a clean 413 and nothing kept.",
    "cors": "Pages of --allowed-origins get their preflights answered and can read the answers; others cannot.",
    "fsync-failure": "A failed commit says its outcome is unknown, refuses changes, reopens and reloads from disk.",
    # Several processes on PostgreSQL (issue 11).
    "several-processes": "Several server processes on one PostgreSQL sell the same shows: no seat twice, gapless "
                         "versions, every change on every process's streams, resumable anywhere, expiry once.",
    # The sales page (issue 9): the buyer's page for contract Part 2.
    "page-basket": "A click holds a seat into the basket (optimistic, rolled back with a notice), a basket seat "
                   "comes out again; #quantity + #book hold the best N; prices, total and the hold's countdown.",
    "page-checkout": "Checkout with name and email confirms the basket; a readable reference; my bookings, "
                     "cancelled only after a confirmation step.",
    "never-lose-booking": "A request keeps its Idempotency-Key until a final answer; a late answer gives the seats "
                          "back (basket, or mine after a confirm), with no duplicate booking.",
    "page-multi-tab": "Tabs of one browser share holds and bookings per show without overwriting each other.",
    "page-large-venue": "50,000 seats: an overview of sections, zoom, only what is on screen drawn, labels and "
                        "stage in view, seats of at least 24 px on a phone.",
    "page-honest-states": "A loading state until ready (never '0 seats free'), controls disabled; a banner while "
                          "the stream is down, saying when the server was last heard.",
    # What operators and integrators expect (issue 12).
    "openapi": "GET /openapi.json describes every route the application serves, and only those, as OpenAPI 3.1.",
    "fuzzing": "schemathesis fuzzes a real server from that document: no 5xx, and every status, content type, "
               "header and body as documented.",
    "metrics": "GET /metrics in Prometheus's text format: each counter moves by exactly what happened; on an "
               "address of its own or off.",
}

# Ids that tests may carry without being required (reported, never "untested").
OPTIONAL_REQS = {
    "versions": "Every response and event carries the version it reflects.",
    "heartbeat": "Streams get a ': ping' comment every --heartbeat seconds.",
    "config": "Every option from a flag, else SEATS_<NAME>, else its default; bad values refused.",
    "sse-format": "The Server-Sent Events wire format, byte for byte.",
}

PASSING = {"passed", "xpassed"}
FAILING = {"failed", "error"}


@dataclass
class Requirement:
    id: str
    title: str
    source: str
    required: bool
    tests: list[dict] = field(default_factory=list)

    def status(self, partial: bool) -> str:
        outcomes = [test["outcome"] for test in self.tests]
        if any(outcome in FAILING for outcome in outcomes):
            return "failed"
        if any(outcome in PASSING for outcome in outcomes):
            return "passed"
        if not self.required:
            return "optional"
        return "not run" if partial else "untested"


def numbered_requirements(path: Path = SHARED_REQUIREMENTS) -> tuple[dict[str, str], str]:
    """REQ-n rows of the shared requirements table, else the built-in copy."""
    if path.is_file():
        rows = re.findall(r"^\|\s*(REQ-\d+)\s*\|\s*(.+?)\s*\|\s*$", path.read_text(encoding="utf-8"), re.MULTILINE)
        if rows:
            return dict(rows), str(path)
    return dict(BUILT_IN_REQS), "built-in"


def requirement_sort_key(req_id: str) -> tuple[int, int, str]:
    match = re.fullmatch(r"REQ-(\d+)", req_id)
    return (0, int(match.group(1)), "") if match else (1, 0, req_id)


def build_requirements(tests: list[dict], numbered: dict[str, str], source: str) -> tuple[list[Requirement], list[str]]:
    reqs = {rid: Requirement(rid, title, source, True) for rid, title in numbered.items()}
    reqs.update({rid: Requirement(rid, title, "named", True) for rid, title in NAMED_REQS.items()})
    reqs.update({rid: Requirement(rid, title, "named", False) for rid, title in OPTIONAL_REQS.items()})
    unknown = set()
    for test in tests:
        for rid in test["requirements"]:
            if rid not in reqs:
                unknown.add(rid)
                reqs[rid] = Requirement(rid, "(not a known requirement id)", "unknown", False)
            reqs[rid].tests.append({k: test[k] for k in ("nodeid", "outcome", "duration")})
    ordered = sorted(reqs.values(), key=lambda r: requirement_sort_key(r.id))
    return ordered, sorted(unknown)


def command_output(*command: str) -> str | None:
    if shutil.which(command[0]) is None and not Path(command[0]).is_file():
        return None
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def environment() -> dict[str, str | None]:
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "tornado": package_version("tornado"),
        "brython": package_version("brython"),
        "chromium": command_output(chromium, "--version"),
        "playwright": package_version("playwright"),
        "pytest": package_version("pytest"),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "git_commit": command_output("git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"),
    }


def summary_table(reqs: list[Requirement], partial: bool) -> str:
    rows = [("requirement", "status", "passed", "tests", "what")]
    for req in reqs:
        passed = sum(test["outcome"] in PASSING for test in req.tests)
        title = req.title if len(req.title) <= 70 else req.title[:67] + "..."
        rows.append((req.id, req.status(partial), str(passed), str(len(req.tests)), title))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])
        if n == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 4)
    return "\n".join(lines)


def report(results: dict, partial: bool, now: dt.datetime, requirements_path: Path = SHARED_REQUIREMENTS) -> dict:
    numbered, source = numbered_requirements(requirements_path)
    reqs, unknown = build_requirements(results["tests"], numbered, source)
    statuses = {req.id: req.status(partial) for req in reqs}
    problems = [f"{rid}: {status}" for rid, status in statuses.items() if status in {"failed", "untested"}]
    problems += [f"collection error: {nodeid}" for nodeid in results.get("collection_errors", [])]
    untagged = [test["nodeid"] for test in results["tests"] if not test["requirements"]]
    if partial:
        # Part of the suite: an untagged test only fails the report when it failed.
        problems += [f"failed (no requirement): {test['nodeid']}" for test in results["tests"]
                     if not test["requirements"] and test["outcome"] in FAILING]
    else:
        # The whole suite: every test must name the requirement it proves.
        problems += [f"untagged (no @pytest.mark.req): {nodeid}" for nodeid in untagged]
    return {
        "generated_at": now.isoformat(timespec="seconds"),
        "status": "failed" if problems else "passed",
        "problems": problems,
        "partial": partial,
        "requirements_source": source,
        "run": {
            "args": results.get("args", []),
            "pytest_exit_status": results.get("exit_status"),
            "started": dt.datetime.fromtimestamp(results["started"], dt.UTC).isoformat(timespec="seconds"),
            "finished": dt.datetime.fromtimestamp(results["finished"], dt.UTC).isoformat(timespec="seconds"),
            "tests": len(results["tests"]),
            "outcomes": _count(test["outcome"] for test in results["tests"]),
        },
        "environment": environment(),
        "requirements": [
            {"id": req.id, "title": req.title, "source": req.source, "required": req.required,
             "status": statuses[req.id], "tests": req.tests}
            for req in reqs
        ],
        "unknown_requirement_ids": unknown,
        "untagged_tests": untagged,
    }


def _count(values) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))


def write_report(data: dict, now: dt.datetime, reports_dir: Path) -> Path:
    folder = reports_dir / now.strftime("%Y-%m-%d") / now.strftime("%H-%M-%S")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "report.json"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Requirement report for the last test run.")
    parser.add_argument("--results", type=Path, default=RESULTS, help="test outcomes written by tests/conftest.py")
    parser.add_argument("--reports-dir", type=Path, default=ROOT / "reports")
    parser.add_argument("--requirements", type=Path, default=SHARED_REQUIREMENTS,
                        help="the shared requirements table (REQ-n rows); a built-in copy when missing")
    parser.add_argument("--partial", action="store_true",
                        help="treat the run as covering part of the suite: untested requirements are 'not run'")
    args = parser.parse_args(argv)
    if not args.results.is_file():
        print(f"requirement report: no test results at {args.results}; run the tests first", file=sys.stderr)
        return 2
    results = json.loads(args.results.read_text(encoding="utf-8"))
    now = dt.datetime.now(dt.UTC)
    partial = args.partial or not results.get("whole_suite", True)
    data = report(results, partial, now, args.requirements)
    path = write_report(data, now, args.reports_dir)

    reqs = [Requirement(r["id"], r["title"], r["source"], r["required"], r["tests"]) for r in data["requirements"]]
    env = data["environment"]
    print("\nRequirement report" + (" (partial run)" if partial else ""))
    print(summary_table(reqs, partial))
    print("\n" + ", ".join(f"{name} {env[name] or 'n/a'}"
                           for name in ("python", "tornado", "brython", "chromium", "playwright")))
    if data["untagged_tests"] and partial:
        print(f"warning: {len(data['untagged_tests'])} tests carry no req marker, e.g. {data['untagged_tests'][0]}")
    if data["unknown_requirement_ids"]:
        print(f"warning: unknown requirement ids: {', '.join(data['unknown_requirement_ids'])}")
    for problem in data["problems"]:
        print(f"FAIL {problem}")
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    print(f"requirement report: {data['status'].upper()} -> {shown}")
    return 0 if data["status"] == "passed" else 1


if __name__ == "__main__":
    sys.exit(main())
