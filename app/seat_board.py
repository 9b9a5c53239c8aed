"""The committed picture of the venue, as `GET /seats` and stream snapshots show it."""

from __future__ import annotations

import json

from app.sse import encode_event
from booking.inventory import FREE, Change
from booking.venue import Venue


class SeatBoard:
    """Follows committed changes only, so no client ever sees a decision that the
    disk might still lose. The snapshot is encoded once per version and shared."""

    def __init__(self, venue: Venue, states: list[str], version: int) -> None:
        self.venue = venue
        self.version = version
        self._states = list(states)
        self.available = self._states.count(FREE)
        self._snapshot_json: str | None = None
        self._snapshot_event: bytes | None = None

    def apply(self, change: Change) -> None:
        for seat_id, state in change.changed.items():
            self._states[self.venue.index[seat_id]] = state
        self.version = change.version
        self.available = change.available
        self._snapshot_json = self._snapshot_event = None

    def snapshot_json(self) -> str:
        if self._snapshot_json is None:
            seats = [
                {"id": seat.id, "row": seat.row, "number": seat.number, "state": state}
                for seat, state in zip(self.venue.seats, self._states, strict=False)
            ]
            self._snapshot_json = json.dumps(
                {"version": self.version, "total": self.venue.total, "available": self.available, "seats": seats},
                separators=(",", ":"),
            )
        return self._snapshot_json

    def snapshot_event(self) -> bytes:
        if self._snapshot_event is None:
            self._snapshot_event = encode_event(self.snapshot_json(), "snapshot", str(self.version))
        return self._snapshot_event
