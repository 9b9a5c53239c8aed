"""What this browser owns for one show: its holds (the basket), its bookings and
its requests still waiting for a final answer, as plain records that several tabs
share in localStorage.

Pure Python, no imports; nothing runs at import.

Several tabs of one browser write the same storage key. A tab never overwrites
what another wrote: every write is a merge (`merge_records`) of what storage holds
now with what this tab knows, and every removal leaves a tombstone (`gone`: id ->
when) so a merge elsewhere cannot bring it back. A hold past its expiry merges
away by itself.
"""

# Tombstones older than this are forgotten (ids are random: they never return).
GONE_KEEP_MS = 7 * 24 * 3600 * 1000
GONE_KEEP_COUNT = 500
# A request nobody has answered in this long is given up (its hold expired long ago).
REQUEST_KEEP_MS = 2 * 3600 * 1000


class Hold:
    """One basket on the server: the token is what proves it is ours."""

    def __init__(self, hold_id: str, token: str, seats: list, expires_at: int, version: int,
                 total_price: int) -> None:
        self.hold_id = hold_id
        self.token = token
        self.seats = list(seats)
        self.expires_at = expires_at  # this browser's clock, ms since the epoch
        self.version = version  # of the last answer that said what the basket holds
        self.total_price = total_price

    def to_record(self) -> dict:
        return {"hold_id": self.hold_id, "token": self.token, "seats": list(self.seats),
                "expires_at": self.expires_at, "version": self.version, "total_price": self.total_price}


class Booking:
    def __init__(self, booking_id: str, token: str, reference: str, seats: list, version: int,
                 total_price: int) -> None:
        self.booking_id = booking_id
        self.token = token
        self.reference = reference
        self.seats = list(seats)
        self.version = version
        self.total_price = total_price

    def to_record(self) -> dict:
        return {"booking_id": self.booking_id, "token": self.token, "reference": self.reference,
                "seats": list(self.seats), "version": self.version, "total_price": self.total_price}


def hold_from_record(record: object) -> Hold | None:
    try:
        return Hold(_text(record["hold_id"]), _text(record["token"]), _seat_list(record["seats"]),
                    _number(record["expires_at"]), _number(record["version"]), _number(record.get("total_price", 0)))
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def booking_from_record(record: object) -> Booking | None:
    try:
        return Booking(_text(record["booking_id"]), _text(record["token"]), str(record.get("reference") or ""),
                       _seat_list(record["seats"]), _number(record["version"]),
                       _number(record.get("total_price", 0)))
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def request_from_record(record: object) -> dict | None:
    """An unanswered request: {key, kind, method, path, body, token, seats, ...}."""
    try:
        if not _text(record["key"]) or not _text(record["path"]).startswith("/"):
            return None
        if record["method"] not in ("GET", "POST", "DELETE"):
            return None
        _number(record["first_sent_at"])
        return dict(record)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("not a text")
    return value


def _number(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("not a number")
    return int(value)


def _seat_list(value: object) -> list:
    if not isinstance(value, list):
        raise ValueError("not a list")
    return [_text(seat) for seat in value]


def empty_records() -> dict:
    return {"holds": {}, "bookings": {}, "requests": {}, "gone": {}}


def clean_records(records: object) -> dict:
    """Storage contents as plain, valid records (anything malformed is dropped)."""
    clean = empty_records()
    if not isinstance(records, dict):
        return clean
    gone = records.get("gone")
    if isinstance(gone, dict):
        for key in list(gone):
            if isinstance(gone[key], (int, float)) and not isinstance(gone[key], bool):
                clean["gone"][str(key)] = int(gone[key])
    for name, parse, id_key in (("holds", hold_from_record, "hold_id"),
                                ("bookings", booking_from_record, "booking_id"),
                                ("requests", request_from_record, "key")):
        group = records.get(name)
        if not isinstance(group, dict):
            continue
        for key in list(group):
            item = parse(group[key])
            if item is None:
                continue
            record = item if isinstance(item, dict) else item.to_record()
            clean[name][record[id_key]] = record
    return clean


def merge_records(stored: dict, mine: dict, now: int) -> dict:
    """What storage should hold: both sides' records, less everything either has a
    tombstone for, less holds past their expiry and requests given up. Of two
    versions of one hold, the one with the newer basket wins."""
    gone = dict(stored["gone"])
    for key in list(mine["gone"]):
        if key not in gone or mine["gone"][key] > gone[key]:
            gone[key] = mine["gone"][key]
    merged = {"holds": {}, "bookings": {}, "requests": {}, "gone": _pruned(gone, now)}
    for side in (stored, mine):
        for hold_id in list(side["holds"]):
            record = side["holds"][hold_id]
            if hold_id in gone or record["expires_at"] <= now:
                continue
            current = merged["holds"].get(hold_id)
            if current is None or record["version"] >= current["version"]:
                merged["holds"][hold_id] = record
        for booking_id in list(side["bookings"]):
            if booking_id not in gone:
                merged["bookings"][booking_id] = side["bookings"][booking_id]
        for key in list(side["requests"]):
            record = side["requests"][key]
            if key not in gone and now - record["first_sent_at"] < REQUEST_KEEP_MS:
                merged["requests"][key] = record
    return merged


def _pruned(gone: dict, now: int) -> dict:
    keys = [key for key in list(gone) if now - gone[key] < GONE_KEEP_MS]
    if len(keys) > GONE_KEEP_COUNT:
        keys.sort(key=lambda key: gone[key])
        keys = keys[len(keys) - GONE_KEEP_COUNT:]
    return {key: gone[key] for key in keys}


class Basket:
    """This tab's view of the records: holds and bookings as objects, unanswered
    requests and tombstones as plain records."""

    def __init__(self) -> None:
        self.holds: dict = {}
        self.bookings: dict = {}
        self.requests: dict = {}
        self.gone: dict = {}
        self.revision = 0  # goes up with every change (the page saves then)

    # ---- holds ------------------------------------------------------------

    def put_hold(self, hold: Hold) -> bool:
        """Record a basket the server described; an older description than the one
        kept is ignored. False when the hold is known to be gone."""
        if hold.hold_id in self.gone:
            return False
        current = self.holds.get(hold.hold_id)
        if current is not None and current.version > hold.version:
            return True
        if current is not None and current.token and not hold.token:
            hold.token = current.token
        self.holds[hold.hold_id] = hold
        self.revision += 1
        return True

    def forget_hold(self, hold_id: str, now: int) -> Hold | None:
        hold = self.holds.pop(hold_id, None)
        self.gone[hold_id] = now
        self.revision += 1
        return hold

    def hold_of_seat(self, seat_id: str) -> Hold | None:
        for hold in self.holds.values():
            if seat_id in hold.seats:
                return hold
        return None

    def open_holds(self, now: int) -> list:
        """Holds not yet expired, soonest expiry first."""
        holds = [hold for hold in self.holds.values() if hold.expires_at > now]
        holds.sort(key=lambda hold: (hold.expires_at, hold.hold_id))
        return holds

    def basket_seats(self) -> list:
        seats = []
        for hold in self.holds.values():
            seats.extend(hold.seats)
        return seats

    def seconds_left(self, now: int) -> int | None:
        """Whole seconds until the first hold with seats expires (None: no basket)."""
        deadlines = [hold.expires_at for hold in self.holds.values() if hold.seats]
        if not deadlines:
            return None
        left = min(deadlines) - now
        return max(0, (left + 999) // 1000)

    def total_price(self) -> int:
        return sum(hold.total_price for hold in self.holds.values())

    # ---- bookings ----------------------------------------------------------

    def put_booking(self, booking: Booking) -> bool:
        if booking.booking_id in self.gone:
            return False
        self.bookings[booking.booking_id] = booking
        self.revision += 1
        return True

    def forget_booking(self, booking_id: str, now: int) -> Booking | None:
        booking = self.bookings.pop(booking_id, None)
        self.gone[booking_id] = now
        self.revision += 1
        return booking

    def booking_of_seat(self, seat_id: str) -> Booking | None:
        for booking in self.bookings.values():
            if seat_id in booking.seats:
                return booking
        return None

    # ---- requests waiting for a final answer ---------------------------------

    def keep_request(self, record: dict) -> None:
        if record["key"] in self.gone:
            return
        self.requests[record["key"]] = record
        self.revision += 1

    def answered(self, key: str, now: int) -> None:
        """A final answer came: the key is never needed again, in any tab."""
        self.requests.pop(key, None)
        self.gone[key] = now
        self.revision += 1

    # ---- storage ------------------------------------------------------------

    def records(self) -> dict:
        return {
            "holds": {hold_id: hold.to_record() for hold_id, hold in self.holds.items()},
            "bookings": {booking_id: b.to_record() for booking_id, b in self.bookings.items()},
            "requests": dict(self.requests),
            "gone": dict(self.gone),
        }

    def load(self, records: dict) -> None:
        """Take these (merged, clean) records as the truth."""
        holds = {}
        for hold_id in list(records["holds"]):
            hold = hold_from_record(records["holds"][hold_id])
            if hold is not None:
                holds[hold_id] = hold
        bookings = {}
        for booking_id in list(records["bookings"]):
            booking = booking_from_record(records["bookings"][booking_id])
            if booking is not None:
                bookings[booking_id] = booking
        self.holds = holds
        self.bookings = bookings
        self.requests = dict(records["requests"])
        self.gone = dict(records["gone"])
        self.revision += 1
