"""The committed picture of a show, as snapshots show it: one letter a seat."""

from __future__ import annotations

import gzip

from app.contract_json import compact_snapshot, verbose_snapshot
from app.event_stream import Piece
from app.sse import encode_event
from booking.inventory import STATE_CODES, Change
from booking.layout import Layout

GZIP_LEVEL = 6


class SeatBoard:
    """Follows committed changes only, so no client ever sees a decision that the
    disk might still lose. Each snapshot form (Part 1's verbose one, Part 2's
    compact one, gzipped or not, as JSON or as an SSE event) is built at most once
    per version and shared by every reader."""

    def __init__(self, layout: Layout, codes: bytes, version: int) -> None:
        self.layout = layout
        self.version = version
        self._codes = bytearray(codes)
        self.available = self._codes.count(b"f")
        self._cache: dict[tuple[str, bool], bytes | Piece] = {}

    def apply(self, change: Change) -> None:
        codes, index_of = self._codes, self.layout.index_of
        for seat_id, state in change.changed.items():
            codes[index_of(seat_id)] = ord(STATE_CODES[state])
        self.version = change.version
        self.available = change.available
        self._cache.clear()

    def snapshot_json(self, compact: bool) -> bytes:
        return self._cached("json", compact, self._build_json)

    def snapshot_gzip(self, compact: bool) -> bytes:
        return self._cached("gzip", compact, lambda c: gzip.compress(self.snapshot_json(c), GZIP_LEVEL, mtime=0))

    def snapshot_event(self, compact: bool) -> bytes:
        return self.snapshot_piece(compact).data

    def snapshot_piece(self, compact: bool) -> Piece:
        """The snapshot as a stream's opening piece, framed once for every stream."""
        return self._cached("event", compact, lambda c: Piece(encode_event(
            self.snapshot_json(c).decode("utf-8"), "snapshot", str(self.version))))

    def _cached(self, form: str, compact: bool, build):
        key = (form, compact)
        value = self._cache.get(key)
        if value is None:
            value = self._cache[key] = build(compact)
        return value

    def _build_json(self, compact: bool) -> bytes:
        build = compact_snapshot if compact else verbose_snapshot
        return build(self.layout, bytes(self._codes), self.version, self.available).encode("utf-8")
