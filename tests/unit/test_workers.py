"""`--workers N`: the arguments each worker process is started with."""

from __future__ import annotations

import pytest

from app.workers import worker_arguments


@pytest.mark.req("several-processes")
def test_a_worker_gets_the_same_arguments_as_one_worker_on_a_shared_port():
    argv = ["--db", "postgresql://h/db", "--workers", "4", "--port", "8000", "--no-reuse-port"]

    assert worker_arguments(argv) == ["--db", "postgresql://h/db", "--port", "8000", "--workers", "1",
                                      "--reuse-port"]
    assert worker_arguments(["--workers=3"]) == ["--workers", "1", "--reuse-port"]


@pytest.mark.req("metrics")
@pytest.mark.parametrize(("address", "index", "expected"), [
    ("127.0.0.1:9100", 0, ["--metrics-address", "127.0.0.1:9100"]),
    ("127.0.0.1:9100", 2, ["--metrics-address", "127.0.0.1:9102"]),
    ("[::1]:9100", 1, ["--metrics-address", "[::1]:9101"]),
    ("", 1, []),
    ("off", 1, []),
])
def test_each_worker_serves_its_metrics_on_a_port_of_its_own(address, index, expected):
    arguments = worker_arguments(["--metrics-address", address, "--workers", "2"], index, address)

    # The last --metrics-address wins (argparse), so the worker's own comes after the original.
    assert arguments == ["--metrics-address", address, *expected, "--workers", "1", "--reuse-port"]
