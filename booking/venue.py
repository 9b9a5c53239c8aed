"""The venue: seat layout and the order in which seats are "best"."""

from __future__ import annotations

from dataclasses import dataclass


def row_label(index: int) -> str:
    """Spreadsheet-style row names: 0 -> A, 25 -> Z, 26 -> AA, 27 -> AB."""
    label = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        label = chr(ord("A") + remainder) + label
    return label


@dataclass(frozen=True)
class Seat:
    id: str
    row: str
    number: int
    row_index: int


class Venue:
    """An immutable layout of rows of seats, front row (A) first.

    Seats are addressed by their index in layout order. `best_order` ranks them
    for best-available: front row first, then closest to the middle of the
    seat's own row (so a short last row is centred on itself), left before right.
    """

    def __init__(self, total: int, row_size: int) -> None:
        if total < 1 or row_size < 1:
            raise ValueError("a venue needs at least one seat and one seat per row")
        self.total = total
        self.row_size = row_size
        seats: list[Seat] = []
        rows: list[range] = []
        for row_index, start in enumerate(range(0, total, row_size)):
            stop = min(start + row_size, total)
            rows.append(range(start, stop))
            label = row_label(row_index)
            seats.extend(
                Seat(f"{label}{n}", label, n, row_index) for n in range(1, stop - start + 1)
            )
        self.seats: tuple[Seat, ...] = tuple(seats)
        self.rows: tuple[range, ...] = tuple(rows)
        self.index: dict[str, int] = {seat.id: i for i, seat in enumerate(seats)}
        self.best_order: tuple[int, ...] = tuple(sorted(range(total), key=self._seat_rank))
        self.rank_of: tuple[int, ...] = _inverse(self.best_order)

    def _seat_rank(self, seat_index: int) -> tuple[int, float, int]:
        seat = self.seats[seat_index]
        return (seat.row_index, abs(seat.number - self.row_middle(seat.row_index)), seat.number)

    def row_middle(self, row_index: int) -> float:
        return (len(self.rows[row_index]) + 1) / 2

    def __repr__(self) -> str:
        return f"Venue(total={self.total}, row_size={self.row_size})"


def _inverse(permutation: tuple[int, ...]) -> tuple[int, ...]:
    inverse = [0] * len(permutation)
    for position, value in enumerate(permutation):
        inverse[value] = position
    return tuple(inverse)
