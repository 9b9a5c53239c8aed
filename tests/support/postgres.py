"""A fresh PostgreSQL database per test, on the server `SEATS_TEST_POSTGRES`
names (scripts/test starts a throwaway one when it is not set)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

SERVER = os.environ.get("SEATS_TEST_POSTGRES", "")


@contextmanager
def fresh_database() -> Iterator[str]:
    """The URL of a new, empty database, dropped afterwards."""
    if not SERVER:
        pytest.skip("needs SEATS_TEST_POSTGRES (scripts/test starts a PostgreSQL of its own)")
    name = f"seats_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(SERVER, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = SERVER.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(SERVER, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def restart_command() -> tuple[str, str] | None:
    """(pg_ctl command, server options) when the tests own the cluster, else None."""
    ctl, options = os.environ.get("SEATS_TEST_PG_CTL", ""), os.environ.get("SEATS_TEST_PG_OPTIONS", "")
    return (ctl, options) if ctl else None
