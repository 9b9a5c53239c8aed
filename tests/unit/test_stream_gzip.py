"""Gzip event streams: each piece compressed once, valid anywhere in any body."""

from __future__ import annotations

import gzip
import zlib

import pytest

from app.event_stream import Piece
from app.stream_gzip import HEADER, accepts_gzip, deflated, trailer


@pytest.mark.req("compact-snapshot")
@pytest.mark.parametrize("order", [(0, 1, 2), (2, 0, 1), (1, 1, 0)])
def test_pieces_compressed_on_their_own_unzip_in_any_order_between_header_and_trailer(order):
    # Arrange
    pieces = [b"retry: 2000\n\n", b"event: snapshot\ndata: " + b"ff" * 5000 + b"\n\n", b"event: seats\ndata: {}\n\n"]
    chosen = [pieces[i] for i in order]
    raw = b"".join(chosen)

    # Act
    body = HEADER + b"".join(deflated(p) for p in chosen) + trailer(zlib.crc32(raw), len(raw))

    # Assert
    assert gzip.decompress(body) == raw


@pytest.mark.req("compact-snapshot")
def test_a_piece_is_compressed_and_framed_once_for_every_stream():
    # Arrange
    piece = Piece(b"event: seats\ndata: {\"version\":1}\n\n")

    # Act
    first, again = piece.form(chunked=True, gzip=True), piece.form(chunked=True, gzip=True)

    # Assert
    assert first is again
    assert piece.form(chunked=False, gzip=False) is piece.data


@pytest.mark.req("sse-format")
@pytest.mark.parametrize(
    ("header", "gzip_ok"),
    [(None, False), ("", False), ("gzip", True), ("gzip, deflate, br", True), ("br;q=1.0, gzip;q=0.8", True),
     ("deflate, gzip;q=0", False), ("identity", False), ("GZIP", True), ("x-gzip", True), ("gzip;q=x", False)],
)
def test_accept_encoding_allows_gzip_unless_its_quality_is_zero(header, gzip_ok):
    assert accepts_gzip(header) is gzip_ok
