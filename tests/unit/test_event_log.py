"""A show's event log: the cursor streams follow instead of copying events."""

from __future__ import annotations

import pytest

from app.event_log import EventLog
from app.event_stream import FellBehind, Piece


def log_of(first: int, last: int, limit: int = 100) -> EventLog:
    return EventLog(limit, ((v, Piece(b"e%d;" % v)) for v in range(first, last + 1)))


@pytest.mark.req("resume")
def test_the_next_event_after_a_cursor_and_none_at_the_head():
    # Arrange
    log = log_of(1, 5)

    # Act / Assert
    assert log.next_after(0).data == b"e1;"
    assert log.next_after(4).data == b"e5;"
    assert log.next_after(5) is None


@pytest.mark.req("stalled-reader")
def test_bytes_after_a_cursor_are_what_a_stream_there_still_has_to_send():
    # Arrange: each event is 3 or 4 bytes (b"e9;", b"e10;")
    log = log_of(1, 12)

    # Act / Assert
    assert log.bytes_after(12) == 0
    assert log.bytes_after(11) == 4
    assert log.bytes_after(0) == 9 * 3 + 3 * 4
    assert log.bytes_after(8) == 3 + 3 * 4


@pytest.mark.req("stalled-reader")
def test_a_cursor_behind_what_the_log_keeps_has_fallen_behind():
    # Arrange: limit 4, so after 20 versions the log keeps at most 8 and promises 4
    log = EventLog(4)
    for version in range(1, 21):
        log.append(version, Piece(b"x"))

    # Act / Assert
    assert (log.covers(16), log.covers(15)) == (True, False)
    with pytest.raises(FellBehind):
        log.next_after(1)
    with pytest.raises(FellBehind):
        log.bytes_after(1)
    assert log.next_after(19).data == b"x"


@pytest.mark.req("resume")
def test_the_log_stays_within_twice_its_limit_however_long_it_runs():
    # Arrange
    log = EventLog(10)

    # Act
    for version in range(1, 10_001):
        log.append(version, Piece(b"x"))

    # Assert
    assert len(log._pieces) <= 20
    assert log.last_version == 10_000 and log.covers(9_990)
