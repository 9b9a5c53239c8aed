"""Fresh random ids, secrets and booking references (the shell's randomness; the
domain core only receives them)."""

from __future__ import annotations

import secrets
from base64 import urlsafe_b64encode

from booking.references import reference_from


def new_id_and_token() -> tuple[str, str]:
    """A booking or hold id (16 URL-safe characters, unique across shows) and the
    bearer secret that proves ownership of it (32 characters, 192 bits), from one
    draw of the system's randomness."""
    drawn = urlsafe_b64encode(secrets.token_bytes(36)).decode("ascii")
    return drawn[:16], drawn[16:]


def new_reference() -> str:
    return reference_from(secrets.token_bytes(7))
