"""The product installs, tests and ships one way: the Dockerfile installs with the
script the README and CI use, CI runs the README's test command, and the
requirement report judges a run the way the README says. There is no Docker
engine on the build machines, so these read the files instead of building."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import pytest

from tools import requirement_report

ROOT = Path(__file__).resolve().parents[2]


def dockerfile_instructions() -> list[tuple[str, str, str]]:
    """(stage, instruction, arguments) for every instruction, continuations joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    stage, found = "", []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, arguments = line.partition(" ")
        if instruction.upper() == "FROM":
            stage = arguments.split()[-1] if " AS " in arguments.upper() else arguments
        found.append((stage, instruction.upper(), arguments))
    return found


def stage(name: str) -> list[tuple[str, str]]:
    return [(instruction, arguments) for s, instruction, arguments in dockerfile_instructions() if s == name]


@pytest.mark.req("packaging")
@pytest.mark.parametrize(("name", "command"), [("app", "scripts/install-deps --runtime"),
                                               ("test", "scripts/install-deps")])
def test_each_image_installs_with_the_script_ci_runs(name, command):
    runs = [arguments for instruction, arguments in stage(name) if instruction == "RUN"]

    assert any(re.match(rf"{re.escape(command)}(\s|&&|$)", run) for run in runs), runs


@pytest.mark.req("packaging")
def test_the_image_starts_from_a_pinned_debian_python_311():
    bases = [arguments.split()[0] for _, instruction, arguments in dockerfile_instructions() if instruction == "FROM"]

    assert bases[0] == bases[0].strip() and re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?",
                                                          bases[0]), bases[0]
    assert all(base in {bases[0], "base"} for base in bases)


@pytest.mark.req("packaging")
def test_the_app_image_runs_the_server_as_a_non_root_user_with_data_on_a_volume_and_a_health_check():
    app = {}
    for instruction, arguments in stage("app"):
        app.setdefault(instruction, []).append(arguments)

    assert app["USER"][-1].split(":")[0] not in {"0", "root"}
    assert any("/data" in volume for volume in app["VOLUME"])
    assert any("SEATS_DB=/data/" in env for env in app["ENV"])
    assert any("SEATS_HOST=0.0.0.0" in env for env in app["ENV"])
    assert app["EXPOSE"] == ["8888"]
    assert "/healthz" in app["HEALTHCHECK"][-1] and "python" in app["HEALTHCHECK"][-1]
    assert "server.py" in app["CMD"][-1]


@pytest.mark.req("packaging")
def test_the_test_image_runs_the_test_command_as_a_non_root_user():
    test = {}
    for instruction, arguments in stage("test"):
        test.setdefault(instruction, []).append(arguments)

    assert test["USER"][-1].split(":")[0] not in {"0", "root"}
    assert "scripts/test" in test["CMD"][-1]


@pytest.mark.req("packaging")
def test_ci_runs_the_readme_test_command():
    commands = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.lstrip().startswith("#")]

    assert any(re.fullmatch(r"(exec )?scripts/test( .*)?", command) for command in commands), commands


@pytest.mark.req("packaging")
def test_the_readme_commands_exist_as_executable_files():
    readme = (ROOT / "README.md").read_text()
    mentioned = set(re.findall(r"\bscripts/[\w-]+", readme))

    assert {"scripts/serve", "scripts/test"} <= mentioned
    for command in sorted(mentioned):
        assert (ROOT / command).is_file(), command
        assert os.access(ROOT / command, os.X_OK), f"{command} is not executable"


@pytest.mark.req("packaging")
def test_the_test_command_lints_the_dockerfile_and_ends_with_the_requirement_report():
    script = (ROOT / "scripts" / "test").read_text()

    assert "hadolint\" Dockerfile" in script or "hadolint Dockerfile" in script
    assert script.index("pytest") < script.index("scripts/report")


@pytest.mark.req("packaging")
def test_compose_runs_the_browser_tests_against_the_app_service():
    compose = (ROOT / "docker-compose.yml").read_text()

    assert re.search(r"^  app:\n(    .*\n)*?      target: app$", compose, re.MULTILINE)
    assert re.search(r"^  e2e:\n(    .*\n)*?      target: test$", compose, re.MULTILINE)
    assert "SEATS_BASE_URL: http://app:8888" in compose
    assert "condition: service_healthy" in compose
    assert re.search(r'^    command: \[[^]]*"tests/e2e"', compose, re.MULTILINE)
    assert 'os.environ.get("SEATS_BASE_URL"' in (ROOT / "tests" / "e2e" / "conftest.py").read_text()


@pytest.mark.req("packaging")
def test_the_build_context_keeps_what_the_test_image_needs():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}

    assert ignored.isdisjoint({"Dockerfile", "tests", "scripts", "tools", "README.md", ".ci", "*"})
    assert {".venv", ".git", "reports"} <= ignored


# ---- the requirement report -----------------------------------------------------------

def results(*tests: tuple[str, list[str], str]) -> dict:
    return {"started": 0.0, "finished": 1.0, "args": [], "exit_status": 0, "collection_errors": [],
            "tests": [{"nodeid": n, "requirements": r, "outcome": o, "duration": 0.1} for n, r, o in tests]}


def every_requirement_passing(tool) -> list[tuple[str, list[str], str]]:
    numbered, _ = tool.numbered_requirements()
    return [(f"t::{rid}", [rid], "passed") for rid in [*numbered, *tool.NAMED_REQS]]


@pytest.mark.req("packaging")
def test_the_report_passes_when_every_requirement_has_a_passing_test():
    tool = requirement_report

    data = tool.report(results(*every_requirement_passing(tool)), partial=False, now=dt.datetime.now(dt.UTC))

    assert (data["status"], data["problems"]) == ("passed", [])
    assert {"python", "tornado", "brython", "chromium", "playwright"} <= set(data["environment"])


@pytest.mark.req("packaging")
@pytest.mark.parametrize(("change", "problem"), [
    ("fail-one", "REQ-4: failed"),
    ("drop-one", "REQ-4: untested"),
    ("skip-one", "REQ-4: untested"),
    ("error-one", "REQ-4: failed"),
])
def test_a_requirement_with_no_passing_test_or_a_failing_one_fails_the_report(change, problem):
    tool = requirement_report
    tests = every_requirement_passing(tool)
    index = next(i for i, test in enumerate(tests) if test[1] == ["REQ-4"])
    outcome = {"fail-one": "failed", "skip-one": "skipped", "error-one": "error"}.get(change)
    if outcome is None:
        del tests[index]
    else:
        tests[index] = (tests[index][0], ["REQ-4"], outcome)

    data = tool.report(results(*tests), partial=False, now=dt.datetime.now(dt.UTC))

    assert data["status"] == "failed"
    assert data["problems"] == [problem]


@pytest.mark.req("packaging")
def test_a_partial_run_lists_requirements_it_did_not_cover_as_not_run():
    tool = requirement_report

    data = tool.report(results(("t::a", ["REQ-1"], "passed")), partial=True, now=dt.datetime.now(dt.UTC))

    statuses = {req["id"]: req["status"] for req in data["requirements"]}
    assert (data["status"], statuses["REQ-1"], statuses["REQ-2"]) == ("passed", "passed", "not run")


@pytest.mark.req("packaging")
def test_numbered_requirements_come_from_the_shared_table_else_the_built_in_list(tmp_path):
    tool = requirement_report
    table = tmp_path / "requirements.md"
    table.write_text("| id | requirement |\n| --- | --- |\n| REQ-1 | First. |\n| REQ-2 | Second, `code`. |\n")

    assert tool.numbered_requirements(table) == ({"REQ-1": "First.", "REQ-2": "Second, `code`."}, str(table))
    assert tool.numbered_requirements(tmp_path / "missing.md") == (tool.BUILT_IN_REQS, "built-in")
    assert list(tool.BUILT_IN_REQS) == [f"REQ-{n}" for n in range(1, 12)]


@pytest.mark.req("packaging")
def test_the_report_command_writes_a_dated_report_and_exits_non_zero_on_a_failure(tmp_path, capsys):
    tool = requirement_report
    tests = every_requirement_passing(tool)
    tests[0] = (tests[0][0], tests[0][1], "failed")
    run = tmp_path / "last-run.json"
    run.write_text(json.dumps(results(*tests)))

    status = tool.main(["--results", str(run), "--reports-dir", str(tmp_path / "reports")])

    written = list((tmp_path / "reports").glob("*/*/report.json"))
    assert status == 1
    assert len(written) == 1
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}/\d{2}-\d{2}-\d{2}", written[0].parent.relative_to(tmp_path / "reports")
                        .as_posix())
    assert json.loads(written[0].read_text())["status"] == "failed"
    assert "FAIL REQ-1: failed" in capsys.readouterr().out


@pytest.mark.req("packaging")
def test_a_whole_suite_run_with_an_untagged_test_fails_the_report_naming_it():
    tool = requirement_report
    tests = [*every_requirement_passing(tool), ("t::untagged", [], "passed")]

    data = tool.report(results(*tests), partial=False, now=dt.datetime.now(dt.UTC))

    assert data["status"] == "failed"
    assert data["problems"] == ["untagged (no @pytest.mark.req): t::untagged"]
    assert data["untagged_tests"] == ["t::untagged"]


@pytest.mark.req("packaging")
@pytest.mark.parametrize(("outcome", "status", "problems"), [
    ("passed", "passed", []),
    ("failed", "failed", ["failed (no requirement): t::untagged"]),
])
def test_a_partial_run_only_warns_about_an_untagged_test_unless_it_failed(outcome, status, problems):
    tool = requirement_report

    data = tool.report(results(("t::a", ["REQ-1"], "passed"), ("t::untagged", [], outcome)), partial=True,
                       now=dt.datetime.now(dt.UTC))

    assert (data["status"], data["problems"], data["untagged_tests"]) == (status, problems, ["t::untagged"])


@pytest.mark.req("packaging")
@pytest.mark.parametrize(("whole_suite", "status"), [(True, 1), (False, 0)])
def test_the_report_command_exits_non_zero_on_untagged_tests_only_for_the_whole_suite(tmp_path, capsys,
                                                                                       whole_suite, status):
    tool = requirement_report
    run = tmp_path / "last-run.json"
    run.write_text(json.dumps({**results(*every_requirement_passing(tool), ("t::untagged", [], "passed")),
                               "whole_suite": whole_suite}))

    assert tool.main(["--results", str(run), "--reports-dir", str(tmp_path / "reports")]) == status

    out = capsys.readouterr().out
    if whole_suite:
        assert "FAIL untagged (no @pytest.mark.req): t::untagged" in out
    else:
        assert "warning: 1 tests carry no req marker, e.g. t::untagged" in out
