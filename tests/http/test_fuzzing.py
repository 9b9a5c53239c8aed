"""Fuzzing a real server from its OpenAPI document, with schemathesis.

A `server.py` process on 127.0.0.1 (SQLite in memory, an admin token) serves
`/openapi.json`; schemathesis reads the document from there and, for every
operation, sends the document's examples, its coverage cases (boundary and
invalid values of every parameter and body) and `FUZZ_EXAMPLES` random cases,
valid and invalid; then it walks the document's links as a state machine (book
→ cancel; hold → read, add, take a seat out, confirm → cancel; create a show →
book or hold in it). Every answer must pass `CHECKS`: no 5xx, a status the
document lists for the operation, a content type it lists, a body that matches
its schema, and the headers it marks required (`Retry-After`, `Location`,
`WWW-Authenticate`).

The event streams are fuzzed too: schemathesis reads a `text/event-stream`
answer until `max-stream-events` events (1: the snapshot, or the first event
replayed on a resume) or until `request-timeout`, and checks each event and
its JSON `data` against the document.

How many cases ran is written at the end of the run (and kept in
docs/operations.md, "API description").
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from handlers.openapi import OPENAPI_PATH
from tests.support.servers import ServerProcess

ADMIN_TOKEN = "fuzz-admin-token"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
# Random cases per operation (on top of its examples and coverage cases); with
# the state machine's scenarios the whole file takes about 70 s (3,166 cases)
# on a 2-core machine.
FUZZ_EXAMPLES = 100
STATEFUL_SCENARIOS = 100
# An event stream never ends: read it for at most this long (the snapshot comes at once).
REQUEST_TIMEOUT = 2
SERVER_ARGS = (
    "--db", ":memory:", "--admin-token", ADMIN_TOKEN,
    # Room for every hold and booking of the run, so few answers are 409 sold_out.
    "--seats", "2000", "--row-size", "20",
    # One client address makes every hold: keep the per-client cap out of the way.
    "--max-holds-per-client", "100000",
    "--heartbeat", "1",
)

cases_run: Counter[str] = Counter()


@pytest.fixture(scope="module")
def fuzzed_server(request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    server = ServerProcess(*SERVER_ARGS).start()
    started = time.monotonic()
    yield server
    server.stop()
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None and cases_run:
        per_operation = ", ".join(f"{label} {count}" for label, count in sorted(cases_run.items()))
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\nschemathesis: {sum(cases_run.values())} cases in "
                                f"{time.monotonic() - started:.0f} s ({per_operation})")


def project_config(base_url: str | None = None) -> schemathesis.Config:
    return schemathesis.Config.from_dict({
        **({"base-url": base_url} if base_url else {}),
        "request-timeout": REQUEST_TIMEOUT,
        "max-stream-events": 1,
        "generation": {"mode": "all", "max-examples": FUZZ_EXAMPLES},
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True},
                   "stateful": {"enabled": True}},
        "auth": {"openapi": {"adminToken": {"bearer": ADMIN_TOKEN}}, "auto-signup": False},
    })


# Read from the file at collection, so each operation is a test of its own (the
# server, started by a fixture, gives the base URL at call time; that it serves
# this very file is tests/http/test_openapi.py's job). schemathesis's lazy
# `from_fixture` loader sets `node._nodeid`, which pytest 9.2 no longer has.
schema = schemathesis.openapi.from_path(OPENAPI_PATH, config=project_config())


@pytest.mark.req("fuzzing")
@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented_to_generated_requests(case: schemathesis.Case,
                                                                     fuzzed_server: ServerProcess) -> None:
    cases_run[case.operation.label] += 1

    case.call_and_validate(base_url=fuzzed_server.url, checks=CHECKS)


@pytest.mark.req("fuzzing")
def test_linked_operations_in_sequence_answer_as_documented(fuzzed_server: ServerProcess) -> None:
    machine = schemathesis.openapi.from_path(OPENAPI_PATH, config=project_config(fuzzed_server.url)).as_state_machine()

    class Scenarios(machine):  # type: ignore[misc, valid-type]
        def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
            cases_run[f"stateful {case.operation.label}"] += 1
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None)

    Scenarios.run(settings=settings(max_examples=STATEFUL_SCENARIOS, deadline=None,
                                    suppress_health_check=list(HealthCheck), stateful_step_count=6))
