"""Every JSON body of the contract (../shared/contract.md), built in one place.

Pure functions from domain values to `Reply` (a status and the encoded body) or
to JSON text. Bodies are encoded once, here, and kept as text: an idempotent
repeat is then byte-identical to the first answer, and the same event bytes go
to every stream. `tests/unit/test_contract_json.py` pins each shape byte for byte.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from booking.inventory import Booking, Change, Hold, Rejected
from booking.layout import Layout
from booking.show import Show


@dataclass(frozen=True)
class Reply:
    """One answer: the HTTP status and the JSON body, already encoded."""

    status: int
    body: str
    # The stored answer to a repeated Idempotency-Key, not a new decision (for /metrics).
    replayed: bool = field(default=False, compare=False)


# One encoder for every body: json.dumps with options builds a new one per call.
encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def error(code: str, message: str) -> str:
    return encode({"error": code, "message": message})


# -- bookings (Part 1, and POST /shows/{show}/book) ------------------------------------

def booked(booking: Booking, token: str, change: Change) -> Reply:
    return Reply(200, encode({
        "booking_id": booking.id, "token": token, "seats": list(booking.seats),
        "available": change.available, "version": change.version,
    }))


def rejected(outcome: Rejected) -> Reply:
    """409: `seats_taken`, `sold_out`, `hold_expired` or `basket_empty`."""
    return Reply(409, encode({
        "error": outcome.error, "message": outcome.message, "unavailable": list(outcome.unavailable),
        "available": outcome.available, "version": outcome.version,
    }))


def cancelled(booking: Booking, change: Change) -> Reply:
    return Reply(200, encode({"released": list(booking.seats), "available": change.available,
                              "version": change.version}))


# -- holds and checkout ----------------------------------------------------------------

def basket(hold: Hold, available: int, version: int, now: float, token: str | None = None) -> Reply:
    """The whole basket; only the answer that creates it (201) carries the token."""
    body: dict = {"hold_id": hold.id}
    if token is not None:
        body["token"] = token
    body.update({
        "seats": list(hold.seats),
        "expires_at": timestamp(hold.expires_at),
        "expires_in": max(0, round(hold.expires_at - now)),
        "total_price": hold.total_price,
        "available": available,
        "version": version,
    })
    return Reply(201 if token is not None else 200, encode(body))


def released(hold: Hold, available: int, version: int) -> Reply:
    return Reply(200, encode({"released": list(hold.seats), "available": available, "version": version}))


def confirmed(booking: Booking, token: str, change: Change) -> Reply:
    return Reply(200, encode({
        "booking_id": booking.id, "token": token, "reference": booking.reference, "seats": list(booking.seats),
        "total_price": booking.total_price, "available": change.available, "version": change.version,
    }))


def timestamp(seconds: float) -> str:
    """UTC, ISO 8601, to the millisecond: `2027-06-12T20:00:00.000Z`."""
    whole = int(seconds)
    millis = round((seconds - whole) * 1000)
    if millis == 1000:
        whole, millis = whole + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"


# -- shows -------------------------------------------------------------------------------

def show_summary(show: Show, available: int, version: int) -> dict:
    """One entry of `GET /shows`."""
    return {"id": show.id, "name": show.name, "starts_at": show.starts_at, "total": show.layout.total,
            "available": available, "version": version}


def show_list(entries: list[dict]) -> str:
    return encode(entries)


def show_detail(show: Show) -> str:
    """`GET /shows/{show}`: what never changes about a show."""
    return encode({"id": show.id, "name": show.name, "starts_at": show.starts_at, "currency": show.currency,
                   "layout": show.layout.to_json()})


def show_created(show: Show) -> Reply:
    """201 for `POST /shows`: the show as `GET /shows/{show}` gives it, with its
    seat count, free seats and version (0) as `GET /shows` lists them."""
    body = json.loads(show_detail(show))
    body.update({"total": show.layout.total, "available": show.layout.total, "version": 0})
    return Reply(201, encode(body))


# -- seat state: snapshots and stream events -----------------------------------------------

def seats_event_data(change: Change) -> str:
    """The `data:` of a `seats` event."""
    return encode({"version": change.version, "available": change.available, "changed": change.changed})


_STATE_OF_CODE = {ord("f"): "free", ord("h"): "held", ord("b"): "booked"}


def verbose_snapshot(layout: Layout, codes: bytes, version: int, available: int) -> str:
    """Part 1's `GET /seats` and `/events` snapshot: an object per seat. Built as
    text (labels are letters, numbers digits: nothing to escape), several times
    faster than encoding a list of dicts."""
    parts = []
    for label, row in zip(layout.labels, layout.rows, strict=True):
        for number, i in enumerate(row, 1):
            parts.append(f'{{"id":"{label}{number}","row":"{label}","number":{number},'
                         f'"state":"{_STATE_OF_CODE[codes[i]]}"}}')
    return (f'{{"version":{version},"total":{layout.total},"available":{available},'
            f'"seats":[{",".join(parts)}]}}')


def compact_snapshot(layout: Layout, codes: bytes, version: int, available: int) -> str:
    """Part 2's snapshot: one letter a seat (f free, h held, b booked), row by row."""
    rows = ",".join(f'"{label}":"{codes[row.start:row.stop].decode("ascii")}"'
                    for label, row in zip(layout.labels, layout.rows, strict=True))
    return f'{{"version":{version},"total":{layout.total},"available":{available},"rows":{{{rows}}}}}'


def health(status: str, version: int, subscribers: int) -> str:
    return encode({"status": status, "version": version, "subscribers": subscribers})
