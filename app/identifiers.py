"""Fresh random ids, secrets and booking references (the shell's randomness; the
domain core only receives them)."""

from __future__ import annotations

import secrets

from booking.references import reference_from


def new_id() -> str:
    """A booking or hold id: 16 URL-safe characters, unique across shows."""
    return secrets.token_urlsafe(12)


def new_token() -> str:
    """A bearer secret that proves ownership of a hold or a booking."""
    return secrets.token_urlsafe(24)


def new_reference() -> str:
    return reference_from(secrets.token_bytes(7))
