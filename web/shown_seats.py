"""The seats as the page shows them, kept up to date seat by seat.

Pure Python, no imports; nothing runs at import.

What is shown = the stream's seats (`rows`: one string a row, one letter a seat,
as the compact snapshot sends them), with on top:

- overlays: facts from HTTP answers the stream has not reached yet (our hold at
  version 12 while the stream is at 10). Dropped once the stream reaches their
  version: the stream is the authority, and an answer is never lost meanwhile;
- ownership: the seats of my holds (`selected`) and my bookings (`mine`);
- claims: seats an action of mine in flight takes (`pending`, counted as taken)
  or releases (`pending`, counted as free).

Only seats with an overlay, an owner or a claim are "special" and kept one by
one (`special`); every other seat is read straight from its row's letter. So a
50,000-seat snapshot costs one string a row, and every change costs in
proportion to the seats it concerns. Each change notes the seats whose shown
state changed (`take_changes()`), and the rows whose free count moved (for the
overview), so the page touches only those.
"""

FREE = "free"
HELD = "held"  # someone else's hold
BOOKED = "booked"  # someone else's booking
PENDING = "pending"  # my request in flight
SELECTED = "selected"  # in my basket (held by me)
MINE = "mine"  # booked by me

PLAIN = {"f": FREE, "h": HELD, "b": BOOKED}
LETTER = {"free": "f", "held": "h", "booked": "b"}

# What `apply_event` reports.
APPLIED = "applied"
IGNORED = "ignored"
GAP = "gap"  # a version was skipped: the caller must get a fresh snapshot


class ShownSeats:
    def __init__(self, venue: object) -> None:
        self.venue = venue
        count = len(venue.rows)
        self.version: int | None = None  # None until the first snapshot
        self.rows: list = ["f" * row.length for row in venue.rows]
        self.confirmed_free = 0
        self.row_confirmed_free: list = [0] * count
        self.row_adjust: list = [0] * count  # shown free minus confirmed free, per row
        self.section_of_row: list = [row.section for row in venue.rows]
        self.section_free: list = [0] * len(venue.sections)  # shown free, per section
        self.adjust_total = 0
        self.special_in_row: list = [0] * count
        self.overlays: list = []  # [(version, {seat: letter})], oldest first
        self.over: dict = {}  # seat -> letter of its newest overlay
        self.held_by_me: dict = {}  # seat -> hold id
        self.booked_by_me: dict = {}  # seat -> booking id
        self.taking: dict = {}  # seat -> how many actions in flight take it
        self.releasing: dict = {}  # seat -> how many actions in flight release it
        self.special: dict = {}  # seat -> shown state, for seats with an overlay, owner or claim
        self.adjust: dict = {}  # seat -> its free count minus its row letter's
        self.changed: dict = {}  # seats whose shown state changed since take_changes()
        self.changed_rows: dict = {}  # rows whose shown free count or seats changed
        self.all_changed = False  # a snapshot: everything may have changed

    # ---- reading ----------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self.version is not None

    @property
    def available(self) -> int:
        """Free seats as the buyer sees them: what `#available` shows."""
        return self.confirmed_free + self.adjust_total

    def row_free(self, row_index: int) -> int:
        return self.row_confirmed_free[row_index] + self.row_adjust[row_index]

    def letter_of(self, seat_id: str) -> str:
        """The stream's letter for a seat (f, h, b); "" for a seat not in the venue."""
        row_index, offset = self.venue.locate(seat_id)
        if row_index < 0:
            return ""
        return self.rows[row_index][offset]

    def effective_letter(self, seat_id: str) -> str:
        """The stream's letter, or the newest overlay's."""
        if seat_id in self.over:
            return self.over[seat_id]
        return self.letter_of(seat_id)

    def shown_of(self, seat_id: str) -> str:
        if seat_id in self.special:
            return self.special[seat_id]
        letter = self.letter_of(seat_id)
        return PLAIN[letter] if letter else ""

    def row_states(self, row_index: int) -> list:
        """The shown state of every seat of a row, in order (for drawing it)."""
        text = self.rows[row_index]
        if not self.special_in_row[row_index]:
            return [PLAIN[letter] for letter in text]
        label = self.venue.rows[row_index].label
        special = self.special
        states = []
        for offset in range(len(text)):
            seat_id = label + str(offset + 1)
            states.append(special[seat_id] if seat_id in special else PLAIN[text[offset]])
        return states

    def guess_string(self, row_index: int, ignore: list) -> str:
        """The row for a best-available guess: "f" where the buyer sees a free seat
        (or one of `ignore`, the guess being moved), "x" where not."""
        text = self.rows[row_index]
        if not self.special_in_row[row_index] and not ignore:
            return text
        label = self.venue.rows[row_index].label
        letters = list(text)
        for offset in range(len(letters)):
            seat_id = label + str(offset + 1)
            if seat_id in ignore:
                letters[offset] = "f"
            elif seat_id in self.special:
                letters[offset] = "f" if self.special[seat_id] == FREE else "x"
        return "".join(letters)

    def take_changes(self) -> tuple:
        """(everything changed?, seats whose shown state changed, rows whose free
        count changed) since the last call; the page redraws exactly these."""
        result = (self.all_changed, list(self.changed), list(self.changed_rows))
        self.all_changed = False
        self.changed = {}
        self.changed_rows = {}
        return result

    # ---- the stream --------------------------------------------------------

    def apply_snapshot(self, version: int, rows: dict) -> None:
        """Replace everything the stream said, whatever the version (a new database
        starts again at 0). `rows`: label -> letters, already checked against the venue."""
        texts = []
        counts = []
        total = 0
        for row in self.venue.rows:
            text = rows[row.label]
            free = text.count("f")
            texts.append(text)
            counts.append(free)
            total += free
        self.rows = texts
        self.row_confirmed_free = counts
        self.confirmed_free = total
        sections = [0] * len(self.section_free)
        for row_index in range(len(counts)):
            sections[self.section_of_row[row_index]] += counts[row_index] + self.row_adjust[row_index]
        self.section_free = sections
        self.version = version
        self._drop_overlays()
        # Every special seat again, against the new letters.
        for seat_id in list(self.special):
            self._refresh(seat_id, None, True)
        self.all_changed = True

    def apply_event(self, event: dict) -> str:
        """A `seats` event: IGNORED when not newer than what we have, GAP when a
        version was skipped (nothing applied), else APPLIED."""
        version = event["version"]
        if type(version) is not int:
            version = int(version)
        if self.version is None:
            return GAP
        if version <= self.version:
            return IGNORED
        if version > self.version + 1:
            return GAP
        changed = event["changed"]
        for seat_id in list(changed):
            state = changed[seat_id]
            if state not in LETTER:
                continue
            self.set_letter(seat_id, LETTER[state])
        self.version = version
        if self.overlays:
            self._drop_overlays()
        return APPLIED

    def set_letter(self, seat_id: str, letter: str) -> None:
        """The stream says this seat is now `letter`."""
        row_index, offset = self.venue.locate(seat_id)
        if row_index < 0:
            return
        text = self.rows[row_index]
        old = text[offset]
        if old == letter:
            return
        old_shown = self.special[seat_id] if seat_id in self.special else PLAIN[old]
        self.rows[row_index] = text[:offset] + letter + text[offset + 1:]
        step = (1 if letter == "f" else 0) - (1 if old == "f" else 0)
        if step:
            self.confirmed_free += step
            self.row_confirmed_free[row_index] += step
            self.section_free[self.section_of_row[row_index]] += step
            self.changed_rows[row_index] = True
        if seat_id in self.special:
            self._refresh(seat_id, old_shown)
        elif PLAIN[letter] != old_shown:
            self.changed[seat_id] = True
            self.changed_rows[row_index] = True

    # ---- overlays -----------------------------------------------------------

    def add_overlay(self, version: int, changes: dict) -> None:
        """Facts from an answer at `version` (seat -> letter); ignored when the
        stream already reached that version (it knows better by now)."""
        if self.version is not None and version <= self.version:
            return
        self.overlays.append((version, changes))
        self.overlays.sort(key=_first)
        for seat_id in list(changes):
            self._reoverlay(seat_id)

    def _drop_overlays(self) -> None:
        if not self.overlays:
            return
        version = self.version
        dropped = [changes for v, changes in self.overlays if v <= version]
        if not dropped:
            return
        self.overlays = [(v, changes) for v, changes in self.overlays if v > version]
        for changes in dropped:
            for seat_id in list(changes):
                self._reoverlay(seat_id)

    def _reoverlay(self, seat_id: str) -> None:
        letter = ""
        for overlay in self.overlays:
            if seat_id in overlay[1]:
                letter = overlay[1][seat_id]
        if letter:
            self.over[seat_id] = letter
        elif seat_id in self.over:
            del self.over[seat_id]
        self._refresh(seat_id)

    # ---- ownership and claims (the coordinator's calls) -------------------

    def set_held(self, seat_id: str, hold_id: str) -> None:
        self.held_by_me[seat_id] = hold_id
        self._refresh(seat_id)

    def unset_held(self, seat_id: str) -> None:
        if seat_id in self.held_by_me:
            del self.held_by_me[seat_id]
            self._refresh(seat_id)

    def set_booked(self, seat_id: str, booking_id: str) -> None:
        self.booked_by_me[seat_id] = booking_id
        self._refresh(seat_id)

    def unset_booked(self, seat_id: str) -> None:
        if seat_id in self.booked_by_me:
            del self.booked_by_me[seat_id]
            self._refresh(seat_id)

    def claim(self, seats: list, releasing: bool) -> None:
        """An action in flight takes (or releases) these seats: shown `pending`."""
        counts = self.releasing if releasing else self.taking
        for seat_id in seats:
            counts[seat_id] = (counts[seat_id] if seat_id in counts else 0) + 1  # noqa: SIM401 (a .get miss raises inside Brython)
            self._refresh(seat_id)

    def unclaim(self, seats: list, releasing: bool) -> None:
        counts = self.releasing if releasing else self.taking
        for seat_id in seats:
            if seat_id not in counts:
                continue
            if counts[seat_id] <= 1:
                del counts[seat_id]
            else:
                counts[seat_id] -= 1
            self._refresh(seat_id)

    # ---- one seat ---------------------------------------------------------

    def _refresh(self, seat_id: str, old_shown: str | None = None, quiet_rows: bool = False) -> None:
        """Recompute one seat from its letter, overlay, owner and claims; note it
        when its shown state changed. `old_shown`: what it showed before its row
        letter changed (when it did)."""
        row_index, offset = self.venue.locate(seat_id)
        if row_index < 0:
            return
        letter = self.rows[row_index][offset]
        special = self.special
        if old_shown is None:
            old_shown = special[seat_id] if seat_id in special else PLAIN[letter]
        if seat_id in self.releasing:
            shown = PENDING
            free = 1
        elif seat_id in self.taking:
            shown = PENDING
            free = 0
        else:
            effective = self.over[seat_id] if seat_id in self.over else letter  # noqa: SIM401
            if effective == "b":
                shown = MINE if seat_id in self.booked_by_me else BOOKED
            elif effective == "h":
                shown = SELECTED if seat_id in self.held_by_me else HELD
            else:
                shown = FREE
            free = 1 if effective == "f" else 0
        old_adjust = self.adjust[seat_id] if seat_id in self.adjust else 0  # noqa: SIM401
        if (seat_id in self.releasing or seat_id in self.taking or seat_id in self.over
                or seat_id in self.held_by_me or seat_id in self.booked_by_me):
            if seat_id not in special:
                self.special_in_row[row_index] += 1
            special[seat_id] = shown
            adjust = free - (1 if letter == "f" else 0)
            self.adjust[seat_id] = adjust
        else:
            if seat_id in special:
                del special[seat_id]
                del self.adjust[seat_id]
                self.special_in_row[row_index] -= 1
            adjust = 0
        step = adjust - old_adjust
        if step:
            self.adjust_total += step
            self.row_adjust[row_index] += step
            self.section_free[self.section_of_row[row_index]] += step
            if not quiet_rows:
                self.changed_rows[row_index] = True
        if shown != old_shown:
            self.changed[seat_id] = True
            if not quiet_rows:
                self.changed_rows[row_index] = True


def _first(pair: tuple) -> int:
    return pair[0]
