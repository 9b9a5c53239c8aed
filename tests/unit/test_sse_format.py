"""The Server-Sent Events wire format, byte for byte."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.sse import PING, encode_comment, encode_event, encode_retry
from tests.support.sse import EventStreamParser


@pytest.mark.req("sse-format")
@pytest.mark.parametrize(
    ("data", "event", "event_id", "expected"),
    [
        pytest.param('{"version":8}', "seats", "8", b'event: seats\nid: 8\ndata: {"version":8}\n\n', id="full"),
        pytest.param("hello", None, None, b"data: hello\n\n", id="data-only"),
        pytest.param("hello", "snapshot", None, b"event: snapshot\ndata: hello\n\n", id="no-id"),
        pytest.param("hello", None, "3", b"id: 3\ndata: hello\n\n", id="no-event"),
        pytest.param("", None, None, b"data: \n\n", id="empty-data"),
        pytest.param("a\nb", None, None, b"data: a\ndata: b\n\n", id="lf-splits-data"),
        pytest.param("a\r\nb", None, None, b"data: a\ndata: b\n\n", id="crlf-splits-data"),
        pytest.param("a\rb", None, None, b"data: a\ndata: b\n\n", id="cr-splits-data"),
        pytest.param("a\n\nb", None, None, b"data: a\ndata: \ndata: b\n\n", id="blank-line-kept"),
        pytest.param("a\n", None, None, b"data: a\ndata: \n\n", id="trailing-newline-kept"),
        pytest.param("\n", None, None, b"data: \ndata: \n\n", id="only-newline"),
        pytest.param("a\u2028b\x85c", None, None, "data: a\u2028b\x85c\n\n".encode(),
                     id="unicode-separators-not-lines"),
        pytest.param("café", None, None, "data: café\n\n".encode(), id="utf-8"),
        pytest.param("x", "sea\nts", "1\r\n2", b"event: seats\nid: 12\ndata: x\n\n",
                     id="newlines-stripped-from-fields"),
        pytest.param("x", "a\rb", "7\0", b"event: ab\nid: 7\ndata: x\n\n", id="cr-and-nul-stripped"),
    ],
)
def test_event_encodes_to_exact_bytes(data, event, event_id, expected):
    # Act
    encoded = encode_event(data, event, event_id)

    # Assert
    assert encoded == expected


@pytest.mark.req("sse-format")
@pytest.mark.parametrize(
    ("milliseconds", "expected"),
    [(2000, b"retry: 2000\n\n"), (0, b"retry: 0\n\n"), (1500.9, b"retry: 1500\n\n")],
)
def test_retry_encodes_as_whole_milliseconds(milliseconds, expected):
    # Act
    encoded = encode_retry(milliseconds)

    # Assert
    assert encoded == expected


@pytest.mark.req("sse-format")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ping", b": ping\n\n"),
        ("", b": \n\n"),
        ("a\nb", b": a\n: b\n\n"),
        ("a\r\nb", b": a\n: b\n\n"),
        ("é", ": é\n\n".encode()),
    ],
)
def test_comment_encodes_every_line_as_a_comment_line(text, expected):
    # Act
    encoded = encode_comment(text)

    # Assert
    assert encoded == expected


@pytest.mark.req("sse-format")
def test_heartbeat_is_the_ping_comment():
    # Act
    ping = encode_comment("ping")

    # Assert
    assert PING == ping == b": ping\n\n"


def as_received(data: str) -> str:
    """What a client's `event.data` is: the spec's line ends (CR, LF, CRLF) become LF."""
    return re.sub(r"\r\n|\r", "\n", data)


@pytest.mark.req("sse-format")
@given(data=st.text(), event=st.text(), event_id=st.text())
def test_any_event_is_read_back_by_a_client_with_the_same_data_and_one_line_fields(data, event, event_id):
    # Arrange
    parser = EventStreamParser()

    # Act
    events = parser.feed(encode_event(data, event, event_id))

    # Assert
    assert len(events) == 1
    assert events[0].data == as_received(data)
    assert events[0].event == re.sub("[\r\n\0]", "", event)
    assert events[0].id == re.sub("[\r\n\0]", "", event_id)
    assert parser.buffer == ""
