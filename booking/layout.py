"""A show's seat layout: sections of rows of seats, front row first, with prices.

A layout is immutable and addressed by seat *index* (0 … total-1, in listing
order: section by section, row by row, seat 1 upwards). Seat ids are the row's
label plus the seat's number (`A1`, `BA30`); labels are letters only, so a label
and a number can never run together ambiguously. Nothing is stored per seat: ids,
rows and prices are computed from the rows' ranges (plus a four-byte row number
a seat), so a 100,000-seat show costs well under a megabyte, not tens of
megabytes of small objects.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass

from booking.errors import InvalidRequest

MAX_SEATS = 100_000
MAX_LABEL_LETTERS = 8
MAX_SECTION_NAME = 100
# Ten million in major units a seat: a full 100,000-seat show still totals far
# below 2^53, so every price and total is exact in JSON, JavaScript and SQLite.
MAX_PRICE = 1_000_000_000
_LABEL = re.compile(r"[A-Za-z]{1,8}")
_SEAT_ID = re.compile(r"([A-Za-z]{1,8})([1-9][0-9]{0,5})")


class InvalidLayout(InvalidRequest):
    """A layout (the body of `POST /shows`, or `--layout FILE`) that cannot be sold."""


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
    section: str
    price: int
    accessible: bool


@dataclass(frozen=True)
class Section:
    name: str
    price: int
    rows: range  # row indexes, front to back


class Layout:
    """Rows of seats front to back, grouped in sections that each have a price."""

    def __init__(self, sections: list[tuple[str, int, list[tuple[str, int, tuple[int, ...]]]]]) -> None:
        """`sections`: (name, price, [(row label, seats, accessible seat numbers)])."""
        self.sections: tuple[Section, ...] = ()
        self.labels: tuple[str, ...] = ()
        self.rows: tuple[range, ...] = ()  # each row's seat indexes
        self.row_section: tuple[int, ...] = ()
        self._accessible: frozenset[int] = frozenset()
        sections_, labels, rows, row_section, accessible = [], [], [], [], set()
        start = 0
        for section_index, (name, price, section_rows) in enumerate(sections):
            first_row = len(rows)
            for label, seats, accessible_numbers in section_rows:
                rows.append(range(start, start + seats))
                labels.append(label)
                row_section.append(section_index)
                accessible.update(start + number - 1 for number in accessible_numbers)
                start += seats
            sections_.append(Section(name, price, range(first_row, len(rows))))
        self.sections, self.labels, self.rows = tuple(sections_), tuple(labels), tuple(rows)
        self.row_section = tuple(row_section)
        self._accessible = frozenset(accessible)
        # The row of each seat, four bytes a seat: every decision looks seats' rows
        # up several times, and an array index is far cheaper than a bisect.
        self.row_of = array("I")
        for row_index, row in enumerate(rows):
            self.row_of.extend(array("I", [row_index]) * len(row))
        self.total = start
        self.row_of_label = {label: i for i, label in enumerate(labels)}
        self.section_of_name = {section.name: i for i, section in enumerate(sections_)}

    @classmethod
    def grid(cls, total: int, row_size: int, section: str = "Seats", price: int = 0) -> Layout:
        """Part 1's venue (`--seats N --row-size R`): rows A, B, … of `row_size`
        seats, the last one possibly shorter, in one section."""
        if total < 1 or row_size < 1:
            raise InvalidLayout("a venue needs at least one seat and one seat per row")
        if total > MAX_SEATS:
            raise InvalidLayout(f"a show has at most {MAX_SEATS:,} seats")
        rows = [(row_label(i), min(row_size, total - start), ()) for i, start in enumerate(range(0, total, row_size))]
        return cls([(section, price, rows)])

    # -- seats by index -------------------------------------------------------------

    def row_index_of(self, seat_index: int) -> int:
        return self.row_of[seat_index]

    def seat_id(self, seat_index: int) -> str:
        row_index = self.row_of[seat_index]
        return f"{self.labels[row_index]}{seat_index - self.rows[row_index].start + 1}"

    def price_of(self, seat_index: int) -> int:
        return self.sections[self.row_section[self.row_of[seat_index]]].price

    def seat(self, seat_index: int) -> Seat:
        row_index = self.row_index_of(seat_index)
        section = self.sections[self.row_section[row_index]]
        number = seat_index - self.rows[row_index].start + 1
        return Seat(f"{self.labels[row_index]}{number}", self.labels[row_index], number, row_index,
                    section.name, section.price, seat_index in self._accessible)

    def index_of(self, seat_id: str) -> int | None:
        """The index of a seat id, or None when the layout has no such seat."""
        match = _SEAT_ID.fullmatch(seat_id)
        if match is None:
            return None
        row_index = self.row_of_label.get(match.group(1))
        if row_index is None:
            return None
        row = self.rows[row_index]
        number = int(match.group(2))
        return row.start + number - 1 if number <= len(row) else None

    def row_middle(self, row_index: int) -> float:
        return (len(self.rows[row_index]) + 1) / 2

    def best_order(self) -> list[int]:
        """Every seat, best first: front row first, then closest to the middle of its
        own row, left before right. (For tests and the page; the inventory finds the
        best free seats without sorting the whole house.)"""
        def rank(seat_index: int) -> tuple[int, int, int]:
            row_index = self.row_index_of(seat_index)
            number = seat_index - self.rows[row_index].start + 1
            return row_index, abs(2 * number - len(self.rows[row_index]) - 1), number
        return sorted(range(self.total), key=rank)

    def to_json(self) -> dict:
        """The layout object as `POST /shows` takes it and `GET /shows/{show}` gives it."""
        sections = []
        for section in self.sections:
            rows = []
            for row_index in section.rows:
                row = self.rows[row_index]
                entry: dict = {"label": self.labels[row_index], "seats": len(row)}
                accessible = [i - row.start + 1 for i in row if i in self._accessible]
                if accessible:
                    entry["accessible"] = accessible
                rows.append(entry)
            sections.append({"name": section.name, "price": section.price, "rows": rows})
        return {"sections": sections}

    def __repr__(self) -> str:
        return f"Layout(total={self.total}, rows={len(self.rows)}, sections={len(self.sections)})"


def parse_layout(value: object) -> Layout:
    """A layout object from JSON, checked whole; raises `InvalidLayout` naming the
    first problem (the path to it, e.g. `sections[0].rows[2].label`)."""
    obj = _object(value, "layout", {"sections"}, {"sections"})
    sections = obj["sections"]
    if not isinstance(sections, list) or not sections:
        raise InvalidLayout("layout.sections must be a non-empty list")
    names: set[str] = set()
    labels: set[str] = set()
    parsed, total = [], 0
    for s, section in enumerate(sections):
        where = f"layout.sections[{s}]"
        section = _object(section, where, {"name", "price", "rows"}, {"name", "price", "rows"})
        name = section["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_SECTION_NAME or not name.isprintable():
            raise InvalidLayout(f"{where}.name must be 1 to {MAX_SECTION_NAME} printable characters")
        if name in names:
            raise InvalidLayout(f"{where}.name {name!r} is used by another section")
        names.add(name)
        price = section["price"]
        if not _is_int(price) or not 0 <= price <= MAX_PRICE:
            raise InvalidLayout(f"{where}.price must be a whole number of minor units (cents) "
                                f"from 0 to {MAX_PRICE:,}")
        rows = section["rows"]
        if not isinstance(rows, list) or not rows:
            raise InvalidLayout(f"{where}.rows must be a non-empty list")
        parsed_rows = []
        for r, row in enumerate(rows):
            row_where = f"{where}.rows[{r}]"
            row = _object(row, row_where, {"label", "seats", "accessible"}, {"label", "seats"})
            label = row["label"]
            if not isinstance(label, str) or not _LABEL.fullmatch(label):
                raise InvalidLayout(f"{row_where}.label must be 1 to {MAX_LABEL_LETTERS} letters (A-Z, no digits)")
            if label.upper() in labels:
                raise InvalidLayout(f"{row_where}.label {label!r} is used by another row")
            labels.add(label.upper())
            seats = row["seats"]
            if not _is_int(seats) or seats < 1:
                raise InvalidLayout(f"{row_where}.seats must be a whole number, 1 or more")
            total += seats
            if total > MAX_SEATS:
                raise InvalidLayout(f"a show has at most {MAX_SEATS:,} seats")
            accessible = row.get("accessible", [])
            if (not isinstance(accessible, list) or not all(_is_int(n) and 1 <= n <= seats for n in accessible)
                    or len(set(accessible)) != len(accessible)):
                raise InvalidLayout(f"{row_where}.accessible must list distinct seat numbers from 1 to {seats}")
            parsed_rows.append((label, seats, tuple(sorted(accessible))))
        parsed.append((name, price, parsed_rows))
    return Layout(parsed)


def _object(value: object, where: str, allowed: set[str], required: set[str]) -> dict:
    if not isinstance(value, dict):
        raise InvalidLayout(f"{where} must be a JSON object")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise InvalidLayout(f"{where} has unknown field(s): {', '.join(unknown)}")
    missing = sorted(required - set(value))
    if missing:
        raise InvalidLayout(f"{where} needs {', '.join(missing)}")
    return value


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
