"""Rows as both stores (SQLite and PostgreSQL) write and read them: the same
tables and columns on either, so one mapping serves both."""

from __future__ import annotations

import json

from booking.inventory import Booking, Change, Hold
from booking.show import Show

encode_json = json.JSONEncoder(separators=(",", ":")).encode
HOLD_COLUMNS = "id, token_hash, seats, client, created_at, expires_at, total_price"
BOOKING_COLUMNS = "id, token_hash, seats, reference, total_price, name, email"


def show_row(show: Show) -> tuple:
    return show.id, show.name, show.starts_at, show.currency, encode_json(show.layout.to_json())


def booking_row(booking: Booking, change: Change, hold_id: str | None) -> tuple:
    return (booking.id, change.show, booking.token_hash, encode_json(booking.seats), booking.reference,
            booking.total_price, booking.name, booking.email, hold_id, change.version)


def booking_from_row(row: tuple) -> Booking:
    """A row of `BOOKING_COLUMNS`."""
    booking_id, token_hash, seats, reference, total_price, name, email = row
    return Booking(booking_id, token_hash, tuple(json.loads(seats)), reference, total_price, name, email)


def hold_from_row(row: tuple) -> Hold:
    """A row of `HOLD_COLUMNS`."""
    hold_id, token_hash, seats, client, created_at, expires_at, total_price = row
    return Hold(hold_id, token_hash, tuple(json.loads(seats)), client, created_at, expires_at, total_price)
