"""The sales page: wires the DOM, fetch, EventSource, localStorage and timers to
`sales_state` (and the pure modules under it).

Every decision lives in the pure modules (tested by CPython); this module reads
what the buyer does, sends the requests the state describes, hands back answers,
failures and events, and draws what changed. Loaded by Brython from brython.js
alone, so it uses only `browser`, `javascript` and builtins (no stdlib module
that lives in brython_stdlib.js: json, timer, ajax, random...).

Drawing a large show: the map is an overview of sections cut into bands of rows
until the buyer zooms into one; a zoomed section keeps an empty, fixed-height
element per row and draws the seats of only the rows near the visible part of
the map (an IntersectionObserver says which), so 50,000 seats never become
50,000 buttons.
"""

import javascript
import notices
from browser import document, window
from sales_state import SalesState
from shown_seats import BOOKED, FREE, GAP, HELD, MINE, PENDING, SELECTED
from venue import Venue

REQUEST_TIMEOUT_MS = 8000
# Back-off between stream reconnects; the last value repeats.
RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000, 8000, 15000]
STORAGE_PREFIX = "seats:"  # + show id: that show's holds, bookings and unanswered requests
PART1_STORAGE_KEY = "seat-bookings"  # the first page's bookings of the default show
NOTICE_MS = 6000  # how long a notice stays next to its seat
OFFLINE_AFTER_MS = 3000  # a stream down this long shows the banner
# A section with more seats than this draws only the rows near the visible part.
DRAW_ALL_UP_TO = 1500
ROWS_DRAWN_AT_ONCE = 24  # rows drawn straight away when a large section opens

STATE_WORDS = {
    FREE: "free",
    HELD: "held by someone else",
    BOOKED: "taken",
    PENDING: "waiting for the server",
    SELECTED: "in your basket, choose again to let it go",
    MINE: "booked by you",
}
UNAVAILABLE = (HELD, BOOKED, PENDING)


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


def parse_json(text: object) -> object:
    if not text:
        return None
    try:
        return javascript.JSON.parse(text)
    except Exception:  # not JSON (a proxy's HTML error page): treated as no body
        return None


def now_ms() -> int:
    return int(window.Date.now())


def show_from_query(search: str) -> str:
    """`?show=jazz-0612` -> "jazz-0612"; the default show `main` otherwise."""
    for part in search.lstrip("?").split("&"):
        if part.startswith("show="):
            value = window.decodeURIComponent(part[5:].replace("+", " "))
            if value:
                return value
    return "main"


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def by_id(element_id: str) -> object:
    return document.getElementById(element_id)


def closest(element: object, selector: str) -> object:
    """The element or its nearest ancestor matching `selector`, else None (Brython's
    `closest` raises KeyError when nothing matches)."""
    try:
        return element.closest(selector)
    except (KeyError, AttributeError):
        return None


class SalesPage:
    """One show's page: its state, the map, the basket, the stream, the requests."""

    def __init__(self) -> None:
        self.show_id = show_from_query(str(window.location.search))
        self.storage_key = STORAGE_PREFIX + self.show_id
        self.venue = None
        self.state = None
        self.waiting_snapshot = None  # a snapshot that came before the layout
        self.stream = None
        self.stream_failures = 0
        self.reconnect_timer = None
        self.leaving = False
        self.live = False
        self.last_heard = 0  # when the stream last said anything (ms); 0: never
        self.down_since = now_ms()
        self.frame_request = None
        self.frame_callback = self.on_frame  # one method object: Brython wraps it for JS once
        self.after_paint_timer = None
        self.after_paint_fallback = None
        self.after_frame_callback = self.after_frame
        self.catch_up_callback = self.catch_up
        self.book_busy = False  # a best-available hold is on its way: #book waits for it
        self.confirmed_now: list = []  # the bookings of the current checkout, for #confirmation
        self.tick_timer = None
        self.saved_revision = -1
        self.drawn_available = None
        self.drawn_basket = None
        self.message = ""
        self.notice_seat = ""
        self.notice_timer = None
        self.retry_timers: dict = {}
        self.price_texts: list = []
        # The map
        self.mode = ""  # "all" (every section), "section" (one), "overview" (a large show)
        self.section_index = -1
        self.map_rows: list = []  # row indexes the map shows now
        self.drawn_rows: dict = {}  # row index -> True for rows whose seats are drawn
        self.observer = None
        self.focus_seat = ""  # the map's one tab stop
        self.focus_band = ""  # the overview's one tab stop (an element id)
        self.cancel_booking = ""  # the booking the dialog asks about
        self.timer_warned = False
        self.pinch = None
        self.seat_map = by_id("seat-map")
        self.map_body = by_id("map-body")

    # ---- start and leave ---------------------------------------------------------

    def start(self) -> None:
        by_id("best").bind("submit", self.on_best)
        self.seat_map.bind("click", self.on_map_click)
        self.seat_map.bind("keydown", self.on_map_key)
        self.seat_map.bind("touchstart", self.on_touch_start)
        self.seat_map.bind("touchmove", self.on_touch_move)
        self.seat_map.bind("touchend", self.on_touch_end)
        self.seat_map.bind("wheel", self.on_wheel)
        by_id("section").bind("change", self.on_section_change)
        by_id("to-overview").bind("click", self.on_to_overview)
        by_id("show").bind("change", self.on_show_change)
        by_id("checkout").bind("click", self.on_checkout_open)
        by_id("empty-basket").bind("click", self.on_empty_basket)
        by_id("checkout-form").bind("submit", self.on_confirm)
        by_id("basket-seats").bind("click", self.on_basket_click)
        by_id("my-bookings").bind("click", self.on_bookings_click)
        by_id("confirm-cancel").bind("click", self.on_confirm_cancel)
        by_id("keep-booking").bind("click", self.on_keep_booking)
        window.addEventListener("pagehide", self.on_pagehide)
        window.addEventListener("pageshow", self.on_pageshow)
        window.addEventListener("storage", self.on_storage)
        self.get_json("/shows/" + window.encodeURIComponent(self.show_id), self.on_show_detail, self.on_show_missing)
        self.get_json("/shows", self.on_show_list, None)
        self.open_stream(resume=False)
        self.schedule_tick()

    def on_pagehide(self, _event: object) -> None:
        """Leaving (or going into the back/forward cache): no stream may linger (REQ-8)."""
        self.leaving = True
        self.close_stream()

    def on_pageshow(self, event: object) -> None:
        if event.persisted and self.leaving:
            self.leaving = False
            self.open_stream(resume=True)

    def get_json(self, path: str, on_body: object, on_error: object) -> None:
        def on_text(status: int, text: str) -> None:
            body = parse_json(text)
            if status == 200 and body is not None:
                on_body(body)
            elif on_error is not None:
                on_error(status)

        def on_response(response: object) -> None:
            status = response.status
            response.text().then(lambda text: on_text(status, text), lambda _e: on_error and on_error(0))

        window.fetch(path, {"cache": "no-cache"}).then(on_response, lambda _e: on_error and on_error(0))

    # ---- the show ------------------------------------------------------------------

    def on_show_list(self, shows: object) -> None:
        if not isinstance(shows, list) or len(shows) < 2:
            return
        parts = []
        for show in shows:
            show_id = str(show.get("id"))
            selected = " selected" if show_id == self.show_id else ""
            label = str(show.get("name") or show_id)
            if show.get("starts_at"):
                label += " · " + str(show.get("starts_at"))[:16].replace("T", " ")
            parts.append('<option value="' + escape(show_id) + '"' + selected + ">" + escape(label) + "</option>")
        by_id("show").html = "".join(parts)
        by_id("show-picker").hidden = False

    def on_show_change(self, _event: object) -> None:
        value = by_id("show").value
        if value and value != self.show_id:
            window.location.assign("/?show=" + window.encodeURIComponent(value))

    def on_show_missing(self, status: int) -> None:
        if status == 404:
            by_id("loading").text = "There is no show “" + self.show_id + "” here."
            self.show_message("This show does not exist. Pick another one from the list, or go to the main page.")
        else:
            by_id("loading").text = "Could not load the show. Retrying…"
            window.setTimeout(lambda: self.get_json("/shows/" + window.encodeURIComponent(self.show_id),
                                                    self.on_show_detail, self.on_show_missing), 2000)

    def on_show_detail(self, detail: object) -> None:
        if not isinstance(detail, dict) or self.venue is not None:
            return
        self.venue = Venue(detail)
        # (A show priced 0, as the default one from --seats, says no price at all.)
        priced = any(section.price for section in self.venue.sections)
        self.price_texts = [notices.format_price(section.price, self.venue.currency) if priced else ""
                            for section in self.venue.sections]
        document.title = "Book seats · " + self.venue.name
        by_id("show-name").text = self.venue.name
        if self.venue.starts_at:
            by_id("show-when").text = str(self.venue.starts_at)[:16].replace("T", " at ") + " UTC"
        self.state = SalesState(self.venue, new_idempotency_key)
        self.state.restore(self.read_storage(), now_ms())
        self.import_part1_bookings()
        self.fill_section_picker()
        if self.waiting_snapshot is not None:
            snapshot = self.waiting_snapshot
            self.waiting_snapshot = None
            self.apply_snapshot(snapshot)

    def fill_section_picker(self) -> None:
        venue = self.venue
        if len(venue.sections) < 2 and not venue.large:
            return
        first = "Overview: all sections" if venue.large else "All sections"
        parts = ['<option value="">' + first + "</option>"]
        for section in venue.sections:
            parts.append('<option value="' + escape(section.name) + '">' + escape(section.name)
                         + self.price_suffix(section.index) + "</option>")
        by_id("section").html = "".join(parts)
        by_id("section-picker").hidden = False

    # ---- the event stream ------------------------------------------------------------

    def open_stream(self, resume: bool) -> None:
        """Resume after the last version we hold, or ask for a fresh snapshot."""
        self.close_stream()
        url = "/shows/" + window.encodeURIComponent(self.show_id) + "/events"
        if resume and self.state is not None and self.state.seats.version is not None:
            url += "?lastEventId=" + str(self.state.seats.version)
        stream = window.EventSource.new(url)
        stream.addEventListener("open", self.on_stream_open)
        stream.addEventListener("snapshot", self.on_snapshot)
        stream.addEventListener("seats", self.on_seats_event)
        stream.addEventListener("error", self.on_stream_error)
        self.stream = stream

    def close_stream(self) -> None:
        if self.reconnect_timer is not None:
            window.clearTimeout(self.reconnect_timer)
            self.reconnect_timer = None
        if self.stream is not None:
            self.stream.close()
            self.stream = None

    def on_stream_open(self, _event: object) -> None:
        self.heard()

    def heard(self) -> None:
        """The server spoke: the stream is live."""
        self.last_heard = now_ms()
        if not self.live:
            self.live = True
            self.stream_failures = 0
            self.show_connection("live")
            self.draw_offline()
            if self.state is not None and self.state.ready:
                for action in self.state.waiting():  # back online: ask again now
                    self.send(action)

    def on_stream_error(self, _event: object) -> None:
        """The browser would retry on its own, without back-off and without our
        resume point; we close and reopen ourselves."""
        if self.leaving:
            return
        self.close_stream()
        if self.live:
            self.live = False
            self.down_since = now_ms()
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
        self.heard()
        if self.state is None:
            self.waiting_snapshot = snapshot
            return
        self.apply_snapshot(snapshot)

    def apply_snapshot(self, snapshot: dict) -> None:
        first = not self.state.ready
        outcome = self.state.apply_snapshot(snapshot, now_ms())
        if outcome is None:  # another layout: the show changed under us
            window.location.reload()
            return
        if first:
            self.build_map()
            self.become_ready()
        self.handle(outcome)

    def on_seats_event(self, event: object) -> None:
        change = parse_json(event.data)
        if not isinstance(change, dict):
            return
        self.heard()
        if self.state is None or not self.state.ready:
            return
        result, outcome = self.state.apply_event(change, now_ms())
        if result == GAP:
            # We missed a change: start over from a fresh snapshot.
            self.open_stream(resume=False)
            return
        if outcome.send or outcome.notice or outcome.announce:
            self.handle(outcome)
        else:
            self.redraw_next_frame()

    # ---- ready -----------------------------------------------------------------------

    def become_ready(self) -> None:
        by_id("loading").hidden = True
        by_id("count").hidden = False
        for element_id in ("quantity", "book"):
            by_id(element_id).disabled = False
        app = by_id("app")
        app.attrs["data-ready"] = "true"
        app.attrs["aria-busy"] = "false"

    # ---- the map: building -------------------------------------------------------------

    def build_map(self) -> None:
        venue = self.venue
        if venue.large:
            self.show_overview()
        else:
            self.show_sections(-1, -1)

    def show_overview(self) -> None:
        self.mode = "overview"
        self.section_index = -1
        self.forget_rows()
        parts = ['<div class="overview">']
        for section in self.venue.sections:
            parts.append('<section class="ov-section" aria-label="' + escape(section.name) + '">'
                         '<button type="button" class="section-head" id="sec-' + str(section.index)
                         + '" data-zoom-section="' + str(section.index) + '" tabindex="-1">'
                         + escape(section.name) + self.price_suffix(section.index) + ' · <span id="sec-free-'
                         + str(section.index) + '"></span></button><div class="bands">')
            for band_index in range(len(section.bands)):
                first_row, end_row = section.bands[band_index]
                band_id = "band-" + str(section.index) + "-" + str(band_index)
                parts.append('<button type="button" class="band" id="' + band_id + '" data-zoom-section="'
                             + str(section.index) + '" data-zoom-row="' + str(first_row) + '" tabindex="-1">'
                             '<span class="band-rows">' + self.band_rows_text(first_row, end_row)
                             + '</span><span class="band-free"></span></button>')
            parts.append("</div></section>")
        parts.append("</div>")
        self.map_body.html = "".join(parts)
        if not self.focus_band:
            self.focus_band = "sec-0"
        focus = by_id(self.focus_band)
        if focus is not None:
            focus.attrs["tabindex"] = "0"
        self.draw_overview_counts(None)
        by_id("section").value = ""
        by_id("to-overview").hidden = True
        by_id("map-title").text = "Seat map: all sections"

    def price_suffix(self, section_index: int) -> str:
        """" · €45.00", or "" for a show priced 0."""
        price = self.price_texts[section_index]
        return " · " + price if price else ""

    def band_rows_text(self, first_row: int, end_row: int) -> str:
        rows = self.venue.rows
        if end_row - first_row == 1:
            return "Row " + rows[first_row].label
        return "Rows " + rows[first_row].label + "–" + rows[end_row - 1].label

    def show_sections(self, section_index: int, first_row: int) -> None:
        """Every section (-1) or one, rows drawn near the visible part only when large."""
        venue = self.venue
        self.mode = "all" if section_index < 0 else "section"
        self.section_index = section_index
        self.forget_rows()
        sections = venue.sections if section_index < 0 else [venue.sections[section_index]]
        seats = sum(section.seats for section in sections)
        self.fit_seats(sections)
        draw_all = seats <= DRAW_ALL_UP_TO
        parts = []
        rows = []
        start_row = first_row if first_row >= 0 else sections[0].first_row
        for section in sections:
            parts.append('<section class="map-section" aria-label="' + escape(section.name) + '">')
            if len(venue.sections) > 1:
                price = self.price_texts[section.index]
                parts.append('<h3 class="section-head">' + escape(section.name) + ' <span class="quiet">'
                             + (price + " · " if price else "") + '<span id="sec-free-' + str(section.index)
                             + '"></span></span></h3>')
            for row_index in section.row_indexes():
                rows.append(row_index)
                row = venue.rows[row_index]
                parts.append('<div class="row" id="r-' + str(row_index) + '" data-row="' + str(row_index)
                             + '" role="group" aria-label="Row ' + row.label + '">')
                if draw_all or start_row <= row_index < start_row + ROWS_DRAWN_AT_ONCE:
                    parts.append(self.row_html(row_index))
                    self.drawn_rows[row_index] = True
                parts.append("</div>")
            parts.append("</section>")
        self.map_rows = rows
        if not self.focus_seat or venue.locate(self.focus_seat)[0] not in self.drawn_rows:
            self.focus_seat = ""
        self.map_body.html = "".join(parts)
        if not self.focus_seat:
            self.pick_focus_seat()
        self.draw_overview_counts(None)
        if not draw_all:
            self.observe_rows()
        picker = by_id("section")
        picker.value = "" if section_index < 0 else venue.sections[section_index].name
        by_id("to-overview").hidden = not venue.large
        by_id("map-title").text = ("Seat map" if section_index < 0
                                   else "Seat map: " + venue.sections[section_index].name)
        box = self.seat_map
        if box.scrollWidth > box.clientWidth:  # wide rows: start from the middle, like the stage
            box.scrollLeft = (box.scrollWidth - box.clientWidth) // 2
        if first_row >= 0:
            self.scroll_to_row(first_row)

    def fit_seats(self, sections: list) -> None:
        """The largest seat size (2, 1.75 or 1.5 rem) at which the widest row fits
        the map; the largest when none does (the map scrolls sideways then)."""
        widest = 0
        for section in sections:
            for row_index in section.row_indexes():
                widest = max(widest, self.venue.rows[row_index].length)
        rem = float(window.getComputedStyle(document.documentElement).fontSize.replace("px", "") or 16)
        room = self.seat_map.clientWidth - 4 * rem  # the row labels and padding
        fit = "0"
        for level, pitch in (("0", 2.25), ("1", 1.95), ("2", 1.7)):
            if widest * pitch * rem <= room:
                fit = level
                break
        self.seat_map.attrs["data-fit"] = fit

    def pick_focus_seat(self) -> None:
        for row_index in self.map_rows:
            if row_index in self.drawn_rows and self.venue.rows[row_index].length:
                self.set_focus_seat(self.venue.rows[row_index].label + "1")
                return

    def forget_rows(self) -> None:
        if self.observer is not None:
            self.observer.disconnect()
            self.observer = None
        self.drawn_rows = {}
        self.map_rows = []

    def row_html(self, row_index: int) -> str:
        row = self.venue.rows[row_index]
        label = row.label
        states = self.state.seats.row_states(row_index)
        price = self.price_texts[row.section] + ", " if self.price_texts[row.section] else ""
        accessible = row.accessible
        focus = self.focus_seat
        parts = ['<span class="row-label" aria-hidden="true">', label, '</span><div class="row-seats">']
        for offset in range(len(states)):
            number = str(offset + 1)
            seat_id = label + number
            state = states[offset]
            extra = ' aria-disabled="true"' if state in UNAVAILABLE else ""
            if accessible and (offset + 1) in accessible:
                extra += ' data-accessible=""'
                words = ", wheelchair space, "
            else:
                words = ", "
            parts.append('<button type="button" class="seat" id="s-' + seat_id + '" data-seat="' + seat_id
                         + '" data-state="' + state + '" tabindex="' + ("0" if seat_id == focus else "-1")
                         + '" aria-label="Seat ' + seat_id + words + price + STATE_WORDS[state] + '"'
                         + extra + ">" + number + "</button>")
        parts.append("</div>")
        return "".join(parts)

    def observe_rows(self) -> None:
        """Draw a row's seats when it comes near the visible part of the map, and
        forget them when it is far away."""
        self.observer = window.IntersectionObserver.new(self.on_rows_seen,
                                                        {"root": self.seat_map, "rootMargin": "400px 200px"})
        for row_index in self.map_rows:
            element = by_id("r-" + str(row_index))
            if element is not None:
                self.observer.observe(element)

    def on_rows_seen(self, entries: object, _observer: object) -> None:
        focus_row = self.venue.locate(self.focus_seat)[0] if self.focus_seat else -1
        for entry in entries:
            element = entry.target
            row_index = int(element.getAttribute("data-row"))
            if entry.isIntersecting:
                if row_index not in self.drawn_rows:
                    element.innerHTML = self.row_html(row_index)
                    self.drawn_rows[row_index] = True
            elif row_index in self.drawn_rows and row_index != focus_row:
                element.innerHTML = ""
                del self.drawn_rows[row_index]
        if not self.focus_seat:
            self.pick_focus_seat()

    def draw_row(self, row_index: int) -> None:
        if row_index in self.drawn_rows or row_index not in self.map_rows:
            return
        element = by_id("r-" + str(row_index))
        if element is not None:
            element.html = self.row_html(row_index)
            self.drawn_rows[row_index] = True

    def scroll_to_row(self, row_index: int) -> None:
        self.draw_row(row_index)
        element = by_id("r-" + str(row_index))
        if element is not None:
            stage = by_id("stage").offsetHeight
            self.seat_map.scrollTop = max(0, element.offsetTop - stage - 8)

    def bring_into_view(self, seats: list) -> None:
        """Seats that just joined the basket (or were booked): on screen, in the map
        only (the page itself does not jump)."""
        seats = [seat for seat in seats if self.venue.has_seat(seat)]
        if not seats:
            return
        seats = self.venue.sort_seats(seats)
        row_index = self.venue.locate(seats[0])[0]
        section = self.venue.rows[row_index].section
        if self.mode == "overview" or (self.mode == "section" and self.section_index != section):
            self.show_sections(section, -1)
        self.draw_row(row_index)
        button = by_id("s-" + seats[0])
        if button is None:
            return
        box = self.seat_map
        stage = by_id("stage").offsetHeight
        top = button.offsetTop
        if top < box.scrollTop + stage or top + button.offsetHeight > box.scrollTop + box.clientHeight:
            box.scrollTop = max(0, top - stage - (box.clientHeight - stage) // 3)
        left = button.offsetLeft
        label_width = 48
        if left < box.scrollLeft + label_width or left + button.offsetWidth > box.scrollLeft + box.clientWidth:
            box.scrollLeft = max(0, left - box.clientWidth // 2)

    # ---- the map: zoom ----------------------------------------------------------------

    def on_section_change(self, _event: object) -> None:
        name = by_id("section").value
        section = self.venue.section_named(name) if name else None
        if section is None:
            if self.venue.large:
                self.show_overview()
            else:
                self.show_sections(-1, -1)
        else:
            self.show_sections(section.index, -1)

    def on_to_overview(self, _event: object) -> None:
        self.show_overview()
        focus = by_id(self.focus_band)
        if focus is not None:
            focus.focus()

    def zoom_into(self, element: object) -> None:
        section_index = int(element.getAttribute("data-zoom-section"))
        row = element.getAttribute("data-zoom-row")
        self.focus_band = element.id
        self.show_sections(section_index, int(row) if row is not None else -1)
        if row is not None:
            self.set_focus_seat(self.venue.rows[int(row)].label + "1")
        focus = by_id("s-" + self.focus_seat) if self.focus_seat else None
        if focus is not None:
            focus.focus()

    def on_touch_start(self, event: object) -> None:
        touches = event.touches
        if touches.length == 2:
            self.pinch = self.touch_distance(touches)

    def on_touch_move(self, event: object) -> None:
        if self.pinch is None or event.touches.length != 2:
            return
        distance = self.touch_distance(event.touches)
        ratio = distance / max(1, self.pinch)
        if ratio > 1.4 and self.mode == "overview":
            self.pinch = None
            middle_x = (event.touches[0].clientX + event.touches[1].clientX) / 2
            middle_y = (event.touches[0].clientY + event.touches[1].clientY) / 2
            target = document.elementFromPoint(middle_x, middle_y)
            band = closest(target, "[data-zoom-section]") if target is not None else None
            if band is not None:
                self.zoom_into(band)
        elif ratio < 0.7 and self.mode == "section" and self.venue.large:
            self.pinch = None
            self.show_overview()

    def on_touch_end(self, _event: object) -> None:
        self.pinch = None

    def touch_distance(self, touches: object) -> float:
        dx = touches[0].clientX - touches[1].clientX
        dy = touches[0].clientY - touches[1].clientY
        return (dx * dx + dy * dy) ** 0.5

    def on_wheel(self, event: object) -> None:
        """A trackpad pinch arrives as a wheel event with ctrlKey."""
        if not event.ctrlKey:
            return
        event.preventDefault()
        if event.deltaY < -8 and self.mode == "overview":
            band = closest(event.target, "[data-zoom-section]")
            if band is not None:
                self.zoom_into(band)
        elif event.deltaY > 8 and self.mode == "section" and self.venue.large:
            self.show_overview()

    # ---- the map: choosing and keys --------------------------------------------------

    def on_map_click(self, event: object) -> None:
        target = event.target
        # The seat first: a failed `closest` raises inside Brython, and an
        # exception costs milliseconds there, on the path that must paint at once.
        button = closest(target, "button[data-seat]")
        if button is None:
            zoom = closest(target, "[data-zoom-section]")
            if zoom is not None:
                self.zoom_into(zoom)
            return
        if self.state is None or not self.state.ready:
            return
        seat_id = button.attrs["data-seat"]
        self.set_focus_seat(seat_id)
        self.clear_notice()
        outcome = self.state.click(seat_id, now_ms())
        self.handle(outcome)

    def set_focus_seat(self, seat_id: str) -> None:
        if seat_id == self.focus_seat:
            return
        old = by_id("s-" + self.focus_seat) if self.focus_seat else None
        if old is not None:
            old.attrs["tabindex"] = "-1"
        self.focus_seat = seat_id
        new = by_id("s-" + seat_id)
        if new is not None:
            new.attrs["tabindex"] = "0"

    def on_map_key(self, event: object) -> None:
        key = event.key
        target = event.target
        if target.getAttribute("data-seat"):
            moved = self.next_seat(target.getAttribute("data-seat"), key)
            if moved:
                event.preventDefault()
                self.draw_row(self.venue.locate(moved)[0])
                self.set_focus_seat(moved)
                button = by_id("s-" + moved)
                if button is not None:
                    button.focus()
            elif key == "Escape" and self.venue.large:
                event.preventDefault()
                self.on_to_overview(None)
            return
        if target.getAttribute("data-zoom-section") is not None:
            step = {"ArrowRight": 1, "ArrowDown": 1, "ArrowLeft": -1, "ArrowUp": -1}.get(key, 0)
            if not step:
                return
            event.preventDefault()
            items = [item for item in self.map_body.select("[data-zoom-section]")]
            ids = [item.id for item in items]
            index = ids.index(target.id) if target.id in ids else 0
            index = max(0, min(len(items) - 1, index + step))
            target.attrs["tabindex"] = "-1"
            items[index].attrs["tabindex"] = "0"
            self.focus_band = ids[index]
            items[index].focus()

    def next_seat(self, seat_id: str, key: str) -> str:
        """The seat an arrow (Home, End, Page Up/Down) key moves to, or ""."""
        row_index, offset = self.venue.locate(seat_id)
        if row_index < 0:
            return ""
        rows = self.map_rows
        position = rows.index(row_index) if row_index in rows else -1
        length = self.venue.rows[row_index].length
        if key == "ArrowLeft":
            offset -= 1
        elif key == "ArrowRight":
            offset += 1
        elif key == "Home":
            offset = 0
        elif key == "End":
            offset = length - 1
        elif key in ("ArrowUp", "ArrowDown", "PageUp", "PageDown") and position >= 0:
            step = {"ArrowUp": -1, "ArrowDown": 1, "PageUp": -10, "PageDown": 10}[key]
            position = max(0, min(len(rows) - 1, position + step))
            other = self.venue.rows[rows[position]]
            # Same place in the row, measured from the row's middle (rows are centred).
            middle = offset - (length - 1) / 2
            offset = max(0, min(other.length - 1, round(middle + (other.length - 1) / 2)))
            return other.label + str(offset + 1)
        else:
            return ""
        if offset < 0 or offset >= length:
            return ""
        return self.venue.rows[row_index].label + str(offset + 1)

    # ---- the buyer's other actions ----------------------------------------------------

    def on_best(self, event: object) -> None:
        event.preventDefault()
        if self.state is None or not self.state.ready:
            return
        try:
            quantity = int(by_id("quantity").value)
        except ValueError:
            quantity = 1
        quantity = max(1, min(10, quantity))
        by_id("quantity").value = str(quantity)
        section = self.venue.sections[self.section_index].name if self.mode == "section" else ""
        if self.book_busy:  # an impatient second tap: the first is still being answered
            return
        self.clear_notice()
        self.handle(self.state.hold_best(quantity, section, now_ms()))

    def on_basket_click(self, event: object) -> None:
        button = closest(event.target, "[data-remove]")
        if button is not None and self.state is not None:
            self.clear_notice()
            self.handle(self.state.remove(button.getAttribute("data-remove"), now_ms()))

    def on_empty_basket(self, _event: object) -> None:
        if self.state is not None:
            self.clear_notice()
            self.handle(self.state.release_all(now_ms()))

    def on_checkout_open(self, _event: object) -> None:
        form = by_id("checkout-form")
        form.hidden = False
        by_id("buyer-name").focus()

    def on_confirm(self, event: object) -> None:
        event.preventDefault()
        if self.state is None:
            return
        name = by_id("buyer-name").value
        email = by_id("buyer-email").value
        name_ok = bool(name.strip())
        email_ok = "@" in email and "." in email.split("@")[-1]
        by_id("buyer-name").attrs["aria-invalid"] = "false" if name_ok else "true"
        by_id("buyer-email").attrs["aria-invalid"] = "false" if email_ok else "true"
        self.clear_notice()
        self.confirmed_now = []
        outcome = self.state.checkout(name, email, now_ms())
        self.handle(outcome)
        if outcome.notice and not outcome.send:
            by_id("buyer-name" if not name_ok else "buyer-email").focus()

    def on_bookings_click(self, event: object) -> None:
        button = closest(event.target, "[data-cancel]")
        if button is not None:
            self.ask_cancel(button.getAttribute("data-cancel"))

    def ask_cancel(self, booking_id: str) -> None:
        booking = self.state.basket.bookings.get(booking_id) if self.state is not None else None
        if booking is None:
            return
        self.cancel_booking = booking_id
        by_id("cancel-question").text = notices.confirm_cancel_question(
            booking.reference or booking.booking_id, self.venue.sort_seats(booking.seats))
        dialog = by_id("cancel-dialog")
        if not dialog.open:
            dialog.showModal()
        by_id("keep-booking").focus()

    def on_confirm_cancel(self, _event: object) -> None:
        by_id("cancel-dialog").close()
        booking_id = self.cancel_booking
        self.cancel_booking = ""
        if booking_id and self.state is not None:
            self.clear_notice()
            self.handle(self.state.cancel(booking_id, now_ms()))

    def on_keep_booking(self, _event: object) -> None:
        by_id("cancel-dialog").close()
        self.cancel_booking = ""

    # ---- requests ---------------------------------------------------------------------

    def send(self, action: object) -> None:
        attempt = self.state.sending(action, now_ms())
        request = action.request(self.show_id)
        headers = {}
        options = {"method": request["method"], "headers": headers, "cache": "no-store"}
        if request["key"]:
            headers["Idempotency-Key"] = request["key"]
        if request["body"] is not None:
            headers["Content-Type"] = "application/json"
            options["body"] = javascript.JSON.stringify(request["body"])
        if request["token"]:
            headers["Authorization"] = "Bearer " + request["token"]
        controller = window.AbortController.new()
        options["signal"] = controller.signal
        flight = {"timed_out": False, "timer": None}
        action_id = action.action_id

        def on_timeout() -> None:
            flight["timed_out"] = True
            controller.abort()

        def on_text(status: int, text: str) -> None:
            window.clearTimeout(flight["timer"])
            self.handle(self.state.answered(action_id, status, parse_json(text), now_ms()))

        def on_response(response: object) -> None:
            status = response.status
            response.text().then(lambda text: on_text(status, text), on_failure)

        def on_failure(_error: object) -> None:
            window.clearTimeout(flight["timer"])
            self.handle(self.state.failed(action_id, attempt, flight["timed_out"], now_ms()))

        flight["timer"] = window.setTimeout(on_timeout, REQUEST_TIMEOUT_MS)
        window.fetch(request["path"], options).then(on_response, on_failure)

    def schedule_retry(self, action: object, delay: int) -> None:
        action_id = action.action_id
        delay = int(delay * (0.8 + 0.4 * window.Math.random()))

        def fire() -> None:
            if action_id in self.retry_timers:
                del self.retry_timers[action_id]
            again = self.state.retry_due(action_id)
            if again is not None:
                self.send(again)

        if action_id in self.retry_timers:
            window.clearTimeout(self.retry_timers[action_id])
        self.retry_timers[action_id] = window.setTimeout(fire, delay)

    def handle(self, outcome: object) -> None:
        """Draw what changed now (the same frame as the buyer's action: REQ-6), say
        what happened, then send what is to be sent."""
        self.redraw()
        busy = False
        for action in self.state.actions.values():
            if action.quantity and action.phase != "waiting":
                busy = True
        if busy != self.book_busy:
            self.book_busy = busy
            book = by_id("book")
            book.disabled = busy
            book.text = "Holding…" if busy else "Hold best seats"
        if outcome.notice:
            self.show_message(outcome.notice, outcome.seat)
        if outcome.announce:
            self.announce(outcome.announce)
        if outcome.confirmed:
            self.show_confirmation(outcome.confirmed)
        if outcome.show_seats:
            self.bring_into_view(outcome.show_seats)
        if outcome.ask_cancel:
            self.ask_cancel(outcome.ask_cancel)
        for action in outcome.send:
            self.send(action)
        for action, delay in outcome.retry:
            self.schedule_retry(action, delay)
        self.after_paint()

    def after_paint(self) -> None:
        """The basket panel and storage are brought up to date after the next frame
        is painted (a task queued from the frame's animation callback runs after its
        paint): the seat the buyer touched paints first, within one frame (16.7 ms)."""
        if self.after_paint_timer is None:
            self.after_paint_timer = window.requestAnimationFrame(self.after_frame_callback)
            # A hidden tab paints no frames: storage must not wait for one.
            self.after_paint_fallback = window.setTimeout(self.catch_up_callback, 100)

    def after_frame(self, _timestamp: float) -> None:
        window.setTimeout(self.catch_up_callback, 0)

    def catch_up(self) -> None:
        if self.after_paint_timer is None:
            return  # (the frame or the fallback came first)
        window.cancelAnimationFrame(self.after_paint_timer)
        window.clearTimeout(self.after_paint_fallback)
        self.after_paint_timer = None
        self.draw_basket()
        self.save_storage()

    # ---- drawing -----------------------------------------------------------------------

    def redraw_next_frame(self) -> None:
        """Stream events can come in bursts: draw once per frame for all of them.
        (Clicks and answers redraw at once instead: the buyer is looking.)"""
        if self.frame_request is None:
            self.frame_request = window.requestAnimationFrame(self.frame_callback)

    def on_frame(self, _timestamp: float) -> None:
        self.frame_request = None
        self.redraw()
        if self.state.basket.revision != self.saved_revision or self.state.actions:
            self.after_paint()

    def redraw(self) -> None:
        """Touch only the seats whose shown state changed, the counts, the overview."""
        if self.frame_request is not None:
            window.cancelAnimationFrame(self.frame_request)
            self.frame_request = None
        if self.state is None or not self.state.ready:
            return
        everything, seats, rows = self.state.seats.take_changes()
        if everything:
            self.redraw_rows()
        elif seats:
            self.redraw_seats(seats)
        if everything or rows:
            self.draw_overview_counts(None if everything else rows)
        available = self.state.seats.available
        if available != self.drawn_available:
            by_id("available").text = str(available)
            by_id("count-words").text = "seat free" if available == 1 else "seats free"
            self.drawn_available = available

    def redraw_rows(self) -> None:
        for row_index in list(self.drawn_rows):
            element = by_id("r-" + str(row_index))
            if element is not None:
                element.html = self.row_html(row_index)

    def redraw_seats(self, seats: list) -> None:
        shown_of = self.state.seats.shown_of
        for seat_id in seats:
            button = by_id("s-" + seat_id)
            if button is None:
                continue
            state = shown_of(seat_id)
            attrs = button.attrs
            attrs["data-state"] = state
            words = ", wheelchair space, " if button.getAttribute("data-accessible") is not None else ", "
            price = self.price_texts[self.venue.rows[self.venue.locate(seat_id)[0]].section]
            attrs["aria-label"] = "Seat " + seat_id + words + (price + ", " if price else "") + STATE_WORDS[state]
            if state in UNAVAILABLE:
                attrs["aria-disabled"] = "true"
            elif button.getAttribute("aria-disabled") is not None:
                button.removeAttribute("aria-disabled")

    def draw_overview_counts(self, rows: object) -> None:
        """Free seats per section, and per band in the overview: all of them (rows
        None) or those of the rows whose free count changed."""
        venue = self.venue
        seats = self.state.seats
        if rows is None:
            sections = list(range(len(venue.sections)))
        else:
            sections = []
            for row_index in rows:
                section = venue.rows[row_index].section
                if section not in sections:
                    sections.append(section)
        for section_index in sections:
            counter = by_id("sec-free-" + str(section_index))
            if counter is not None:
                counter.text = _thousands(seats.section_free[section_index]) + " free"
        if self.mode != "overview":
            return
        if rows is None:
            bands = [(section.index, band) for section in venue.sections for band in range(len(section.bands))]
        else:
            bands = []
            for row_index in rows:
                band = venue.band_of_row(row_index)
                if band not in bands:
                    bands.append(band)
        mine = {}
        for seat_id in list(seats.held_by_me) + list(seats.booked_by_me):
            row_index = venue.locate(seat_id)[0]
            if row_index >= 0:
                mine[venue.band_of_row(row_index)] = True
        for section_index, band_index in bands:
            self.draw_band(section_index, band_index, (section_index, band_index) in mine)

    def draw_band(self, section_index: int, band_index: int, mine: bool) -> None:
        band = by_id("band-" + str(section_index) + "-" + str(band_index))
        if band is None:
            return
        first_row, end_row = self.venue.sections[section_index].bands[band_index]
        free = 0
        seats_in_band = 0
        for row_index in range(first_row, end_row):
            free += self.state.seats.row_free(row_index)
            seats_in_band += self.venue.rows[row_index].length
        level = 0 if free <= 0 else max(1, (free * 10) // max(1, seats_in_band))
        band.attrs["data-level"] = str(level)
        if mine:
            band.attrs["data-mine"] = ""
        elif band.getAttribute("data-mine") is not None:
            band.removeAttribute("data-mine")
        band.select_one(".band-free").text = _thousands(free) + " free"
        band.attrs["aria-label"] = (self.band_rows_text(first_row, end_row) + ": " + _thousands(free) + " of "
                                    + _thousands(seats_in_band) + " seats free" + (", some of yours" if mine else ""))

    def draw_basket(self) -> None:
        """The basket, the timer, my bookings: redrawn when any of them changed."""
        state = self.state
        if state is None:
            return
        flying = [a for a in state.actions.values() if a.phase != "waiting" and a.kind in ("hold", "add", "confirm",
                                                                                           "cancel", "remove")]
        key = (state.basket.revision, len(flying), len(state.actions))
        if key == self.drawn_basket:
            return
        self.drawn_basket = key
        venue = self.venue
        currency = venue.currency
        seats = venue.sort_seats(state.basket.basket_seats())
        parts = []
        for seat_id in seats:
            section = venue.section_of(seat_id)
            shown = state.seats.shown_of(seat_id)
            parts.append('<li data-basket-seat="' + seat_id + '" data-state="' + shown + '"><span class="what">'
                         + seat_id + '</span> <span class="quiet">' + escape(section.name)
                         + '</span> <span class="price">'
                         + notices.format_price(section.price, currency) + '</span><button type="button" '
                         'class="button remove" data-remove="' + seat_id + '" aria-label="Remove ' + seat_id
                         + ' from the basket">Remove</button></li>')
        for action in flying:
            if action.kind in ("hold", "add"):
                what = notices.describe_seats(action.seats) if action.seats else notices.plural(action.quantity,
                                                                                                "best seat")
                parts.append('<li data-state="pending"><span>Holding ' + what + "…</span></li>")
        by_id("basket-seats").html = "".join(parts)
        by_id("basket-empty").hidden = bool(parts)
        by_id("basket-total").text = notices.format_price(state.basket.total_price(), currency)
        confirming = [a for a in flying if a.kind == "confirm"]
        by_id("checkout").disabled = not seats or bool(confirming)
        by_id("empty-basket").disabled = not seats
        by_id("confirm").disabled = bool(confirming)
        by_id("confirm").text = "Booking…" if confirming else "Confirm booking"
        if not seats:
            by_id("checkout-form").hidden = True
        by_id("hold-timer").attrs["data-seconds"] = ""  # redraw the timer and the bar now
        self.draw_timer(now_ms())
        # My bookings
        cancelling = [a.booking_id for a in flying if a.kind == "cancel"]
        bookings = sorted(state.basket.bookings.values(), key=lambda b: b.version)
        items = []
        for booking in bookings:
            reference = booking.reference or booking.booking_id[:10]
            status = ' data-state="pending"' if booking.booking_id in cancelling else ""
            items.append('<li data-booking="' + escape(booking.booking_id) + '"' + status + '><span><span class="what">'
                         + escape(reference) + "</span> " + notices.describe_seats(venue.sort_seats(booking.seats))
                         + ' <span class="price">' + notices.format_price(booking.total_price, currency)
                         + '</span></span><button type="button" class="button cancel" data-cancel="'
                         + escape(booking.booking_id) + '" aria-label="Cancel booking ' + escape(reference) + '"'
                         + (" disabled" if booking.booking_id in cancelling else "") + ">"
                         + ("Cancelling…" if booking.booking_id in cancelling else "Cancel…") + "</button></li>")
        by_id("my-bookings").html = "".join(items)
        by_id("bookings-empty").hidden = bool(items)

    def draw_timer(self, now: int) -> None:
        seconds = self.state.seconds_left(now) if self.state is not None else None
        timer = by_id("hold-timer")
        bar = by_id("basket-bar")
        if seconds is None:
            if not timer.hidden:
                timer.hidden = True
                timer.attrs["data-seconds"] = ""
                bar.hidden = True
            self.timer_warned = False
            return
        text = str(seconds)
        if timer.attrs["data-seconds"] != text or timer.hidden:
            timer.attrs["data-seconds"] = text
            timer.text = "Seats held for " + notices.format_countdown(seconds) + " more"
            timer.hidden = False
            count = len(self.state.basket.basket_seats())
            bar.text = (notices.plural(count, "seat") + " · " + notices.format_countdown(seconds) + " left · "
                        + notices.format_price(self.state.basket.total_price(), self.venue.currency)
                        + " · Your basket")
            bar.hidden = False
            if seconds <= 60:
                timer.attrs["data-urgent"] = ""
                if not self.timer_warned:
                    self.timer_warned = True
                    self.announce("Less than a minute left to check out before your seats are let go.")
            elif timer.getAttribute("data-urgent") is not None:
                timer.removeAttribute("data-urgent")
                self.timer_warned = False

    def show_confirmation(self, bookings: list) -> None:
        """Every booking of this checkout (a basket of several holds makes several)."""
        for booking in bookings:
            if booking not in self.confirmed_now:
                self.confirmed_now.append(booking)
        parts = []
        for booking in self.confirmed_now:
            parts.append('<p>Reference <span class="reference" data-reference="' + escape(booking.reference) + '">'
                         + escape(booking.reference) + '</span><span class="spelled">Spelled out: '
                         + escape(notices.spell_reference(booking.reference)) + "</span>"
                         + notices.describe_seats(self.venue.sort_seats(booking.seats)) + " · "
                         + notices.format_price(booking.total_price, self.venue.currency) + "</p>")
        by_id("confirmation-list").html = "".join(parts)
        section = by_id("confirmation")
        section.hidden = False
        by_id("checkout-form").hidden = True
        section.focus()

    def show_connection(self, state: str) -> None:
        element = by_id("connection")
        if element.attrs["data-state"] != state:
            element.attrs["data-state"] = state
            element.text = {"connecting": "Connecting…", "live": "Live", "reconnecting": "Reconnecting…"}[state]

    def draw_offline(self) -> None:
        """While the stream is down (past a short grace), say so, and when the
        server was last heard."""
        banner = by_id("offline")
        now = now_ms()
        if self.live or now - self.down_since < OFFLINE_AFTER_MS:
            if not banner.hidden:
                banner.hidden = True
            return
        if self.last_heard:
            clock = window.Date.new(self.last_heard).toLocaleTimeString()
            text = notices.offline_banner((now - self.last_heard) // 1000, str(clock))
        else:
            text = notices.offline_banner(-1, "")
        if banner.text != text:
            banner.text = text
        banner.hidden = False

    def show_message(self, text: str, seat_id: str = "") -> None:
        if text != self.message:
            by_id("message").text = text
            self.message = text
        if seat_id:
            self.clear_seat_notice()
            self.notice_seat = seat_id
            self.draw_row(self.venue.locate(seat_id)[0])
            button = by_id("s-" + seat_id)
            if button is not None:
                button.attrs["data-notice"] = _short_notice(text)
            self.notice_timer = window.setTimeout(self.clear_seat_notice, NOTICE_MS)

    def clear_notice(self) -> None:
        """A new action clears the last notice (and its mark next to the seat)."""
        if self.message:
            by_id("message").text = ""
            self.message = ""
        self.clear_seat_notice()

    def clear_seat_notice(self) -> None:
        if self.notice_timer is not None:
            window.clearTimeout(self.notice_timer)
            self.notice_timer = None
        if self.notice_seat:
            button = by_id("s-" + self.notice_seat)
            if button is not None and button.getAttribute("data-notice") is not None:
                button.removeAttribute("data-notice")
            self.notice_seat = ""

    def announce(self, text: str) -> None:
        region = by_id("announce")
        region.text = ""  # the same words again are announced again
        window.setTimeout(lambda: _set_text(region, text), 50)

    # ---- time ---------------------------------------------------------------------------

    def schedule_tick(self) -> None:
        self.tick_timer = window.setTimeout(self.tick, 1000 - now_ms() % 1000)

    def tick(self) -> None:
        self.schedule_tick()
        now = now_ms()
        if self.state is not None and self.state.ready:
            outcome = self.state.tick(now)
            if outcome.notice or outcome.announce:
                self.handle(outcome)
            self.draw_timer(now)
        self.draw_offline()

    # ---- storage shared by this browser's tabs ----------------------------------------------

    def read_storage(self) -> object:
        return parse_json(self.read_raw_storage())

    def read_raw_storage(self) -> str:
        try:
            return window.localStorage.getItem(self.storage_key) or ""
        except Exception:  # storage disabled (privacy mode): nothing remembered
            return ""

    def save_storage(self) -> None:
        """After a change: merge with what storage holds now (another tab may have
        written), take the result, write it when it differs."""
        state = self.state
        if state is None or state.basket.revision == self.saved_revision:
            return
        raw = self.read_raw_storage()
        merged = state.merge_storage(parse_json(raw), now_ms())
        text = javascript.JSON.stringify(merged)
        if text != raw:  # (a merge that changed nothing writes nothing: no storage event elsewhere)
            self.write_storage(text)
        self.saved_revision = state.basket.revision
        self.redraw()

    def write_storage(self, text: str) -> bool:
        """False when storage is full or disabled: the page still works, this tab
        remembers (contextlib is not in brython.js)."""
        try:
            window.localStorage.setItem(self.storage_key, text)
        except Exception:
            return False
        return True

    def on_storage(self, event: object) -> None:
        """Another tab wrote: merge (never overwrite), redraw."""
        if event.key != self.storage_key or self.state is None:
            return
        self.saved_revision = -1
        self.save_storage()
        self.draw_basket()

    def import_part1_bookings(self) -> None:
        """The first page kept the default show's bookings under another key."""
        if self.show_id != "main":
            return
        try:
            old = parse_json(window.localStorage.getItem(PART1_STORAGE_KEY))
        except Exception:
            return
        if not isinstance(old, list):
            return
        bookings = {}
        for record in old:
            if isinstance(record, dict) and record.get("booking_id") and record.get("token"):
                bookings[str(record["booking_id"])] = {
                    "booking_id": str(record["booking_id"]), "token": str(record["token"]), "reference": "",
                    "seats": [str(seat) for seat in record.get("seats") or []],
                    "version": int(record.get("version") or 0), "total_price": 0}
        self.state.merge_storage({"holds": {}, "bookings": bookings, "requests": {}, "gone": {}}, now_ms())
        self.saved_revision = -1
        self.save_storage()
        try:
            window.localStorage.removeItem(PART1_STORAGE_KEY)
        except Exception:
            return


def _thousands(number: int) -> str:
    return format(number, ",")


def _short_notice(text: str) -> str:
    """The first sentence of a notice, for the mark next to the seat."""
    end = text.find(". ")
    return text if end < 0 else text[:end + 1]


def _set_text(element: object, text: str) -> None:
    element.text = text


def main() -> None:
    SalesPage().start()


if __name__ == "__main__":  # run by Brython as the page's script, never on import
    main()
