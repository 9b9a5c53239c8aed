"""A show's layout as the page needs it: sections, rows, prices, seat ids.

Pure Python, no imports: Brython runs it in the page, CPython in tests/unit.
Nothing runs at import. Built once from `GET /shows/{show}`; never changes.

Nothing is kept per seat (a show may have 100,000): a seat id is its row's label
plus its number, so a seat is found from its id by stripping the digits, and
every per-seat fact (price, section, accessible) comes from its row.
"""

DIGITS = "0123456789"
# The overview of a large show groups rows into bands: at most this many a section.
MAX_BANDS = 16
# Where the map starts as an overview of sections instead of every seat.
OVERVIEW_FROM_SEATS = 2000


class Section:
    """Rows `first_row` … `end_row - 1` of the venue, one price."""

    def __init__(self, index: int, name: str, price: int, first_row: int) -> None:
        self.index = index
        self.name = name
        self.price = price
        self.first_row = first_row
        self.end_row = first_row
        self.seats = 0
        self.bands: list = []  # [(first row, end row)] for the overview

    def row_indexes(self) -> range:
        return range(self.first_row, self.end_row)


class Row:
    def __init__(self, index: int, label: str, length: int, section: int, accessible: list) -> None:
        self.index = index
        self.label = label
        self.length = length
        self.section = section
        self.accessible = accessible  # seat numbers (usually none)


class Venue:
    """The static facts of one show (`GET /shows/{show}`)."""

    def __init__(self, detail: dict) -> None:
        self.show_id = str(detail.get("id") or "")
        self.name = str(detail.get("name") or self.show_id)
        self.starts_at = detail.get("starts_at")
        self.currency = str(detail.get("currency") or "EUR")
        self.sections: list = []
        self.rows: list = []
        self.row_of_label: dict = {}
        self.total = 0
        layout = detail.get("layout") or {}
        for section_data in layout.get("sections") or []:
            section = Section(len(self.sections), str(section_data.get("name") or ""),
                              int(section_data.get("price") or 0), len(self.rows))
            for row_data in section_data.get("rows") or []:
                label = str(row_data["label"])
                length = int(row_data["seats"])
                row = Row(len(self.rows), label, length, section.index, list(row_data.get("accessible") or []))
                self.row_of_label[label] = row.index
                self.rows.append(row)
                section.seats += length
                self.total += length
            section.end_row = len(self.rows)
            section.bands = _bands(section.first_row, section.end_row)
            self.sections.append(section)
        self.widest = max([row.length for row in self.rows] or [0])

    @property
    def large(self) -> bool:
        """Large enough to open as an overview of sections (and bands of rows)."""
        return self.total >= OVERVIEW_FROM_SEATS

    def section_named(self, name: str):
        for section in self.sections:
            if section.name == name:
                return section
        return None

    def locate(self, seat_id: str) -> tuple:
        """(row index, offset in the row) of a seat id, or (-1, -1) for an id not in
        this venue."""
        label = seat_id.rstrip(DIGITS)
        digits = seat_id[len(label):]
        if not digits or label not in self.row_of_label or digits[0] == "0":
            return -1, -1
        row_index = self.row_of_label[label]
        number = int(digits)
        if number > self.rows[row_index].length:
            return -1, -1
        return row_index, number - 1

    def has_seat(self, seat_id: str) -> bool:
        return self.locate(seat_id)[0] >= 0

    def price_of(self, seat_id: str) -> int:
        row_index = self.locate(seat_id)[0]
        if row_index < 0:
            return 0
        return self.sections[self.rows[row_index].section].price

    def section_of(self, seat_id: str):
        row_index = self.locate(seat_id)[0]
        return self.sections[self.rows[row_index].section] if row_index >= 0 else None

    def is_accessible(self, seat_id: str) -> bool:
        row_index, offset = self.locate(seat_id)
        return row_index >= 0 and (offset + 1) in self.rows[row_index].accessible

    def band_of_row(self, row_index: int) -> tuple:
        """(section index, band index) of a row."""
        section = self.sections[self.rows[row_index].section]
        bands = section.bands
        for index in range(len(bands)):
            if bands[index][0] <= row_index < bands[index][1]:
                return section.index, index
        return section.index, 0

    def seat_order_key(self, seat_id: str) -> tuple:
        """Sort key: layout order (front row first, then seat number)."""
        return self.locate(seat_id)

    def sort_seats(self, seats: list) -> list:
        return sorted(seats, key=self.seat_order_key)

    def snapshot_rows(self, rows: object) -> dict | None:
        """The compact snapshot's rows, checked against this layout: label ->
        string of f/h/b, one letter a seat. None when they do not match (another
        layout: the page must fetch the show again)."""
        if not isinstance(rows, dict) or len(rows) != len(self.rows):
            return None
        for row in self.rows:
            if row.label not in rows:
                return None
            text = rows[row.label]
            if not isinstance(text, str) or len(text) != row.length:
                return None
        return rows


def _bands(first_row: int, end_row: int) -> list:
    """Rows of a section cut into at most MAX_BANDS bands of equal height (the last
    may be shorter)."""
    count = end_row - first_row
    if count <= 0:
        return []
    size = (count + MAX_BANDS - 1) // MAX_BANDS
    return [(start, min(start + size, end_row)) for start in range(first_row, end_row, size)]
