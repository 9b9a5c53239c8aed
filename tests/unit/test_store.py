"""The SQLite store: what is committed comes back after a reopen, a batch is all or
nothing, every row carries its show, and a database of the single-venue version
is migrated to show `main`."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.sqlite_store import SqliteStore
from app.store import NewShow, StorageUnavailable, StoredReply
from booking.inventory import (
    Booked,
    Cancelled,
    Confirmed,
    Held,
    HoldUpdated,
    Inventory,
    Policy,
    Released,
    hash_token,
)
from booking.layout import Layout
from booking.references import is_reference
from booking.requests import BookRequest, Buyer
from booking.show import Show

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
POLICY = Policy(hold_seconds=60, max_seats=10)
LONG_AGO = 0.0  # `expired_since` that keeps every expired hold


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "seats.db")


@pytest.fixture
def opened() -> Iterator[list[SqliteStore]]:
    """Closes every store a test opens."""
    stores: list[SqliteStore] = []
    yield stores
    for store in stores:
        store.close()


def open_store(path: str, opened: list[SqliteStore]) -> SqliteStore:
    store = SqliteStore(path)
    opened.append(store)
    return store


def reopen(store: SqliteStore, opened: list[SqliteStore]) -> SqliteStore:
    store.close()
    opened.remove(store)
    return open_store(store.path, opened)


def show(show_id: str = "main", seats: int = 20, row_size: int = 10) -> Show:
    return Show(show_id, show_id.title(), None, "EUR", Layout.grid(seats, row_size))


def new_show(store: SqliteStore, spec: Show) -> Inventory:
    store.add_show(spec)
    return store.load_inventory(spec, POLICY, LONG_AGO)


def book(inventory: Inventory, booking_id: str, quantity: int = 1) -> Booked:
    outcome = inventory.book(BookRequest(quantity), booking_id, hash_token(f"token-{booking_id}"),
                             lambda: f"REF-{booking_id}")
    assert isinstance(outcome, Booked)
    return outcome


def cancel(inventory: Inventory, booking_id: str) -> Cancelled:
    return inventory.cancel(booking_id, f"token-{booking_id}")


def hold(inventory: Inventory, hold_id: str, quantity: int = 1, now: float = 1000.0) -> Held:
    outcome = inventory.hold(BookRequest(quantity), hold_id, hash_token(f"token-{hold_id}"), "10.0.0.1", now)
    assert isinstance(outcome, Held)
    return outcome


@pytest.mark.req("shows")
def test_shows_come_back_in_the_order_they_were_created_with_their_layouts(db_path, opened):
    # Arrange
    store = open_store(db_path, opened)
    first, second = show("main", 25, 10), show("jazz", 7, 3)
    store.add_show(first)
    store.commit([NewShow(second)])

    # Act
    shows = reopen(store, opened).shows()

    # Assert
    assert [s.id for s in shows] == ["main", "jazz"]
    assert [s.layout.to_json() for s in shows] == [first.layout.to_json(), second.layout.to_json()]


@pytest.mark.req("durability")
@pytest.mark.req("versions")
def test_committed_bookings_and_cancellations_come_back_with_the_same_version_after_reopening(db_path, opened):
    # Arrange
    store = open_store(db_path, opened)
    spec = show()
    inventory = new_show(store, spec)
    store.commit([book(inventory, "b1", 2), book(inventory, "b2")])
    store.commit([cancel(inventory, "b1"), book(inventory, "b3", 3)])

    # Act
    loaded = reopen(store, opened).load_inventory(spec, POLICY, LONG_AGO)

    # Assert
    assert loaded.version == inventory.version == 4
    assert loaded.bookings == inventory.bookings
    assert set(loaded.bookings) == {"b2", "b3"}
    assert loaded.states() == inventory.states()
    assert loaded.available == inventory.available == 16
    assert {"REF-b1", "REF-b2", "REF-b3"} <= loaded.references


@pytest.mark.req("holds")
@pytest.mark.req("durability")
def test_open_holds_their_added_seats_and_confirmed_bookings_come_back_after_reopening(db_path, opened):
    # Arrange
    store = open_store(db_path, opened)
    spec = show()
    inventory = new_show(store, spec)
    store.commit([hold(inventory, "h1", 2), hold(inventory, "h2")])
    added = inventory.add_to_hold("h1", "token-h1", BookRequest(1), 1001.0)
    assert isinstance(added, HoldUpdated)
    confirmed = inventory.confirm("h2", "token-h2", Buyer("Ada", "ada@example.com"), "b1", hash_token("t"),
                                  lambda: "AAA-AAAA")
    assert isinstance(confirmed, Confirmed)
    store.commit([added, confirmed])

    # Act
    loaded = reopen(store, opened).load_inventory(spec, POLICY, LONG_AGO)

    # Assert
    assert loaded.holds == inventory.holds
    assert set(loaded.holds) == {"h1"} and len(loaded.holds["h1"].seats) == 3
    assert loaded.bookings["b1"] == confirmed.booking
    assert (loaded.bookings["b1"].name, loaded.bookings["b1"].email) == ("Ada", "ada@example.com")
    assert loaded.states() == inventory.states()
    assert loaded.next_expiry() == 1060.0


@pytest.mark.req("hold-expiry")
@pytest.mark.req("durability")
def test_expired_holds_come_back_as_expired_within_the_late_confirm_window_only(db_path, opened):
    # Arrange
    store = open_store(db_path, opened)
    spec = show()
    inventory = new_show(store, spec)
    store.commit([hold(inventory, "early", now=1000.0), hold(inventory, "late", now=2000.0)])
    store.commit(inventory.expire_due(3000.0))

    # Act
    reopened = reopen(store, opened)
    remembered = reopened.load_inventory(spec, POLICY, expired_since=1500.0)

    # Assert
    assert remembered.holds == {}
    assert set(remembered.expired_holds) == {"late"}
    assert remembered.available == 20
    assert remembered.version == 4


@pytest.mark.req("holds")
@pytest.mark.req("durability")
def test_a_released_hold_does_not_come_back(db_path, opened):
    # Arrange
    store = open_store(db_path, opened)
    spec = show()
    inventory = new_show(store, spec)
    store.commit([hold(inventory, "h1", 2)])
    released = inventory.release("h1", "token-h1")
    assert isinstance(released, Released)
    store.commit([released])

    # Act
    loaded = reopen(store, opened).load_inventory(spec, POLICY, LONG_AGO)

    # Assert
    assert (loaded.holds, loaded.expired_holds, loaded.available, loaded.version) == ({}, {}, 20, 2)


@pytest.mark.req("shows")
def test_each_show_keeps_its_own_versions_bookings_and_change_log(db_path, opened):
    # Arrange
    store = open_store(db_path, opened)
    main, jazz = show("main"), show("jazz", 5, 5)
    main_inventory, jazz_inventory = new_show(store, main), new_show(store, jazz)
    store.commit([book(main_inventory, "m1"), book(jazz_inventory, "j1"), book(main_inventory, "m2")])

    # Act
    reopened = reopen(store, opened)
    loaded_main = reopened.load_inventory(main, POLICY, LONG_AGO)
    loaded_jazz = reopened.load_inventory(jazz, POLICY, LONG_AGO)

    # Assert
    assert (loaded_main.version, set(loaded_main.bookings)) == (2, {"m1", "m2"})
    assert (loaded_jazz.version, set(loaded_jazz.bookings)) == (1, {"j1"})
    assert [c.version for c in reopened.recent_changes("jazz", 10)] == [1]
    assert all(c.show == "jazz" for c in reopened.recent_changes("jazz", 10))


@pytest.mark.req("durability")
def test_a_booking_cancelled_in_the_same_batch_is_not_active_after_reopening(db_path, opened):
    # Arrange
    store = open_store(db_path, opened)
    spec = show("main", 4, 4)
    inventory = new_show(store, spec)
    store.commit([book(inventory, "b1"), cancel(inventory, "b1")])

    # Act
    loaded = open_store(db_path, opened).load_inventory(spec, POLICY, LONG_AGO)

    # Assert
    assert (loaded.bookings, loaded.available, loaded.version) == ({}, 4, 2)


@pytest.mark.req("durability")
@pytest.mark.req("all-or-nothing")
@pytest.mark.parametrize("bad_write", ["duplicate-booking-id", "duplicate-version", "duplicate-idempotency-key"])
def test_a_batch_with_one_failing_write_stores_none_of_it(db_path, opened, bad_write):
    # Arrange
    store = open_store(db_path, opened)
    spec = show("main", 10, 10)
    inventory = new_show(store, spec)
    earlier = book(inventory, "b1")
    store.commit([earlier, StoredReply("POST /book", "key-1", "f", 200, "{}")])
    good = book(inventory, "b2")
    bad = {
        "duplicate-booking-id": lambda: Booked(earlier.booking, book(inventory, "b3").change),
        "duplicate-version": lambda: Cancelled(earlier.booking, earlier.change),
        "duplicate-idempotency-key": lambda: StoredReply("POST /book", "key-1", "g", 409, "{}"),
    }[bad_write]()

    # Act
    with pytest.raises(sqlite3.IntegrityError):
        store.commit([good, bad])

    # Assert
    loaded = open_store(db_path, opened).load_inventory(spec, POLICY, LONG_AGO)
    assert (set(loaded.bookings), loaded.version) == ({"b1"}, 1)
    assert store.find_reply("POST /book", "key-1") == StoredReply("POST /book", "key-1", "f", 200, "{}")


@pytest.mark.req("idempotency")
def test_a_stored_reply_is_found_by_its_scope_and_key_after_reopening(db_path, opened):
    # Arrange
    store = open_store(db_path, opened)
    store.commit([StoredReply("POST /shows/main/holds", "key-1", "abc", 409, '{"error":"sold_out"}')])
    reopened = reopen(store, opened)

    # Act
    found = reopened.find_reply("POST /shows/main/holds", "key-1")
    other_path = reopened.find_reply("POST /shows/main/book", "key-1")
    missing = reopened.find_reply("POST /shows/main/holds", "key-2")

    # Assert
    assert found == StoredReply("POST /shows/main/holds", "key-1", "abc", 409, '{"error":"sold_out"}')
    assert (other_path, missing) == (None, None)


@pytest.mark.req("resume")
@pytest.mark.parametrize(("limit", "versions"), [(2, [4, 5]), (5, [1, 2, 3, 4, 5]), (50, [1, 2, 3, 4, 5])])
def test_recent_changes_are_the_last_ones_oldest_first(db_path, opened, limit, versions):
    # Arrange
    store = open_store(db_path, opened)
    inventory = new_show(store, show("main", 10, 10))
    results = [book(inventory, f"b{n}") for n in range(4)]
    results.append(cancel(inventory, "b0"))
    store.commit(results)

    # Act
    changes = open_store(db_path, opened).recent_changes("main", limit)

    # Assert
    assert [change.version for change in changes] == versions
    assert changes == [result.change for result in results][-len(versions):]


@pytest.mark.req("durability")
def test_an_in_memory_store_works_on_a_single_connection(opened):
    # Arrange
    store = open_store(":memory:", opened)
    spec = show("main", 5, 5)
    inventory = new_show(store, spec)

    # Act
    store.commit([book(inventory, "b1"), StoredReply("POST /book", "k", "f", 200, "{}")])

    # Assert
    loaded = store.load_inventory(spec, POLICY, LONG_AGO)
    assert (set(loaded.bookings), loaded.version) == ({"b1"}, 1)
    assert store.find_reply("POST /book", "k") == StoredReply("POST /book", "k", "f", 200, "{}")


@pytest.mark.req("durability")
def test_an_empty_show_starts_at_version_zero_with_every_seat_free(db_path, opened):
    # Arrange
    store = open_store(db_path, opened)

    # Act
    inventory = new_show(store, show("main", 7, 3))

    # Assert
    assert (inventory.version, inventory.available, inventory.bookings) == (0, 7, {})
    assert [inventory.layout.seat_id(i) for i in range(7)] == ["A1", "A2", "A3", "B1", "B2", "B3", "C1"]


# -- migration from the single-venue schema ------------------------------------------------


@pytest.fixture
def v1_database(tmp_path: Path) -> str:
    """A copy of a database the single-venue server wrote (tests/fixtures/README.md)."""
    path = tmp_path / "v1.db"
    shutil.copy(FIXTURES / "v1-seats.db", path)
    return str(path)


@pytest.mark.req("migration")
def test_a_single_venue_database_opens_as_show_main_with_its_venue_bookings_and_versions(v1_database, opened):
    # Act
    store = open_store(v1_database, opened)
    shows = store.shows()
    inventory = store.load_inventory(shows[0], POLICY, LONG_AGO)

    # Assert
    assert store.migrated_from == 1
    assert [(s.id, s.layout.total, [len(r) for r in s.layout.rows]) for s in shows] == [("main", 30, [10, 10, 10])]
    assert inventory.version == 4
    assert set(inventory.bookings) == {"pRgvPP8gsYpXBUnj", "EdwZGVLeHkjgZa9a"}
    assert inventory.bookings["pRgvPP8gsYpXBUnj"].seats == ("A5", "A6")
    booked = [inventory.layout.seat_id(i) for i, state in enumerate(inventory.states()) if state == "booked"]
    assert sorted(booked) == ["A5", "A6", "C1", "C2", "C3"]
    assert all(is_reference(b.reference) for b in inventory.bookings.values())
    assert [c.version for c in store.recent_changes("main", 10)] == [1, 2, 3, 4]


@pytest.mark.req("migration")
def test_migrated_bookings_keep_their_tokens_and_keys_keep_their_replies_on_post_book(v1_database, opened):
    # Arrange
    store = open_store(v1_database, opened)
    inventory = store.load_inventory(store.shows()[0], POLICY, LONG_AGO)
    original = json.loads((FIXTURES / "v1-old-key-1-reply.json").read_text())

    # Act
    reply = store.find_reply("POST /book", "old-key-1")
    cancelled = inventory.cancel("EdwZGVLeHkjgZa9a", "j4b8AuWQ9azrMC8aD8szwKYdYdPRPEyR")

    # Assert
    assert reply is not None and json.loads(reply.body) == original
    assert store.find_reply("POST /book", "old-key-2").status == 409
    assert cancelled.change.version == 5


@pytest.mark.req("migration")
def test_a_migrated_database_opens_again_without_migrating_twice(v1_database, opened):
    # Arrange
    first = open_store(v1_database, opened)

    # Act
    again = reopen(first, opened)

    # Assert
    assert again.migrated_from is None
    assert [s.id for s in again.shows()] == ["main"]
    assert again.load_inventory(again.shows()[0], POLICY, LONG_AGO).version == 4


@pytest.mark.req("migration")
def test_a_database_from_a_newer_version_is_refused(db_path, opened):
    # Arrange
    open_store(db_path, opened)
    with sqlite3.connect(db_path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")

    # Act / Assert
    with pytest.raises(StorageUnavailable, match="newer version"):
        SqliteStore(db_path)
