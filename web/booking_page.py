"""The booking page: wires the DOM, fetch, EventSource and timers to `seat_state`.

Every decision about seats lives in `seat_state` (pure, tested by CPython); this
module only reads clicks, sends requests, feeds answers and events to the state,
and redraws the seats whose shown state changed. Loaded by Brython from
brython.js alone, so it uses only `browser`, `javascript` and builtins (no
stdlib modules that live in brython_stdlib.js: json, timer, ajax, random...).
"""

import javascript
import seat_state
from browser import document, window
from seat_state import GAP, SeatState

STORAGE_KEY = "seat-bookings"
REQUEST_TIMEOUT_MS = 8000
# Back-off between stream reconnects; the last value repeats.
RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000, 8000, 15000]

STATE_WORDS = {
    seat_state.FREE: "free",
    seat_state.BOOKED: "booked by someone else",
    seat_state.PENDING: "waiting for the server",
    seat_state.MINE: "yours, click to cancel",
}


def new_idempotency_key() -> str:
    """A random UUID from the browser (122 random bits). `crypto.randomUUID`
    exists only in a secure context (https, localhost); on plain http elsewhere
    it is absent, and 128 random bits from `crypto.getRandomValues` serve."""
    crypto = window.crypto
    random_uuid = getattr(crypto, "randomUUID", None)
    if random_uuid is not None:
        return random_uuid()
    values = crypto.getRandomValues(window.Uint32Array.new(4))
    return "".join(hex(0x100000000 + values[i])[3:] for i in range(4))


def parse_json(text: str) -> object:
    try:
        return javascript.JSON.parse(text)
    except Exception:  # not JSON (a proxy's HTML error page): treated as no body
        return None


class BookingPage:
    """One page: the state, the seat buttons, the stream and the requests in flight."""

    def __init__(self) -> None:
        self.state = SeatState()
        self.buttons: dict = {}  # seat id -> button element, looked up on first redraw
        self.drawn: dict = {}  # seat id -> state last written to the DOM
        self.drawn_available: int | None = None
        self.stream = None
        self.stream_failures = 0
        self.reconnect_timer = None
        self.leaving = False
        self.frame_request = None  # a stream-driven redraw waiting for the next frame
        self.frame_callback = self.on_frame  # one method object: Brython wraps it for JS once
        self.saved_bookings = None  # what localStorage holds, to skip identical writes
        self.saved_revision = -1  # state.bookings_revision when they were last saved
        self.seat_map = document["seat-map"]
        self.available = document["available"]
        self.message = ""  # the notice #message shows

    # ---- start and leave -------------------------------------------------

    def start(self) -> None:
        self.state.restore_bookings(self.load_bookings())
        document["book"].bind("click", self.on_book_click)
        self.seat_map.bind("click", self.on_seat_map_click)
        window.addEventListener("pagehide", self.on_pagehide)
        window.addEventListener("pageshow", self.on_pageshow)
        self.open_stream(resume=False)

    def on_pagehide(self, _event: object) -> None:
        """Leaving (or going into the back/forward cache): no stream may linger (REQ-8)."""
        self.leaving = True
        self.close_stream()

    def on_pageshow(self, event: object) -> None:
        if event.persisted and self.leaving:
            self.leaving = False
            self.open_stream(resume=True)

    # ---- the event stream ------------------------------------------------

    def open_stream(self, resume: bool) -> None:
        """Resume after the last version we hold, or ask for a fresh snapshot."""
        self.close_stream()
        url = "/events"
        if resume and self.state.version is not None:
            url += "?lastEventId=" + str(self.state.version)
        stream = window.EventSource.new(url)
        stream.addEventListener("open", self.on_stream_open)
        stream.addEventListener("snapshot", self.on_snapshot)
        stream.addEventListener("seats", self.on_seats_event)
        stream.addEventListener("error", self.on_stream_error)
        self.stream = stream
        if not self.state.ready:
            self.show_connection("connecting")

    def close_stream(self) -> None:
        if self.reconnect_timer is not None:
            window.clearTimeout(self.reconnect_timer)
            self.reconnect_timer = None
        if self.stream is not None:
            self.stream.close()
            self.stream = None

    def on_stream_open(self, _event: object) -> None:
        self.show_connection("live")

    def on_stream_error(self, _event: object) -> None:
        """The browser would retry on its own, without back-off and without our
        resume point; we close and reopen ourselves."""
        if self.leaving:
            return
        self.close_stream()
        self.show_connection("reconnecting")
        delay = RECONNECT_DELAYS_MS[min(self.stream_failures, len(RECONNECT_DELAYS_MS) - 1)]
        self.stream_failures += 1
        # Jitter, so a server restart is not met by every page at the same instant.
        delay = int(delay * (0.75 + 0.5 * window.Math.random()))
        self.reconnect_timer = window.setTimeout(self.reconnect, delay)

    def reconnect(self) -> None:
        self.reconnect_timer = None
        self.open_stream(resume=True)

    def on_snapshot(self, event: object) -> None:
        snapshot = parse_json(event.data)
        if not isinstance(snapshot, dict):
            return
        self.stream_failures = 0
        if self.state.apply_snapshot(snapshot):
            self.build_seat_map()
        self.show_connection("live")
        self.redraw()
        self.save_bookings()
        document["app"].attrs["data-ready"] = "true"

    def on_seats_event(self, event: object) -> None:
        change = parse_json(event.data)
        if not isinstance(change, dict):
            return
        self.stream_failures = 0
        if self.state.apply_seats_event(change) == GAP:
            # We missed a change: start over from a fresh snapshot.
            self.show_connection("reconnecting")
            self.open_stream(resume=False)
            return
        self.redraw_next_frame()
        if self.state.bookings_revision != self.saved_revision:  # (most events: no call)
            self.save_bookings()

    # ---- clicks ----------------------------------------------------------

    def on_book_click(self, _event: object) -> None:
        if self.state.ready:
            self.begin(self.state.book_best())

    def on_seat_map_click(self, event: object) -> None:
        button = event.target.closest("button[data-seat]")
        if button is None or not self.state.ready:
            return
        action = self.state.click(button.attrs["data-seat"])
        if action is not None:
            self.begin(action)

    def begin(self, action: seat_state.PendingAction) -> None:
        """Show the optimistic change now, in this frame (REQ-6), then ask the server."""
        self.show_message("")
        self.redraw()
        self.send(action)

    # ---- requests --------------------------------------------------------

    def send(self, action: seat_state.PendingAction) -> None:
        request = action.request()
        headers = {"Idempotency-Key": new_idempotency_key()}
        options = {"method": request["method"], "headers": headers, "cache": "no-store"}
        if request["body"] is not None:
            headers["Content-Type"] = "application/json"
            options["body"] = javascript.JSON.stringify(request["body"])
        if request["token"] is not None:
            headers["Authorization"] = "Bearer " + request["token"]
        controller = window.AbortController.new()
        options["signal"] = controller.signal
        flight = {"timed_out": False, "timer": None}

        def on_timeout() -> None:
            flight["timed_out"] = True
            controller.abort()

        def on_text(status: int, text: str) -> None:
            window.clearTimeout(flight["timer"])
            self.finish(self.state.apply_response(action.action_id, status, parse_json(text)))

        def on_response(response: object) -> None:
            status = response.status
            response.text().then(lambda text: on_text(status, text), on_failure)

        def on_failure(_error: object) -> None:
            window.clearTimeout(flight["timer"])
            reason = "timeout" if flight["timed_out"] else "network"
            self.finish(self.state.apply_failure(action.action_id, reason))

        flight["timer"] = window.setTimeout(on_timeout, REQUEST_TIMEOUT_MS)
        window.fetch(request["path"], options).then(on_response, on_failure)

    def finish(self, message: str) -> None:
        if message:
            self.show_message(message)
        self.redraw()
        self.save_bookings()

    # ---- drawing ---------------------------------------------------------

    def build_seat_map(self) -> None:
        """One button per seat, rows front first, each already in the state the
        page shows; built once per layout. Buttons are looked up only when a
        seat changes later (wrapping 1,000 elements up front is slow in Brython)."""
        shown = self.state.shown
        numbers = self.state.seat_numbers
        parts = []
        for row_label, seat_ids in self.state.rows:
            parts.append('<div class="row" role="group" aria-label="Row ' + row_label + '">'
                         '<span class="row-label" aria-hidden="true">' + row_label + "</span>"
                         '<div class="row-seats">')
            for seat_id in seat_ids:
                state = shown[seat_id]
                parts.append('<button type="button" class="seat" data-seat="' + seat_id + '" data-state="' + state
                             + '" aria-label="Seat ' + seat_id + ", " + STATE_WORDS[state] + '">'
                             + numbers[seat_id] + "</button>")
            parts.append("</div></div>")
        self.seat_map.html = "".join(parts)
        self.buttons = {}
        self.drawn = dict(shown)
        self.state.take_changes()  # all drawn just now

    def redraw_next_frame(self) -> None:
        """Stream events can come in bursts: draw once per frame for all of them.
        (Clicks and answers redraw at once instead: the user is looking.)"""
        if self.frame_request is None:
            self.frame_request = window.requestAnimationFrame(self.frame_callback)

    def on_frame(self, _timestamp: float) -> None:
        self.frame_request = None
        self.redraw()

    def redraw(self) -> None:
        """Touch only the seats the state reports changed, and the count: the
        work is in proportion to what changed, not to the venue."""
        if self.frame_request is not None:
            window.cancelAnimationFrame(self.frame_request)
            self.frame_request = None
        shown = self.state.shown
        drawn = self.drawn
        buttons = self.buttons
        changes = self.state.take_changes()
        seats = iter(changes)  # next() per seat: a `for` over a set ends in a raised StopIteration
        for _ in range(len(changes)):
            seat_id = next(seats)
            state = shown[seat_id]
            if drawn[seat_id] != state:
                if seat_id in buttons:  # (a miss in dict.get raises inside Brython: slow)
                    button = buttons[seat_id]
                else:
                    button = self.seat_map.select_one('[data-seat="' + seat_id + '"]')
                    buttons[seat_id] = button
                attrs = button.attrs  # (a new wrapper at each `.attrs`)
                attrs["data-state"] = state
                attrs["aria-label"] = "Seat " + seat_id + ", " + STATE_WORDS[state]
                drawn[seat_id] = state
        available = self.state.shown_available
        if available != self.drawn_available:
            self.available.text = str(available)
            self.drawn_available = available

    def show_connection(self, state: str) -> None:
        element = document["connection"]
        if element.attrs["data-state"] != state:
            element.attrs["data-state"] = state
            element.text = {"connecting": "Connecting…", "live": "Live",
                            "reconnecting": "Reconnecting…"}[state]

    def show_message(self, text: str) -> None:
        if text != self.message:  # a click clears the notice: no DOM write when there is none
            document["message"].text = text
            self.message = text

    # ---- localStorage ----------------------------------------------------

    def load_bookings(self) -> list:
        try:
            saved = window.localStorage.getItem(STORAGE_KEY)
        except Exception:  # storage disabled (privacy mode): nothing remembered
            return []
        records = parse_json(saved) if saved else None
        return records if isinstance(records, list) else []

    def save_bookings(self) -> None:
        """Write our bookings when they changed since the last write."""
        revision = self.state.bookings_revision
        if revision == self.saved_revision:
            return
        records = javascript.JSON.stringify(self.state.booking_records())
        if records != self.saved_bookings:
            try:
                window.localStorage.setItem(STORAGE_KEY, records)
            except Exception:
                return  # storage full or disabled (contextlib is not in brython.js): the page still works
            self.saved_bookings = records
        self.saved_revision = revision


def main() -> None:
    BookingPage().start()


if __name__ == "__main__":  # run by Brython as the page's script, never on import
    main()
