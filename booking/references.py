"""Booking references: short codes a person can read out on the phone (`K7Q-M4ZP`).

Seven characters from an alphabet without look-alikes (no 0/O, 1/I/L, 5/S, 8/B),
about 1.3 × 10^10 codes; the inventory asks for another when one is already used
in the show. Randomness comes from the caller, so this stays a pure function.
"""

from __future__ import annotations

ALPHABET = "ACDEFGHJKMNPQRTUVWXYZ2345679"
LENGTH = 7


def reference_from(random_bytes: bytes) -> str:
    """A reference from at least 8 random bytes: `XXX-XXXX`."""
    if len(random_bytes) < 8:
        raise ValueError("a reference needs 8 random bytes")
    number = int.from_bytes(random_bytes[:8], "big")
    letters = []
    for _ in range(LENGTH):
        number, digit = divmod(number, len(ALPHABET))
        letters.append(ALPHABET[digit])
    return "".join(letters[:3]) + "-" + "".join(letters[3:])


def is_reference(value: str) -> bool:
    return (len(value) == LENGTH + 1 and value[3] == "-"
            and all(ch in ALPHABET for ch in value[:3] + value[4:]))
