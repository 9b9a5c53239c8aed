"""Records every test's outcome and the requirements it proves (its `req` markers)
for the requirement report (`scripts/report`, run by `scripts/test`).

At the end of a run this writes `reports/last-run.json` (or the path in
`--req-results`): one entry per test with its node id, outcome and requirement
ids, and whether the run covered the whole suite. It only records; deciding what
passes is `tools/requirement_report.py`'s job.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RESULTS = ROOT / "reports" / "last-run.json"
# Worst first: a test's outcome is the worst of its setup, call and teardown.
RANK = {"passed": 0, "xpassed": 0, "skipped": 1, "xfailed": 1, "failed": 2, "error": 3}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--req-results", default=str(DEFAULT_RESULTS),
                     help="where to write test outcomes and their requirement ids (for scripts/report)")


class RequirementRecorder:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.started = time.time()
        self.requirements: dict[str, list[str]] = {}
        self.outcomes: dict[str, str] = {}
        self.durations: dict[str, float] = {}
        self.collection_errors: list[str] = []
        self.deselected = 0

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.deselected += len(items)

    def _whole_suite(self) -> bool:
        """True when the run selected every test (no paths narrower than the
        project or tests/, nothing deselected by -k, -m or --deselect)."""
        if self.deselected:
            return False
        if self.config.args_source == pytest.Config.ArgsSource.TESTPATHS:
            return True
        roots = {ROOT, ROOT / "tests"}
        return all((self.config.invocation_params.dir / arg).resolve() in roots for arg in self.config.args)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            ids = [str(marker.args[0]) for marker in item.iter_markers("req") if marker.args]
            self.requirements[item.nodeid] = sorted(set(ids))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(report.nodeid or "<session>")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        outcome = self._outcome(report)
        current = self.outcomes.get(report.nodeid)
        if current is None or RANK[outcome] > RANK[current]:
            self.outcomes[report.nodeid] = outcome
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration

    @staticmethod
    def _outcome(report: pytest.TestReport) -> str:
        if hasattr(report, "wasxfail"):
            return "xfailed" if report.skipped else "xpassed"
        if report.failed:
            return "failed" if report.when == "call" else "error"
        return "skipped" if report.skipped else "passed"

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        tests = [
            {"nodeid": nodeid, "requirements": reqs, "outcome": self.outcomes.get(nodeid, "not run"),
             "duration": round(self.durations.get(nodeid, 0.0), 3)}
            for nodeid, reqs in self.requirements.items()
        ]
        results = {
            "started": self.started,
            "finished": time.time(),
            "args": list(self.config.invocation_params.args),
            "exit_status": int(exitstatus),
            "whole_suite": self._whole_suite(),
            "collection_errors": self.collection_errors,
            "tests": tests,
        }
        path = Path(self.config.getoption("--req-results"))
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(results, indent=1))
        partial.replace(path)


TIER_ORDER = {"unit": 0, "http": 1, "e2e": 2}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Unit, then HTTP, then browser tests. Playwright's sync API keeps an asyncio
    loop marked as running in the main thread while a browser is open, and
    pytest-tornado cannot start its own loop until that browser is closed."""
    def tier(item: pytest.Item) -> int:
        parts = Path(str(item.path)).relative_to(ROOT).parts
        return TIER_ORDER.get(parts[1], 1) if len(parts) > 1 and parts[0] == "tests" else 1

    items.sort(key=tier)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(RequirementRecorder(config), "requirement-recorder")
