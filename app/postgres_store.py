"""The store in PostgreSQL: the system of record when several server processes
(on one machine or many) sell the same shows.

Every process keeps each show's inventory in memory, as with SQLite, but decides
only inside a transaction that holds the show's row lock (`SELECT … FOR UPDATE`)
and has first caught the inventory up from the change log: every decision of
every process is in `changes`, with the whole domain result (`record`), so a
process applies what others decided (`Inventory.apply`) before deciding itself.
The version is bumped under that lock, so versions are gapless and in commit
order. After each commit a `NOTIFY` (show and version) wakes the other
processes, which read the change log for what they miss: the notification is a
wake-up, never the only copy.

Start-up loading and key look-ups use a blocking connection (at start, or for a
quick indexed read); decisions use asynchronous connections on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator, Sequence
from typing import Any

import psycopg
from psycopg import sql

from app.record_codec import decode_result, encode_result
from app.store import NewShow, Record, StorageUnavailable, StoredReply
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
    Result,
)
from booking.layout import parse_layout
from booking.show import Show

CHANNEL = "seats_changes"
SCHEMA_LOCK = 7_301_001  # pg_advisory_xact_lock key: one process creates the schema at a time

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS shows (
    seq BIGSERIAL,
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    starts_at TEXT,
    currency TEXT NOT NULL,
    layout TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS changes (
    show TEXT NOT NULL,
    version BIGINT NOT NULL,
    changed TEXT NOT NULL,
    available INTEGER NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (show, version)
);
CREATE TABLE IF NOT EXISTS bookings (
    id TEXT PRIMARY KEY,
    show TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    seats TEXT NOT NULL,
    reference TEXT NOT NULL,
    total_price BIGINT NOT NULL DEFAULT 0,
    name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    hold_id TEXT,
    booked_version BIGINT NOT NULL,
    cancelled_version BIGINT
);
CREATE UNIQUE INDEX IF NOT EXISTS bookings_reference ON bookings (show, reference);
CREATE INDEX IF NOT EXISTS bookings_active ON bookings (show) WHERE cancelled_version IS NULL;
CREATE TABLE IF NOT EXISTS holds (
    id TEXT PRIMARY KEY,
    show TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    seats TEXT NOT NULL,
    client TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL,
    total_price BIGINT NOT NULL,
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
);
"""



class DatabaseDown(Exception):
    """PostgreSQL cannot be reached, or a statement failed: nothing of the
    transaction was committed (or, for a failed COMMIT, it is unknown)."""


class CommitUnknown(DatabaseDown):
    """The connection failed during COMMIT: the transaction may or may not be in."""


class LockTimeout(DatabaseDown):
    """Another process held the show's row lock longer than --lock-timeout."""


class PostgresStore:
    shared = True  # several processes decide on this store

    def __init__(self, url: str, lock_timeout: float = 3.0) -> None:
        self.url = url
        self.lock_timeout_ms = round(lock_timeout * 1000)
        self.path = url  # what log lines name
        self.migrated_from = None
        self._guard = threading.Lock()
        try:
            self._db = psycopg.connect(url, autocommit=True)
            with self._db.transaction():
                self._db.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '2') "
                                 "ON CONFLICT (key) DO NOTHING")
        except psycopg.Error as error:
            raise StorageUnavailable(f"cannot use the PostgreSQL database {_safe(url)}: {error}") from error
        self._pool: asyncio.Queue[psycopg.AsyncConnection] | None = None
        self._pool_size = 4

    # -- blocking: start-up and quick reads ---------------------------------------------

    def _rows(self, query: str, parameters: Sequence[Any] = ()) -> list[tuple]:
        with self._guard:
            return self._db.execute(query, parameters).fetchall()

    def shows(self) -> list[Show]:
        rows = self._rows("SELECT id, name, starts_at, currency, layout FROM shows ORDER BY seq")
        return [Show(id_, name, starts_at, currency, parse_layout(json.loads(layout)))
                for id_, name, starts_at, currency, layout in rows]

    def show(self, show_id: str) -> Show | None:
        rows = self._rows("SELECT id, name, starts_at, currency, layout FROM shows WHERE id = %s", (show_id,))
        return None if not rows else Show(rows[0][0], rows[0][1], rows[0][2], rows[0][3],
                                          parse_layout(json.loads(rows[0][4])))

    def versions(self) -> dict[str, int]:
        return dict(self._rows("SELECT id, version FROM shows"))

    def add_show(self, show: Show) -> None:
        """The default show at start-up: any process may get there first."""
        with self._guard:
            self._db.execute("INSERT INTO shows (id, name, starts_at, currency, layout) VALUES (%s, %s, %s, %s, %s) "
                             "ON CONFLICT (id) DO NOTHING", show_row(show))

    def load_inventory(self, show: Show, policy: Policy, expired_since: float) -> Inventory:
        with self._guard, self._db.transaction():
            db = self._db
            db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")  # one consistent picture
            version = db.execute("SELECT version FROM shows WHERE id = %s", (show.id,)).fetchone()[0]
            bookings = [booking_from_row(row) for row in db.execute(
                f"SELECT {BOOKING_COLUMNS} FROM bookings WHERE show = %s AND cancelled_version IS NULL", (show.id,))]
            references = [row[0] for row in db.execute("SELECT reference FROM bookings WHERE show = %s",
                                                        (show.id,))]
            holds = [hold_from_row(row) for row in db.execute(
                f"SELECT {HOLD_COLUMNS} FROM holds WHERE show = %s AND state = 'open'", (show.id,))]
            expired = [hold_from_row(row) for row in db.execute(
                f"SELECT {HOLD_COLUMNS} FROM holds WHERE show = %s AND state = 'expired' AND expires_at >= %s",
                (show.id, expired_since))]
        return Inventory(show.id, show.layout, policy, version, bookings, holds, expired, references)

    def recent_changes(self, show_id: str, limit: int) -> list[Change]:
        rows = self._rows("SELECT version, changed, available FROM changes WHERE show = %s "
                          "ORDER BY version DESC LIMIT %s", (show_id, limit))
        return [Change(show_id, v, json.loads(changed), available) for v, changed, available in reversed(rows)]

    def find_reply(self, scope: str, key: str) -> StoredReply | None:
        rows = self._rows("SELECT fingerprint, status, body, owner FROM idempotency WHERE scope = %s AND key = %s",
                          (scope, key))
        return None if not rows else StoredReply(scope, key, *rows[0])

    def show_of(self, table: str, record_id: str) -> str | None:
        """The show of a hold or booking another process made."""
        query = sql.SQL("SELECT show FROM {} WHERE id = %s").format(sql.Identifier(table))
        rows = self._rows(query.as_string(self._db), (record_id,))
        return rows[0][0] if rows else None

    def commit(self, records: Sequence[Record]) -> None:
        """Only new shows come this way (decisions are written by `decide`)."""
        with self._guard, self._db.transaction():
            for record in records:
                if isinstance(record, NewShow):
                    self._db.execute("INSERT INTO shows (id, name, starts_at, currency, layout) "
                                     "VALUES (%s, %s, %s, %s, %s)", show_row(record.show))
                elif isinstance(record, StoredReply):
                    self._db.execute("INSERT INTO idempotency (scope, key, fingerprint, status, body, owner) "
                                     "VALUES (%s, %s, %s, %s, %s, %s)", _reply_row(record))
            self._db.execute(sql.SQL("NOTIFY {}, 'shows'").format(sql.Identifier(CHANNEL)))

    def reopen(self) -> None:
        with self._guard:
            with contextlib.suppress(psycopg.Error):
                self._db.close()
            try:
                self._db = psycopg.connect(self.url, autocommit=True)
            except psycopg.Error as error:
                raise StorageUnavailable(f"cannot reach {_safe(self.url)}: {error}") from error

    def close(self) -> None:
        with self._guard, contextlib.suppress(psycopg.Error):
            self._db.close()
        if self._pool is not None:
            while not self._pool.empty():
                connection = self._pool.get_nowait()
                with contextlib.suppress(Exception):
                    asyncio.get_running_loop().create_task(connection.close())

    # -- deciding: one transaction a batch, under the show's row lock ------------------------

    async def _connection(self) -> psycopg.AsyncConnection:
        if self._pool is None:
            self._pool = asyncio.Queue()
            for _ in range(self._pool_size):
                self._pool.put_nowait(None)  # made on first use
        connection = await self._pool.get()
        if connection is None or connection.closed or connection.broken:
            try:
                connection = await psycopg.AsyncConnection.connect(self.url, autocommit=False)
                await connection.execute(f"SET lock_timeout = {self.lock_timeout_ms:d}")
                await connection.commit()
            except psycopg.Error as error:
                self._pool.put_nowait(None)
                raise DatabaseDown(str(error)) from error
        return connection

    @contextlib.asynccontextmanager
    async def locked(self, show_id: str, known_version: int,
                     keys: Sequence[tuple[str, str]] = ()) -> AsyncIterator[ShowTransaction]:
        """A transaction holding the show's row lock, with what other processes
        committed after `known_version` and the stored replies to `keys`; what the
        block writes is sent with the COMMIT when it leaves. Two round trips in
        all: PostgreSQL runs a pipeline's statements in order, so the change log
        is read after the lock is granted and sees every commit before it."""
        connection = await self._connection()
        committing = False
        try:
            async with connection.pipeline():
                lock = await connection.execute("SELECT version FROM shows WHERE id = %s FOR UPDATE", (show_id,))
                missed = await connection.execute("SELECT record FROM changes WHERE show = %s AND version > %s "
                                                  "ORDER BY version", (show_id, known_version))
                replies = await connection.execute(
                    "SELECT scope, key, fingerprint, status, body, owner FROM idempotency "
                    "WHERE (scope, key) IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
                    ([scope for scope, _ in keys], [key for _, key in keys])) if keys else None
                row = await lock.fetchone()
                results = [decode_result(record) for (record,) in await missed.fetchall()]
                stored = {(r[0], r[1]): StoredReply(*r) for r in await replies.fetchall()} if replies else {}
            transaction = ShowTransaction(show_id, row[0] if row else 0, results, stored)
            yield transaction
            committing = True
            async with connection.pipeline(), connection.cursor() as cursor:
                for statement, rows in transaction.statements:
                    await cursor.executemany(statement, rows)
                await connection.commit()
        except psycopg.errors.LockNotAvailable as error:
            raise LockTimeout(f"the show {show_id} stayed locked for {self.lock_timeout_ms} ms") from error
        except psycopg.Error as error:
            # A broken connection during the final pipeline may have lost the
            # answer to a COMMIT that PostgreSQL carried out; any other error
            # there aborted the transaction before COMMIT.
            if committing and connection.broken:
                raise CommitUnknown(str(error)) from error
            raise DatabaseDown(str(error)) from error
        finally:
            await self._give_back(connection)

    async def _give_back(self, connection: psycopg.AsyncConnection) -> None:
        """Back to the pool, out of any transaction the block left open (an error,
        or a block that raised before the COMMIT)."""
        if not connection.broken and connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            with contextlib.suppress(psycopg.Error):
                await connection.rollback()
        self._pool.put_nowait(None if connection.broken or connection.closed else connection)

    async def results_after(self, show_id: str, version: int) -> list[Result]:
        """Committed decisions of any process after `version`, in order (no lock)."""
        connection = await self._connection()
        try:
            async with connection.pipeline():
                cursor = await connection.execute("SELECT record FROM changes WHERE show = %s AND version > %s "
                                                  "ORDER BY version", (show_id, version))
                await connection.rollback()
            return [decode_result(record) for (record,) in await cursor.fetchall()]
        except psycopg.Error as error:
            raise DatabaseDown(str(error)) from error
        finally:
            await self._give_back(connection)

    async def listen(self) -> AsyncIterator[str]:
        """Notification payloads (`show version`, or `shows`) for as long as the
        connection lives; `DatabaseDown` when it is lost."""
        try:
            connection = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
        except psycopg.Error as error:
            raise DatabaseDown(str(error)) from error
        try:
            await connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
            async for notification in connection.notifies():
                yield notification.payload
        except psycopg.Error as error:
            raise DatabaseDown(str(error)) from error
        finally:
            with contextlib.suppress(Exception):
                await connection.close()


class ShowTransaction:
    """What a process learns and writes while it holds a show's row lock."""

    def __init__(self, show_id: str, version: int, missed: list[Result],
                 replies: dict[tuple[str, str], StoredReply]) -> None:
        self.show_id = show_id
        self.version = version  # the show's committed version, as locked
        self.missed = missed  # other processes' decisions after the version asked about
        self.replies = replies  # stored replies to the keys asked about
        self.statements: list[tuple[str, list[tuple]]] = []

    def write(self, records: Sequence[Record], version: int) -> None:
        """Queue the batch's records, the show's new version and the wake-up for others."""
        changes, new_holds, new_bookings, cancels, replies = [], [], [], [], []
        hold_seats, hold_states, confirmed = [], [], []
        for record in records:
            change = getattr(record, "change", None)
            if change is not None:
                changes.append((change.show, change.version, encode_json(change.changed), change.available,
                                encode_result(record)))
            if isinstance(record, Booked):
                new_bookings.append(booking_row(record.booking, record.change, None))
            elif isinstance(record, Held):
                new_holds.append(_hold_row(record.hold, record.change.show))
            elif isinstance(record, HoldUpdated):
                if change is not None:
                    hold_seats.append((encode_json(record.hold.seats), record.hold.total_price, record.hold.id))
            elif isinstance(record, Released | Expired):
                hold_states.append(("released" if isinstance(record, Released) else "expired", record.hold.id))
            elif isinstance(record, Confirmed):
                confirmed.append((record.hold.id,))
                new_bookings.append(booking_row(record.booking, record.change, record.hold.id))
            elif isinstance(record, Cancelled):
                cancels.append((record.change.version, record.booking.id))
            elif isinstance(record, StoredReply):
                replies.append(_reply_row(record))
        # Holds before the changes of their seats and states: the order the records came in.
        for statement, rows in (
            ("INSERT INTO changes (show, version, changed, available, record) VALUES (%s, %s, %s, %s, %s)", changes),
            (f"INSERT INTO holds ({HOLD_COLUMNS}, show, state) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'open')",
             new_holds),
            ("UPDATE holds SET seats = %s, total_price = %s WHERE id = %s", hold_seats),
            ("UPDATE holds SET state = %s WHERE id = %s", hold_states),
            ("UPDATE holds SET state = 'confirmed' WHERE id = %s", confirmed),
            ("INSERT INTO bookings (id, show, token_hash, seats, reference, total_price, name, email, hold_id, "
             "booked_version) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", new_bookings),
            ("UPDATE bookings SET cancelled_version = %s WHERE id = %s", cancels),
            ("INSERT INTO idempotency (scope, key, fingerprint, status, body, owner) VALUES (%s, %s, %s, %s, %s, %s)",
             replies),
        ):
            if rows:
                self.statements.append((statement, rows))
        if version != self.version:
            self.statements.append(("UPDATE shows SET version = %s WHERE id = %s", [(version, self.show_id)]))
            self.statements.append((f"SELECT pg_notify('{CHANNEL}', %s)", [(f"{self.show_id} {version}",)]))


def _hold_row(hold: Hold, show_id: str) -> tuple:
    return (hold.id, hold.token_hash, encode_json(hold.seats), hold.client, hold.created_at, hold.expires_at,
            hold.total_price, show_id)


def _reply_row(record: StoredReply) -> tuple:
    return record.scope, record.key, record.fingerprint, record.status, record.body, record.owner


def _safe(url: str) -> str:
    """The URL without a password, for log lines."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    return f"{scheme}://{credentials.split(':', 1)[0]}@{host}"
