"""Durable state in SQLite (WAL): the venue, bookings, the change log and
idempotent replies.

Blocking calls: the writer runs them on one dedicated thread (see
`GroupCommitter`); start-up loading and key look-ups are quick indexed reads.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from booking.inventory import Booking, Change, Inventory
from booking.venue import Venue

SCHEMA = """
CREATE TABLE IF NOT EXISTS venue (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seats INTEGER NOT NULL,
    row_size INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS changes (
    version INTEGER PRIMARY KEY,
    changed TEXT NOT NULL,
    available INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS bookings (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL,
    seats TEXT NOT NULL,
    booked_version INTEGER NOT NULL,
    cancelled_version INTEGER
);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class BookingWrite:
    booking: Booking
    change: Change


@dataclass(frozen=True)
class CancelWrite:
    booking_id: str
    change: Change


@dataclass(frozen=True)
class ReplyWrite:
    """The reply given to an idempotency key, kept so a repeat gets it again."""

    key: str
    fingerprint: str
    status: int
    body: str


Write = BookingWrite | CancelWrite | ReplyWrite


@dataclass(frozen=True)
class StoredReply:
    fingerprint: str
    status: int
    body: str


class SeatStore:
    def __init__(self, path: str) -> None:
        self.path = path
        # The writer connection is used by the commit thread; reads from the event
        # loop go through their own connection so that, in WAL mode, a look-up never
        # waits for a commit's fsync. `:memory:` has no files to share, so there
        # the two are one connection and the guards are one lock.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._guard = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk (fsync) before it returns, so an acknowledged
        # booking survives power loss, not just a process crash.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        if path == ":memory:":
            self._reader, self._read_guard = self._db, self._guard
        else:
            self._reader = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._read_guard = threading.Lock()

    def open_venue(self, seats: int, row_size: int) -> tuple[Venue, bool]:
        """The stored venue, or a new one laid out from these arguments.
        Returns the venue and whether it was created now."""
        with self._guard:
            row = self._db.execute("SELECT seats, row_size FROM venue").fetchone()
            if row is not None:
                return Venue(row[0], row[1]), False
            self._db.execute("INSERT INTO venue (id, seats, row_size) VALUES (1, ?, ?)", (seats, row_size))
            return Venue(seats, row_size), True

    def load_inventory(self, venue: Venue) -> Inventory:
        with self._guard:
            version = self._db.execute("SELECT COALESCE(MAX(version), 0) FROM changes").fetchone()[0]
            rows = self._db.execute(
                "SELECT id, token_hash, seats FROM bookings WHERE cancelled_version IS NULL"
            ).fetchall()
        bookings = [Booking(id_, token_hash, tuple(json.loads(seats))) for id_, token_hash, seats in rows]
        return Inventory(venue, version, bookings)

    def recent_changes(self, limit: int) -> list[Change]:
        """The last `limit` changes, oldest first, to resume streams after a restart."""
        with self._guard:
            rows = self._db.execute(
                "SELECT version, changed, available FROM changes ORDER BY version DESC LIMIT ?", (limit,)
            ).fetchall()
        return [Change(v, json.loads(changed), available) for v, changed, available in reversed(rows)]

    def find_reply(self, key: str) -> StoredReply | None:
        with self._read_guard:
            row = self._reader.execute(
                "SELECT fingerprint, status, body FROM idempotency WHERE key = ?", (key,)
            ).fetchone()
        return None if row is None else StoredReply(*row)

    def commit(self, writes: Sequence[Write]) -> None:
        """Write a batch in one transaction: all of it is durable, or none of it.
        Rows are grouped per statement (one executemany each) to keep the time
        this thread needs the GIL short."""
        changes, bookings, cancels, replies = [], [], [], []
        for write in writes:
            if isinstance(write, BookingWrite):
                changes.append(_change_row(write.change))
                booking = write.booking
                bookings.append((booking.id, booking.token_hash, json.dumps(booking.seats), write.change.version))
            elif isinstance(write, CancelWrite):
                changes.append(_change_row(write.change))
                cancels.append((write.change.version, write.booking_id))
            else:
                replies.append((write.key, write.fingerprint, write.status, write.body))
        with self._guard:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany("INSERT INTO changes (version, changed, available) VALUES (?, ?, ?)", changes)
                db.executemany(
                    "INSERT INTO bookings (id, token_hash, seats, booked_version) VALUES (?, ?, ?, ?)", bookings
                )
                # After the inserts: a booking may be cancelled in the same batch.
                db.executemany("UPDATE bookings SET cancelled_version = ? WHERE id = ?", cancels)
                db.executemany(
                    "INSERT INTO idempotency (key, fingerprint, status, body) VALUES (?, ?, ?, ?)", replies
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._guard:
            self._db.close()
        if self._reader is not self._db:
            self._reader.close()


def _change_row(change: Change) -> tuple[int, str, int]:
    return change.version, json.dumps(change.changed, separators=(",", ":")), change.available
