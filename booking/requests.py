"""Turning a decoded `POST /book` body into a `BookRequest`, or a clear refusal."""

from __future__ import annotations

import json
from dataclasses import dataclass

from booking.errors import InvalidRequest
from booking.venue import Venue


@dataclass(frozen=True)
class BookRequest:
    """Either `quantity` seats best-available, or exactly `seats` (by layout index)."""

    quantity: int
    seats: tuple[int, ...] | None = None


def decode_json_body(raw: bytes) -> object:
    """Decode a JSON body; an empty body means `{}`. Duplicate keys are refused,
    since silently keeping the last one hides a client bug."""
    if not raw.strip():
        return {}
    try:
        return json.loads(raw.decode("utf-8"), object_pairs_hook=_refuse_duplicate_keys)
    except UnicodeDecodeError as error:
        raise InvalidRequest("body is not valid UTF-8") from error
    except json.JSONDecodeError as error:
        raise InvalidRequest(f"body is not valid JSON: {error.msg} at position {error.pos}") from error
    except RecursionError as error:
        raise InvalidRequest("body is nested too deeply") from error
    except ValueError as error:  # an integer longer than sys.get_int_max_str_digits()
        raise InvalidRequest("body holds a number too long to read") from error


def _refuse_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise InvalidRequest(f"duplicate key {key!r} in JSON object")
        result[key] = value
    return result


def parse_book_request(body: object, venue: Venue, max_per_booking: int) -> BookRequest:
    """Validate a decoded body against the venue; raise `InvalidRequest` if it is not
    one of `{}`, `{"quantity": n}` or `{"seats": [...]}`."""
    if not isinstance(body, dict):
        raise InvalidRequest("body must be a JSON object")
    unknown = sorted(set(body) - {"quantity", "seats"})
    if unknown:
        raise InvalidRequest(f"unknown field(s): {', '.join(unknown)}; use 'quantity' or 'seats'")
    if "quantity" in body and "seats" in body:
        raise InvalidRequest("give either 'quantity' or 'seats', not both")
    if "seats" in body:
        seats = _parse_seats(body["seats"], venue, max_per_booking)
        return BookRequest(quantity=len(seats), seats=seats)
    quantity = body.get("quantity", 1)
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidRequest("'quantity' must be an integer")
    if not 1 <= quantity <= max_per_booking:
        raise InvalidRequest(f"'quantity' must be between 1 and {max_per_booking}")
    return BookRequest(quantity=quantity)


def _parse_seats(seats: object, venue: Venue, max_per_booking: int) -> tuple[int, ...]:
    if not isinstance(seats, list) or not seats:
        raise InvalidRequest("'seats' must be a non-empty list of seat ids")
    if len(seats) > max_per_booking:
        raise InvalidRequest(f"at most {max_per_booking} seats per booking")
    indexes: list[int] = []
    for seat_id in seats:
        if not isinstance(seat_id, str):
            raise InvalidRequest("seat ids must be strings like 'A1'")
        index = venue.index.get(seat_id)
        if index is None:
            raise InvalidRequest(f"unknown seat {seat_id[:20]!r}")
        if index in indexes:
            raise InvalidRequest(f"seat {seat_id!r} is listed twice")
        indexes.append(index)
    return tuple(indexes)
