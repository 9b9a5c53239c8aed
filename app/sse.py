"""The Server-Sent Events wire format, as pure functions to bytes."""

from __future__ import annotations

import re

# The only line ends in the SSE format (str.splitlines also splits on \x1c-\x1e,
# \x85, \u2028, ... and drops a trailing newline, so a client would read other data).
_LINE_END = re.compile(r"\r\n|\r|\n")

PING = b": ping\n\n"


def encode_event(data: str, event: str | None = None, event_id: str | None = None) -> bytes:
    """One event. Newlines are stripped from `event` and `id` (they would end the
    field early) and multi-line `data` becomes one `data:` line per line."""
    lines = []
    if event is not None:
        lines.append(f"event: {_single_line(event)}")
    if event_id is not None:
        lines.append(f"id: {_single_line(event_id)}")
    lines.extend(f"data: {line}" for line in _LINE_END.split(data))
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def encode_retry(milliseconds: int) -> bytes:
    return f"retry: {int(milliseconds)}\n\n".encode("ascii")


def encode_comment(text: str) -> bytes:
    return "".join(f": {line}\n" for line in text.splitlines() or [""]).encode("utf-8") + b"\n"


def _single_line(value: str) -> str:
    return value.replace("\r", "").replace("\n", "").replace("\0", "")
