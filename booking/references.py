"""Booking references: short codes a person can read out on the phone (`K7Q-M4ZP`).

Seven characters from an alphabet without look-alikes (no 0/O, 1/I/L, 5/S, 8/B),
about 1.3 × 10^10 codes; the inventory asks for another when one is already used
in the show. Randomness comes from the caller, so this stays a pure function.
Each random byte picks a letter modulo 28: four letters come up 10/9 as often as
the others, which costs a reference nothing (it is not a secret) and makes one
a byte translation instead of big-integer arithmetic.
"""

from __future__ import annotations

ALPHABET = "ACDEFGHJKMNPQRTUVWXYZ2345679"
LENGTH = 7


_BYTE_TO_LETTER = bytes(ord(ALPHABET[b % len(ALPHABET)]) for b in range(256))


def reference_from(random_bytes: bytes) -> str:
    """A reference from at least 7 random bytes: `XXX-XXXX`."""
    if len(random_bytes) < LENGTH:
        raise ValueError(f"a reference needs {LENGTH} random bytes")
    letters = random_bytes[:LENGTH].translate(_BYTE_TO_LETTER).decode("ascii")
    return f"{letters[:3]}-{letters[3:]}"


def is_reference(value: str) -> bool:
    return (len(value) == LENGTH + 1 and value[3] == "-"
            and all(ch in ALPHABET for ch in value[:3] + value[4:]))
