"""The storage port: what the application needs from a database, whichever it is.

`SqliteStore` (app/sqlite_store.py) implements it; the services and handlers
only know this protocol. A batch handed to `commit` holds the domain's own
results (`Booked`, `Held`, `Expired`, …) plus the two records that are not
decisions about seats: an idempotent reply to remember, and a new show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from booking.inventory import Change, Inventory, Policy, Result
from booking.show import Show


@dataclass(frozen=True)
class StoredReply:
    """The answer given to an idempotency key on one method and path (`scope`).
    `owner` is the hash of the bearer token the request carried ("" for none): a
    repeat must carry the same one, or anyone who learnt a key could read the
    answer, tokens included."""

    scope: str
    key: str
    fingerprint: str
    status: int
    body: str
    owner: str = ""


@dataclass(frozen=True)
class NewShow:
    show: Show


Record = Result | StoredReply | NewShow


class StorageUnavailable(Exception):
    """The database cannot be opened or used as configured."""


class StorageLost(StorageUnavailable):
    """The database file was deleted or replaced under the running server."""


class Store(Protocol):
    def shows(self) -> list[Show]:
        """Every show, in the order they were created."""

    def add_show(self, show: Show) -> None:
        """Create a show at once, outside any batch (the default show of a new database)."""

    def load_inventory(self, show: Show, policy: Policy, expired_since: float) -> Inventory:
        """The show's committed state: version, active bookings, open holds, and the
        holds that expired at or after `expired_since` (a late confirm may still win
        them)."""

    def recent_changes(self, show_id: str, limit: int) -> list[Change]:
        """The show's last `limit` changes, oldest first, to resume streams."""

    def find_reply(self, scope: str, key: str) -> StoredReply | None: ...

    def commit(self, records: Sequence[Record]) -> None:
        """Write a batch in one transaction: all of it is durable, or none of it."""

    def reopen(self) -> None:
        """New connections after a failed commit; `StorageLost` if the database is
        no longer the one opened at start."""

    def close(self) -> None: ...
