"""Idempotency keys: what a valid key is, and when two bodies are "the same"."""

from __future__ import annotations

import hashlib
import json

from booking.errors import InvalidRequest

MAX_KEY_LENGTH = 255


def validate_key(key: str) -> str:
    """1-255 printable ASCII characters, as the contract says."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise InvalidRequest(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters")
    if not all(" " <= ch <= "~" for ch in key):
        raise InvalidRequest("Idempotency-Key must be printable ASCII")
    return key


def fingerprint(body: object) -> str:
    """Same JSON value, whatever its spacing or key order, gives the same fingerprint."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()
