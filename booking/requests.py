"""Decoded request bodies turned into requests the inventory understands, or a
clear `InvalidRequest` naming what is wrong."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from booking.errors import InvalidRequest
from booking.layout import Layout

MAX_NAME = 200
MAX_EMAIL = 254  # RFC 5321's limit for a forward path
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class BookRequest:
    """Either `quantity` seats best-available (in one section, or anywhere), or
    exactly `seats` (by layout index)."""

    quantity: int
    seats: tuple[int, ...] | None = None
    section: int | None = None


@dataclass(frozen=True)
class Buyer:
    name: str
    email: str


def decode_json_body(raw: bytes) -> object:
    """Decode a JSON body; an empty body means `{}`. Duplicate keys are refused,
    since silently keeping the last one hides a client bug."""
    if not raw.strip():
        return {}
    try:
        text = raw.decode("utf-8")
        value = json.loads(text, object_pairs_hook=_refuse_duplicate_keys)
    except UnicodeDecodeError as error:
        raise InvalidRequest("body is not valid UTF-8") from error
    except json.JSONDecodeError as error:
        raise InvalidRequest(f"body is not valid JSON: {error.msg} at position {error.pos}") from error
    except RecursionError as error:
        raise InvalidRequest("body is nested too deeply") from error
    except ValueError as error:  # an integer longer than sys.get_int_max_str_digits()
        raise InvalidRequest("body holds a number too long to read") from error
    # A `\\ud800` escape decodes to a lone surrogate: a string no database, log or
    # answer can encode. Such escapes are rare, so only bodies that have one are walked.
    if "\\u" in text and _has_lone_surrogate(value):
        raise InvalidRequest("body holds a \\u escape of half a character (a lone surrogate)")
    return value


def _has_lone_surrogate(value: object) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _refuse_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise InvalidRequest(f"duplicate key {key!r} in JSON object")
        result[key] = value
    return result


def parse_book_request(body: object, layout: Layout, max_per_booking: int) -> BookRequest:
    """One of `{}`, `{"quantity": n}` (each optionally with `"section"`) or
    `{"seats": [...]}`; anything else is `InvalidRequest`."""
    if not isinstance(body, dict):
        raise InvalidRequest("body must be a JSON object")
    unknown = sorted(set(body) - {"quantity", "seats", "section"})
    if unknown:
        raise InvalidRequest(f"unknown field(s): {', '.join(unknown)}; use 'quantity', 'section' or 'seats'")
    if "quantity" in body and "seats" in body:
        raise InvalidRequest("give either 'quantity' or 'seats', not both")
    if "seats" in body:
        if "section" in body:
            raise InvalidRequest("'section' picks best-available seats; it cannot go with 'seats'")
        seats = _parse_seats(body["seats"], layout, max_per_booking)
        return BookRequest(quantity=len(seats), seats=seats)
    quantity = body.get("quantity", 1)
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidRequest("'quantity' must be an integer")
    if not 1 <= quantity <= max_per_booking:
        raise InvalidRequest(f"'quantity' must be between 1 and {max_per_booking}")
    return BookRequest(quantity=quantity, section=_parse_section(body, layout))


def parse_buyer(body: object) -> Buyer:
    """`{"name": …, "email": …}`, both required, of sane lengths."""
    if not isinstance(body, dict):
        raise InvalidRequest("body must be a JSON object with 'name' and 'email'")
    unknown = sorted(set(body) - {"name", "email"})
    if unknown:
        raise InvalidRequest(f"unknown field(s): {', '.join(unknown)}; send 'name' and 'email'")
    name, email = body.get("name"), body.get("email")
    if not isinstance(name, str) or not name.strip():
        raise InvalidRequest("'name' is required: the buyer's name")
    if len(name) > MAX_NAME or not name.isprintable():
        raise InvalidRequest(f"'name' must be at most {MAX_NAME} printable characters")
    if not isinstance(email, str) or not email.strip():
        raise InvalidRequest("'email' is required: where the booking is sent")
    email = email.strip()
    if len(email) > MAX_EMAIL or not _EMAIL.fullmatch(email) or not email.isprintable():
        raise InvalidRequest("'email' must look like name@example.com")
    return Buyer(name.strip(), email)


def _parse_section(body: dict, layout: Layout) -> int | None:
    if "section" not in body:
        return None
    name = body["section"]
    if not isinstance(name, str):
        raise InvalidRequest("'section' must be the name of one of the show's sections")
    index = layout.section_of_name.get(name)
    if index is None:
        names = ", ".join(repr(s.name) for s in layout.sections[:10])
        raise InvalidRequest(f"no section {name[:100]!r} in this show; it has {names}")
    return index


def _parse_seats(seats: object, layout: Layout, max_per_booking: int) -> tuple[int, ...]:
    if not isinstance(seats, list) or not seats:
        raise InvalidRequest("'seats' must be a non-empty list of seat ids")
    if len(seats) > max_per_booking:
        raise InvalidRequest(f"at most {max_per_booking} seats per booking")
    indexes: list[int] = []
    for seat_id in seats:
        if not isinstance(seat_id, str):
            raise InvalidRequest("seat ids must be strings like 'A1'")
        index = layout.index_of(seat_id)
        if index is None:
            raise InvalidRequest(f"unknown seat {seat_id[:20]!r}")
        if index in indexes:
            raise InvalidRequest(f"seat {seat_id!r} is listed twice")
        indexes.append(index)
    return tuple(indexes)
