"""Gzip for event streams, compressed once per event, not once per reader.

A gzip body is a header, one DEFLATE stream and a trailer (CRC-32 and length of
the uncompressed bytes). Each event is compressed on its own and ended with a
sync flush, which closes its blocks on a byte boundary without ending the
stream, and refers only to itself: the same compressed bytes are valid at any
point of any reader's body. So the hub's one copy of an event (its `Piece`)
serves every gzip reader, and a reader only adds its own running CRC and length, for the
trailer that ends its stream cleanly. A 50,000-seat compact snapshot of rows of
ten (94 KB of JSON) goes out as about 22 KB.
"""

from __future__ import annotations

import struct
import zlib

HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, no mtime, unknown OS
_FINAL_EMPTY_BLOCK = b"\x03\x00"
LEVEL = 6


def deflated(data: bytes) -> bytes:
    """`data` as self-contained DEFLATE blocks ending on a byte boundary (each
    `Piece` keeps its result, so it is computed once per event)."""
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


def trailer(crc: int, size: int) -> bytes:
    """Ends the gzip body: an empty final block, then CRC-32 and length mod 2^32."""
    return _FINAL_EMPTY_BLOCK + struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF)


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an `Accept-Encoding` header allows gzip (and not with q=0)."""
    for item in (accept_encoding or "").split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip"):
            quality = params.strip().lower().removeprefix("q=")
            try:
                return not params.strip() or float(quality) > 0
            except ValueError:
                return False
    return False
