"""Operators create shows without curl (`server.py add-show`), and the default
show can come from a layout file (`--layout`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.servers import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "jazz-night.json"


@pytest.fixture
def server(tmp_path):
    process = ServerProcess("--db", str(tmp_path / "seats.db"), "--admin-token", "let-me-in").start()
    yield process
    process.stop()


def add_show(*args: str, token: str = "let-me-in") -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / "scripts" / "add-show"), *args], capture_output=True, text=True, timeout=30,
                          env={"SEATS_ADMIN_TOKEN": token, "PATH": "/usr/bin:/bin"}, check=False)


@pytest.mark.req("shows")
def test_add_show_creates_the_show_in_the_file_and_a_second_run_changes_nothing(server):
    # Act
    first = add_show(str(EXAMPLE), "--url", server.url)
    second = add_show(str(EXAMPLE), "--url", server.url)

    # Assert
    assert first.returncode == 0, first.stderr
    assert "created show 'jazz-0612'" in first.stdout and "148 seats" in first.stdout
    assert second.returncode == 0, second.stderr
    assert [show["id"] for show in server.get("/shows")] == ["main", "jazz-0612"]
    assert server.get("/shows/jazz-0612")["layout"] == json.loads(EXAMPLE.read_text())["layout"]


@pytest.mark.req("shows")
def test_add_show_says_why_the_server_refused(server, tmp_path):
    # Arrange
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"id": "x", "name": "X", "layout": {"sections": []}}))

    # Act
    wrong_token = add_show(str(EXAMPLE), "--url", server.url, token="nope")
    bad_layout = add_show(str(bad), "--url", server.url)

    # Assert
    assert (wrong_token.returncode, bad_layout.returncode) == (1, 1)
    assert "403" in wrong_token.stderr
    assert "400: layout.sections must be a non-empty list" in bad_layout.stderr
    assert [show["id"] for show in server.get("/shows")] == ["main"]


@pytest.mark.req("layouts")
def test_the_default_show_of_a_new_database_can_come_from_a_layout_file(tmp_path):
    # Arrange
    layout_file = tmp_path / "venue.json"
    layout_file.write_text(json.dumps(json.loads(EXAMPLE.read_text())["layout"]))
    server = ServerProcess("--db", str(tmp_path / "seats.db"), "--layout", str(layout_file)).start()

    # Act
    try:
        detail = server.get("/shows/main")
        seats = server.get("/seats")
    finally:
        server.stop()

    # Assert
    assert detail["layout"] == json.loads(layout_file.read_text())
    assert seats["total"] == 148
    assert [s["id"] for s in seats["seats"][:2]] == ["A1", "A2"]


@pytest.mark.req("layouts")
@pytest.mark.req("config")
def test_a_bad_layout_file_stops_the_server_with_one_clear_line(tmp_path):
    # Arrange
    layout_file = tmp_path / "venue.json"
    layout_file.write_text(json.dumps({"sections": [{"name": "S", "price": 1, "rows": [{"label": "A1", "seats": 3}]}]}))

    # Act
    result = subprocess.run([sys.executable, str(ROOT / "server.py"), "--db", str(tmp_path / "s.db"), "--layout",
                             str(layout_file), "--port", "1"], capture_output=True, text=True, timeout=30, check=False)

    # Assert
    assert result.returncode == 2
    assert "label must be 1 to 8 letters" in result.stderr
    assert "Traceback" not in result.stderr
