"""The store in SQLite (WAL, synchronous=FULL): the embedded default, for one process.

Every row carries its show. Blocking calls: the group committer runs `commit`
on one dedicated thread; start-up loading and key look-ups are quick indexed
reads. A database written by the single-venue version (schema 1: a `venue`
table and no shows) is migrated in place, in one transaction, the first time
this version opens it: its venue and bookings become the show `main`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Sequence

from app.store import NewShow, Record, StorageLost, StorageUnavailable, StoredReply
from app.store_rows import (
    BOOKING_COLUMNS,
    HOLD_COLUMNS,
    booking_from_row,
    booking_row,
    encode_json,
    hold_from_row,
    show_row,
)
from booking.inventory import (
    Booked,
    Cancelled,
    Change,
    Confirmed,
    Expired,
    Held,
    Hold,
    HoldUpdated,
    Inventory,
    Policy,
    Released,
)
from booking.layout import Layout, parse_layout
from booking.references import reference_from
from booking.show import DEFAULT_SHOW, DEFAULT_SHOW_NAME, Show

SCHEMA_VERSION = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS shows (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    starts_at TEXT,
    currency TEXT NOT NULL,
    layout TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS changes (
    show TEXT NOT NULL,
    version INTEGER NOT NULL,
    changed TEXT NOT NULL,
    available INTEGER NOT NULL,
    PRIMARY KEY (show, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bookings (
    id TEXT PRIMARY KEY,
    show TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    seats TEXT NOT NULL,
    reference TEXT NOT NULL,
    total_price INTEGER NOT NULL DEFAULT 0,
    name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    hold_id TEXT,
    booked_version INTEGER NOT NULL,
    cancelled_version INTEGER
);
CREATE TABLE IF NOT EXISTS holds (
    id TEXT PRIMARY KEY,
    show TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    seats TEXT NOT NULL,
    client TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    total_price INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'expired', 'confirmed', 'released'))
);
CREATE INDEX IF NOT EXISTS holds_by_state ON holds (show, state, expires_at);
CREATE TABLE IF NOT EXISTS idempotency (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;
"""

# Part 1's only booking path; its keys keep answering there after the migration.
V1_BOOK_SCOPE = "POST /book"


class SqliteStore:
    def __init__(self, path: str) -> None:
        self.path = path
        self._guard = threading.Lock()
        self._read_guard = threading.Lock()
        try:
            self._connect()
            self.migrated_from: int | None = self._migrate_or_create()
        except sqlite3.DatabaseError as error:  # garbage, truncated, foreign, unreadable
            raise StorageUnavailable(f"{path} is not a usable seats database: {error}") from error
        # Which file this is: a commit checks it is still the one at `path` (a
        # deleted or replaced file would take acknowledged writes into the void).
        self._identity = _identity(path)

    def _connect(self) -> None:
        """The writer connection is used by the commit thread; reads from the event
        loop go through their own connection so that, in WAL mode, a look-up never
        waits for a commit's fsync. `:memory:` has no files to share, so there the
        two are one connection and the guards are one lock."""
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk (fsync) before it returns, so an acknowledged
        # booking survives power loss, not just a process crash.
        self._db.execute("PRAGMA synchronous=FULL")
        if self.path == ":memory:":
            self._reader, self._read_guard = self._db, self._guard
        else:
            self._reader = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)

    def reopen(self) -> None:
        """After a failed commit: new connections to the file (never retry a failed
        fsync on the old ones), provided it is still the file we opened. (An
        in-memory database lives in its connection: it is kept.)"""
        if self.path == ":memory:":
            return
        self.close()
        if self._identity is not None and _identity(self.path) != self._identity:
            raise StorageLost(f"the database file {self.path} is gone or was replaced")
        with self._guard:
            self._connect()

    # -- schema ---------------------------------------------------------------------

    def _migrate_or_create(self) -> int | None:
        """Brings the schema to SCHEMA_VERSION; returns the version migrated from."""
        db = self._db
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "meta" in tables:
            found = int(db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
            if found > SCHEMA_VERSION:
                raise StorageUnavailable(f"{self.path} was written by a newer version (schema {found}); "
                                         f"this one reads schema {SCHEMA_VERSION}")
            return None
        db.execute("BEGIN IMMEDIATE")
        try:
            from_version = 1 if "venue" in tables else None
            if from_version == 1:
                for table in ("changes", "bookings", "idempotency"):
                    db.execute(f"ALTER TABLE {table} RENAME TO {table}_v1")
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            if from_version == 1:
                self._copy_v1_rows()
            db.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return from_version

    def _copy_v1_rows(self) -> None:
        """Schema 1 → 2: the venue becomes show `main`; its changes, bookings and
        idempotent replies are kept as they were, now carrying that show."""
        db = self._db
        venue = db.execute("SELECT seats, row_size FROM venue").fetchone()
        if venue is not None:  # (else the old server stopped before laying out its venue)
            layout = Layout.grid(*venue)
            db.execute("INSERT INTO shows (id, name, starts_at, currency, layout) VALUES (?, ?, NULL, 'EUR', ?)",
                       (DEFAULT_SHOW, DEFAULT_SHOW_NAME, encode_json(layout.to_json())))
        db.execute("INSERT INTO changes (show, version, changed, available) "
                   "SELECT ?, version, changed, available FROM changes_v1", (DEFAULT_SHOW,))
        used: set[str] = set()
        for booking_id, token_hash, seats_json, booked, cancelled in db.execute(
                "SELECT id, token_hash, seats, booked_version, cancelled_version FROM bookings_v1").fetchall():
            reference = _migrated_reference(booking_id, used)
            db.execute("INSERT INTO bookings (id, show, token_hash, seats, reference, booked_version, "
                       "cancelled_version) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (booking_id, DEFAULT_SHOW, token_hash, seats_json, reference, booked, cancelled))
        db.execute("INSERT INTO idempotency (scope, key, fingerprint, status, body) "
                   "SELECT ?, key, fingerprint, status, body FROM idempotency_v1", (V1_BOOK_SCOPE,))
        for table in ("changes_v1", "bookings_v1", "idempotency_v1", "venue"):
            db.execute(f"DROP TABLE {table}")

    # -- reading --------------------------------------------------------------------

    def shows(self) -> list[Show]:
        with self._guard:
            rows = self._db.execute("SELECT id, name, starts_at, currency, layout FROM shows ORDER BY rowid").fetchall()
        return [Show(id_, name, starts_at, currency, parse_layout(json.loads(layout)))
                for id_, name, starts_at, currency, layout in rows]

    def add_show(self, show: Show) -> None:
        with self._guard:
            self._db.execute("INSERT INTO shows (id, name, starts_at, currency, layout) VALUES (?, ?, ?, ?, ?)",
                             show_row(show))

    def load_inventory(self, show: Show, policy: Policy, expired_since: float) -> Inventory:
        with self._guard:
            db = self._db
            version = db.execute("SELECT COALESCE(MAX(version), 0) FROM changes WHERE show = ?",
                                 (show.id,)).fetchone()[0]
            bookings = [booking_from_row(row) for row in db.execute(
                f"SELECT {BOOKING_COLUMNS} FROM bookings WHERE show = ? AND cancelled_version IS NULL", (show.id,))]
            references = [row[0] for row in db.execute("SELECT reference FROM bookings WHERE show = ?", (show.id,))]
            holds = [hold_from_row(row) for row in db.execute(
                f"SELECT {HOLD_COLUMNS} FROM holds WHERE show = ? AND state = 'open'", (show.id,))]
            expired = [hold_from_row(row) for row in db.execute(
                f"SELECT {HOLD_COLUMNS} FROM holds WHERE show = ? AND state = 'expired' AND expires_at >= ?",
                (show.id, expired_since))]
        return Inventory(show.id, show.layout, policy, version, bookings, holds, expired, references)

    def recent_changes(self, show_id: str, limit: int) -> list[Change]:
        with self._guard:
            rows = self._db.execute(
                "SELECT version, changed, available FROM changes WHERE show = ? ORDER BY version DESC LIMIT ?",
                (show_id, limit),
            ).fetchall()
        return [Change(show_id, v, json.loads(changed), available) for v, changed, available in reversed(rows)]

    def find_reply(self, scope: str, key: str) -> StoredReply | None:
        with self._read_guard:
            row = self._reader.execute(
                "SELECT fingerprint, status, body, owner FROM idempotency WHERE scope = ? AND key = ?", (scope, key)
            ).fetchone()
        return None if row is None else StoredReply(scope, key, *row)

    # -- writing --------------------------------------------------------------------

    def commit(self, records: Sequence[Record]) -> None:
        """Write a batch in one transaction: all of it is durable, or none of it.
        Rows are grouped per statement (one executemany each) to keep the time this
        thread needs the GIL short; the groups run in an order that respects every
        dependency inside a batch (a hold inserted before it is updated, a booking
        before it is cancelled)."""
        changes, shows, new_holds, hold_updates, new_bookings, cancels, replies = [], [], [], [], [], [], []
        for record in records:
            change = getattr(record, "change", None)
            if change is not None:
                changes.append((change.show, change.version, encode_json(change.changed), change.available))
            if isinstance(record, Booked):
                new_bookings.append(booking_row(record.booking, record.change, None))
            elif isinstance(record, Held):
                new_holds.append(_hold_row(record.hold, record.change.show))
            elif isinstance(record, HoldUpdated):
                if change is not None:
                    hold_updates.append(("UPDATE holds SET seats = ?, total_price = ? WHERE id = ?",
                                         (encode_json(record.hold.seats), record.hold.total_price, record.hold.id)))
            elif isinstance(record, Released | Expired):
                state = "released" if isinstance(record, Released) else "expired"
                hold_updates.append(("UPDATE holds SET state = ? WHERE id = ?", (state, record.hold.id)))
            elif isinstance(record, Confirmed):
                hold_updates.append(("UPDATE holds SET state = 'confirmed' WHERE id = ?", (record.hold.id,)))
                new_bookings.append(booking_row(record.booking, record.change, record.hold.id))
            elif isinstance(record, Cancelled):
                cancels.append((record.change.version, record.booking.id))
            elif isinstance(record, StoredReply):
                replies.append((record.scope, record.key, record.fingerprint, record.status, record.body,
                                record.owner))
            elif isinstance(record, NewShow):
                shows.append(show_row(record.show))
        with self._guard:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany("INSERT INTO shows (id, name, starts_at, currency, layout) VALUES (?, ?, ?, ?, ?)",
                               shows)
                db.executemany("INSERT INTO changes (show, version, changed, available) VALUES (?, ?, ?, ?)",
                               changes)
                db.executemany("INSERT INTO holds (id, show, token_hash, seats, client, created_at, expires_at, "
                               "total_price, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open')", new_holds)
                for statement, parameters in hold_updates:
                    db.execute(statement, parameters)
                db.executemany("INSERT INTO bookings (id, show, token_hash, seats, reference, total_price, name, "
                               "email, hold_id, booked_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               new_bookings)
                db.executemany("UPDATE bookings SET cancelled_version = ? WHERE id = ?", cancels)
                db.executemany("INSERT INTO idempotency (scope, key, fingerprint, status, body, owner) "
                               "VALUES (?, ?, ?, ?, ?, ?)", replies)
                db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise
        if self._identity is not None and _identity(self.path) != self._identity:
            raise StorageLost(f"the database file {self.path} is gone or was replaced")

    def close(self) -> None:
        with self._guard:
            self._db.close()
        if self._reader is not self._db:
            self._reader.close()


def _identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of the file at `path`; None for `:memory:` or a missing file."""
    if path == ":memory:":
        return None
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_dev, stat.st_ino


# One encoder for every row: json.dumps with options builds a new one per call.


def _hold_row(hold: Hold, show_id: str) -> tuple:
    return (hold.id, show_id, hold.token_hash, encode_json(hold.seats), hold.client, hold.created_at, hold.expires_at,
            hold.total_price)


def _migrated_reference(booking_id: str, used: set[str]) -> str:
    """Bookings made before references existed get one derived from their id."""
    salt = 0
    while True:
        reference = reference_from(hashlib.sha256(f"{booking_id}/{salt}".encode()).digest())
        if reference not in used:
            used.add(reference)
            return reference
        salt += 1
