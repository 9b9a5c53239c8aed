"""A show's recent events, in version order, shared by every stream that reads them.

Streams do not copy events into queues of their own: each keeps a cursor (the
last version it has sent) and pulls the next piece from here when its socket
can take more. A stream resuming 10,000 versions back, or one that stopped
reading, costs a cursor, not 10,000 references; how far behind it is comes from
the byte offsets kept with each event.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.event_stream import FellBehind, Piece


class EventLog:
    def __init__(self, limit: int, events: Iterable[tuple[int, Piece]] = ()) -> None:
        self.limit = limit
        self._first = 1  # the version of _pieces[0]
        self._pieces: list[Piece] = []
        self._ends: list[int] = []  # bytes of all events up to and including each one
        for version, piece in events:
            self.append(version, piece)

    @property
    def last_version(self) -> int:
        return self._first + len(self._pieces) - 1

    def append(self, version: int, piece: Piece) -> None:
        if not self._pieces or version != self.last_version + 1:
            # The first event, or a gap (never from the committer): start afresh.
            self._first, self._pieces, self._ends = version, [], []
        self._ends.append((self._ends[-1] if self._ends else 0) + len(piece.data))
        self._pieces.append(piece)
        # Trimmed in one copy when twice the limit, so each append is O(1) on average.
        if len(self._pieces) > 2 * self.limit:
            drop = len(self._pieces) - self.limit
            self._pieces, self._ends = self._pieces[drop:], self._ends[drop:]
            self._first += drop

    def covers(self, after: int) -> bool:
        """Whether every event after version `after` is among the last `limit`
        (more may be kept between trims; a resume is promised only these)."""
        oldest = max(self._first, self.last_version - self.limit + 1)
        return bool(self._pieces) and oldest <= after + 1 <= self.last_version + 1

    def next_after(self, version: int) -> Piece | None:
        """The event of version `version + 1`, or None when there is none yet;
        `FellBehind` when it is no longer kept."""
        index = version + 1 - self._first
        if index < 0:
            raise FellBehind(version)
        return self._pieces[index] if index < len(self._pieces) else None

    def pieces_after(self, version: int) -> list[Piece]:
        """Every event after `version` (for tests and small replays)."""
        return self._pieces[max(0, version + 1 - self._first):]

    def bytes_after(self, version: int) -> int:
        """Bytes of the events after `version`."""
        if not self._pieces or version >= self.last_version:
            return 0
        index = version - self._first  # the event of `version` itself
        if index < -1:
            raise FellBehind(version)
        return self._ends[-1] - (self._ends[index] if index >= 0 else 0)
