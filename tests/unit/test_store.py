"""The SQLite store: what is committed comes back after a reopen, and a batch is all or nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.store import BookingWrite, CancelWrite, ReplyWrite, SeatStore, StoredReply
from booking.inventory import Booked, Inventory, hash_token
from booking.requests import BookRequest


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "seats.db")


@pytest.fixture
def opened() -> Iterator[list[SeatStore]]:
    """Closes every store a test opens."""
    stores: list[SeatStore] = []
    yield stores
    for store in stores:
        store.close()


def open_store(path: str, opened: list[SeatStore]) -> SeatStore:
    store = SeatStore(path)
    opened.append(store)
    return store


def book(inventory: Inventory, booking_id: str, quantity: int = 1) -> BookingWrite:
    outcome = inventory.book(BookRequest(quantity), booking_id, hash_token(f"token-{booking_id}"))
    assert isinstance(outcome, Booked)
    return BookingWrite(outcome.booking, outcome.change)


def cancel(inventory: Inventory, booking_id: str) -> CancelWrite:
    return CancelWrite(booking_id, inventory.cancel(booking_id, f"token-{booking_id}").change)


@pytest.mark.req("durability")
def test_a_new_database_lays_out_the_venue_and_an_existing_one_keeps_its_own(db_path, opened):
    # Arrange
    first = open_store(db_path, opened)
    created_venue, created = first.open_venue(25, 10)
    first.close()
    opened.remove(first)

    # Act
    kept_venue, created_again = open_store(db_path, opened).open_venue(100, 5)

    # Assert
    assert (created_venue.total, created_venue.row_size, created) == (25, 10, True)
    assert (kept_venue.total, kept_venue.row_size, created_again) == (25, 10, False)


@pytest.mark.req("durability")
@pytest.mark.req("versions")
def test_committed_bookings_and_cancellations_come_back_with_the_same_version_after_reopening(db_path, opened):
    # Arrange
    store = open_store(db_path, opened)
    venue, _ = store.open_venue(20, 10)
    inventory = store.load_inventory(venue)
    store.commit([book(inventory, "b1", 2), book(inventory, "b2")])
    store.commit([cancel(inventory, "b1"), book(inventory, "b3", 3)])
    store.close()
    opened.remove(store)

    # Act
    reopened = open_store(db_path, opened)
    loaded = reopened.load_inventory(reopened.open_venue(20, 10)[0])

    # Assert
    assert loaded.version == inventory.version == 4
    assert loaded.bookings == inventory.bookings
    assert set(loaded.bookings) == {"b2", "b3"}
    assert loaded.states() == inventory.states()
    assert loaded.available == inventory.available == 16


@pytest.mark.req("durability")
def test_a_booking_cancelled_in_the_same_batch_is_not_active_after_reopening(db_path, opened):
    # Arrange
    store = open_store(db_path, opened)
    venue, _ = store.open_venue(4, 4)
    inventory = store.load_inventory(venue)
    store.commit([book(inventory, "b1"), cancel(inventory, "b1")])

    # Act
    loaded = open_store(db_path, opened).load_inventory(venue)

    # Assert
    assert (loaded.bookings, loaded.available, loaded.version) == ({}, 4, 2)


@pytest.mark.req("durability")
@pytest.mark.req("all-or-nothing")
@pytest.mark.parametrize(
    "bad_write",
    [
        pytest.param("duplicate-booking-id", id="duplicate-booking-id"),
        pytest.param("duplicate-version", id="duplicate-version"),
        pytest.param("duplicate-idempotency-key", id="duplicate-idempotency-key"),
    ],
)
def test_a_batch_with_one_failing_write_stores_none_of_it(db_path, opened, bad_write):
    # Arrange
    store = open_store(db_path, opened)
    venue, _ = store.open_venue(10, 10)
    inventory = store.load_inventory(venue)
    earlier = book(inventory, "b1")
    store.commit([earlier, ReplyWrite("key-1", "f", 200, "{}")])
    good = book(inventory, "b2")
    bad = {
        "duplicate-booking-id": lambda: BookingWrite(earlier.booking, book(inventory, "b3").change),
        "duplicate-version": lambda: CancelWrite("b1", earlier.change),
        "duplicate-idempotency-key": lambda: ReplyWrite("key-1", "g", 409, "{}"),
    }[bad_write]()

    # Act
    with pytest.raises(sqlite3.IntegrityError):
        store.commit([good, bad])

    # Assert
    loaded = open_store(db_path, opened).load_inventory(venue)
    assert (set(loaded.bookings), loaded.version) == ({"b1"}, 1)
    assert store.find_reply("key-1") == StoredReply("f", 200, "{}")


@pytest.mark.req("durability")
def test_the_store_accepts_new_batches_after_a_failed_one(db_path, opened):
    # Arrange
    store = open_store(db_path, opened)
    venue, _ = store.open_venue(10, 10)
    inventory = store.load_inventory(venue)
    write = book(inventory, "b1")
    with pytest.raises(sqlite3.IntegrityError):
        store.commit([write, write])

    # Act
    store.commit([write])

    # Assert
    loaded = open_store(db_path, opened).load_inventory(venue)
    assert (set(loaded.bookings), loaded.version) == ({"b1"}, 1)


@pytest.mark.req("idempotency")
def test_a_stored_reply_is_found_by_its_key_after_reopening_and_an_unknown_key_is_not(db_path, opened):
    # Arrange
    store = open_store(db_path, opened)
    store.open_venue(10, 10)
    store.commit([ReplyWrite("key-1", "abc", 409, '{"error":"sold_out"}')])
    store.close()
    opened.remove(store)
    reopened = open_store(db_path, opened)

    # Act
    found, missing = reopened.find_reply("key-1"), reopened.find_reply("key-2")

    # Assert
    assert found == StoredReply("abc", 409, '{"error":"sold_out"}')
    assert missing is None


@pytest.mark.req("resume")
@pytest.mark.parametrize(("limit", "versions"), [(2, [4, 5]), (5, [1, 2, 3, 4, 5]), (50, [1, 2, 3, 4, 5])])
def test_recent_changes_are_the_last_ones_oldest_first(db_path, opened, limit, versions):
    # Arrange
    store = open_store(db_path, opened)
    venue, _ = store.open_venue(10, 10)
    inventory = store.load_inventory(venue)
    writes = [book(inventory, f"b{n}") for n in range(4)]
    writes.append(cancel(inventory, "b0"))
    store.commit(writes)

    # Act
    changes = open_store(db_path, opened).recent_changes(limit)

    # Assert
    assert [change.version for change in changes] == versions
    assert changes == [write.change for write in writes][-len(versions):]


@pytest.mark.req("durability")
def test_an_in_memory_store_works_on_a_single_connection(opened):
    # Arrange
    store = open_store(":memory:", opened)
    venue, created = store.open_venue(5, 5)
    inventory = store.load_inventory(venue)

    # Act
    store.commit([book(inventory, "b1"), ReplyWrite("k", "f", 200, "{}")])

    # Assert
    loaded = store.load_inventory(venue)
    assert created is True
    assert (set(loaded.bookings), loaded.version) == ({"b1"}, 1)
    assert store.find_reply("k") == StoredReply("f", 200, "{}")


@pytest.mark.req("durability")
def test_an_empty_database_starts_at_version_zero_with_every_seat_free(db_path, opened):
    # Arrange
    store = open_store(db_path, opened)
    venue, _ = store.open_venue(7, 3)

    # Act
    inventory = store.load_inventory(venue)

    # Assert
    assert (inventory.version, inventory.available, inventory.bookings) == (0, 7, {})
    assert [seat.id for seat in venue.seats] == ["A1", "A2", "A3", "B1", "B2", "B3", "C1"]
