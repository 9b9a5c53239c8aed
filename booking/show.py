"""A show: one performance, on a date, in a seat layout, priced in one currency."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from booking.errors import InvalidRequest
from booking.layout import Layout, parse_layout

DEFAULT_SHOW = "main"
DEFAULT_SHOW_NAME = "Main"
MAX_SHOW_NAME = 200
_SHOW_ID = re.compile(r"[a-z0-9-]{1,64}")
_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class Show:
    id: str
    name: str
    starts_at: str | None  # ISO 8601, as given
    currency: str
    layout: Layout


def is_show_id(value: str) -> bool:
    return _SHOW_ID.fullmatch(value) is not None


def parse_show(body: object) -> Show:
    """The body of `POST /shows`: `id`, `name` and `layout` are required;
    `starts_at` (ISO 8601 with a time zone) and `currency` (ISO 4217, default EUR)
    are optional."""
    if not isinstance(body, dict):
        raise InvalidRequest("body must be a JSON object with 'id', 'name' and 'layout'")
    unknown = sorted(set(body) - {"id", "name", "starts_at", "currency", "layout"})
    if unknown:
        raise InvalidRequest(f"unknown field(s): {', '.join(unknown)}")
    show_id = body.get("id")
    if not isinstance(show_id, str) or not is_show_id(show_id):
        raise InvalidRequest("'id' must be 1 to 64 characters of a-z, 0-9 and '-'")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_SHOW_NAME or not name.isprintable():
        raise InvalidRequest(f"'name' must be 1 to {MAX_SHOW_NAME} printable characters")
    starts_at = body.get("starts_at")
    if starts_at is not None and not _is_timestamp(starts_at):
        raise InvalidRequest("'starts_at' must be an ISO 8601 date and time with a time zone, "
                             "e.g. 2027-06-12T20:00:00Z")
    currency = body.get("currency", "EUR")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise InvalidRequest("'currency' must be a three-letter ISO 4217 code such as EUR")
    if "layout" not in body:
        raise InvalidRequest("'layout' is required: {\"sections\": [...]}")
    return Show(show_id, name.strip(), starts_at, currency, parse_layout(body["layout"]))


def _is_timestamp(value: object) -> bool:
    if not isinstance(value, str) or len(value) > 40:
        return False
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return False
    return parsed.tzinfo is not None
