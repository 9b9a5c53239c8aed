"""A decision as text: what a process writes into the shared change log so that
every other process can apply it (`Inventory.apply`) exactly as if it had
decided it itself."""

from __future__ import annotations

import json
from dataclasses import asdict

from booking.inventory import (
    Booked,
    Booking,
    Cancelled,
    Change,
    Confirmed,
    Expired,
    Held,
    Hold,
    HoldUpdated,
    Released,
    Result,
)

_KINDS: dict[str, type] = {
    "booked": Booked, "cancelled": Cancelled, "held": Held, "hold_updated": HoldUpdated,
    "released": Released, "expired": Expired, "confirmed": Confirmed,
}
_KIND_OF = {cls: kind for kind, cls in _KINDS.items()}
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def encode_result(result: Result) -> str:
    body: dict = {"kind": _KIND_OF[type(result)]}
    for name in ("hold", "booking", "change"):
        value = getattr(result, name, None)
        if value is not None:
            body[name] = asdict(value)
    return _encode(body)


def decode_result(text: str) -> Result:
    body = json.loads(text)
    cls = _KINDS[body["kind"]]
    fields = {}
    if "hold" in body:
        hold = body["hold"]
        fields["hold"] = Hold(**{**hold, "seats": tuple(hold["seats"])})
    if "booking" in body:
        booking = body["booking"]
        fields["booking"] = Booking(**{**booking, "seats": tuple(booking["seats"])})
    change = body.get("change")
    fields["change"] = None if change is None else Change(**change)
    if cls in (Booked, Cancelled):
        return cls(fields["booking"], fields["change"])
    if cls is Confirmed:
        return cls(fields["hold"], fields["booking"], fields["change"])
    return cls(fields["hold"], fields["change"])
