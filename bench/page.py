"""Browser benchmarks of the sales page: start, a large show, optimistic paint,
live update.

    .venv/bin/python -m bench.page [--runs 5] [--json out.json]

Starts `server.py` itself (the default show of 100 seats in rows of 10, plus a
50,000-seat show of three sections created through the admin API; `--db
:memory:`, pinned to core 0 when `taskset` exists) and drives the system Chromium
headless through Playwright:

1. page start: first byte of `GET /` to `#app[data-ready="true"]` on the 100-seat
   show, cold cache, and the bytes on the wire for the whole page load (target
   600 ms, 500 KB);
2. large show: the same for `GET /?show=stadium-50k`, 50,000 seats: ready means
   the overview is drawn and the controls answer (target 1.5 s);
3. optimistic paint: on the 50,000-seat show zoomed into its front section, a
   click on a free seat to the next animation frame after the seat turned
   `pending`, with the hold request held back (target one frame, 16.7 ms);
4. live update: renderer main-thread time to apply one SSE `seats` event with one
   change to the 50,000-seat show's map, zoomed in, the changed seat on screen
   (target 5 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Route, sync_playwright

from bench import processes

SEATS, ROW_SIZE = 100, 10
LARGE = "stadium-50k"
LARGE_SEATS = 50_000
ADMIN_TOKEN = "bench-admin"
READY = '#app[data-ready="true"]'
FREE_SEATS = '[data-seat][data-state="free"]'
HOLD_REQUESTS = ("**/shows/*/holds", "**/holds/*/seats")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

# Page time (performance.now()) at which #app turns ready. A MutationObserver's
# callback runs as a microtask right after the script that set the attribute, so
# this is the moment the page declared itself ready, not the next time someone
# polled for it. It also logs a console line, so Python can wait for readiness
# without polling inside the page (Playwright's wait_for_selector would add its
# own main-thread work to the start it is timing).
NOTE_READY = """(() => {
    new MutationObserver((changes, observer) => {
        const app = document.getElementById('app');
        if (app && app.dataset.ready === 'true') {
            window.__readyAt = performance.now();
            observer.disconnect();
            console.debug('bench:ready');
        }
    }).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-ready']});
})();"""

# responseStart of the navigation entry is when the first byte of GET / arrived,
# on the same clock as performance.now().
READY_AFTER_FIRST_BYTE = "() => window.__readyAt - performance.getEntriesByType('navigation')[0].responseStart"

# Click to paint: a capturing click listener notes event.timeStamp (when the
# browser received the input, same clock as performance.now()); when a seat's
# data-state turns `pending`, a requestAnimationFrame callback notes the start
# of the frame that will paint it. rAF callbacks run at the start of the next
# rendering update, so "frame - click" is the delay until the frame that shows
# the change; one frame at 60 Hz is 16.7 ms.
NOTE_PAINT = """(() => {
    window.__paints = [];
    document.addEventListener('click', event => { window.__clickAt = event.timeStamp; }, true);
    new MutationObserver(changes => {
        for (const change of changes) {
            const seat = change.target;
            if (seat.dataset.seat && seat.dataset.state === 'pending' && window.__clickAt !== undefined) {
                const clickAt = window.__clickAt;
                window.__clickAt = undefined;
                requestAnimationFrame(() => window.__paints.push(
                    {seat: seat.dataset.seat, ms: performance.now() - clickAt}));
            }
        }
    }).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-state']});
})();"""


def large_show() -> dict:
    """50,000 seats in three sections of rows of 100 (labels A, B, … SF)."""
    def label(index: int) -> str:
        text, index = "", index + 1
        while index:
            index, remainder = divmod(index - 1, 26)
            text = chr(65 + remainder) + text
        return text

    sections, start = [], 0
    for name, price, rows in (("Floor", 9000, 200), ("Lower tier", 6000, 150), ("Upper tier", 3500, 150)):
        sections.append({"name": name, "price": price,
                         "rows": [{"label": label(i), "seats": 100} for i in range(start, start + rows)]})
        start += rows
    return {"id": LARGE, "name": "Stadium final", "currency": "EUR", "layout": {"sections": sections}}


@contextmanager
def running_server(log_dir: Path) -> Iterator[str]:
    """`server.py` on a free port on core 0 (the browser gets the other core), with
    the 50,000-seat show created; yields its URL and always stops it."""
    port = processes.free_port()
    command = [*processes.project_server(port, ":memory:", SEATS, ROW_SIZE),
               "--admin-token", ADMIN_TOKEN, "--max-holds-per-client", "100000"]
    with processes.running(command, port, log_dir / "server.log"):
        url = f"http://127.0.0.1:{port}"
        post(url, "/shows", large_show(), token=ADMIN_TOKEN)
        yield url


def post(url: str, path: str, body: dict, token: str = "") -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST", headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status in (200, 201), response.status
        return json.loads(response.read())


def book_from_outside(url: str, seat_id: str) -> None:
    post(url, f"/shows/{LARGE}/book", {"seats": [seat_id]})


def summary(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 1), "min": round(min(values), 1),
            "max": round(max(values), 1), "runs": [round(value, 1) for value in values]}


# ---- 1. page start ------------------------------------------------------------


class WireBytes:
    """Bytes per request as Chromium counts them on the wire (headers + encoded
    body), from CDP Network events. loadingFinished gives a finished request's
    total. The event stream never finishes and its chunks report encoded length
    0, so an unfinished response counts its headers plus its body chunks as
    decoded: the bytes sent when it has no Content-Encoding, and more than were
    sent when it is gzipped (as Chromium asks for it), so the figure is an upper
    bound. Resource Timing would miss the stream, and with it the 1,000-seat
    snapshot."""

    def __init__(self) -> None:
        self.headers: dict[str, int] = {}
        self.body: dict[str, int] = {}
        self.finished: dict[str, int] = {}

    def response(self, event: dict) -> None:
        response = event["response"]
        self.headers[event["requestId"]] = int(response.get("encodedDataLength", 0))

    def data(self, event: dict) -> None:
        self.body[event["requestId"]] = self.body.get(event["requestId"], 0) + event["dataLength"]

    def done(self, event: dict) -> None:
        self.finished[event["requestId"]] = int(event["encodedDataLength"])

    def total(self) -> int:
        unfinished = [request for request in self.headers if request not in self.finished]
        return sum(self.finished.values()) + sum(self.headers[r] + self.body.get(r, 0) for r in unfinished)


def page_start(browser: Browser, url: str) -> tuple[float, int]:
    """One cold start in a fresh context (its own empty HTTP cache and connections,
    and the cache disabled too). Returns (first byte -> ready in ms, bytes on the wire)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        context.add_init_script(NOTE_READY)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        wire = WireBytes()
        cdp.on("Network.responseReceived", wire.response)
        cdp.on("Network.dataReceived", wire.data)
        cdp.on("Network.loadingFinished", wire.done)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        with page.expect_console_message(lambda message: message.text == "bench:ready", timeout=15_000):
            page.goto(url)
        ready_ms = page.evaluate(READY_AFTER_FIRST_BYTE)
        page.wait_for_timeout(100)  # let the CDP events of the last chunks arrive
        return ready_ms, wire.total()
    finally:
        context.close()


# ---- 2. optimistic paint ------------------------------------------------------


def zoomed_large_show(context, url: str):
    """The 50,000-seat show, zoomed into its front section (the map draws only the
    rows near view)."""
    page = context.new_page()
    page.goto(f"{url}/?show={LARGE}")
    page.wait_for_selector(READY)
    page.locator("#section").select_option("Floor")
    page.wait_for_selector('[data-seat="A1"]')
    page.wait_for_timeout(500)
    return page


def optimistic_paints(browser: Browser, url: str, runs: int) -> list[float]:
    """Clicks `runs` different free seats of the front rows of the zoomed
    50,000-seat show, each with its hold request held until the paint is measured,
    then lets it through."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        context.add_init_script(NOTE_PAINT)
        held: list[Route] = []
        for pattern in HOLD_REQUESTS:
            context.route(pattern, lambda route: held.append(route))  # a bound method is refused
        page = zoomed_large_show(context, url)
        free = page.locator(FREE_SEATS).evaluate_all("seats => seats.slice(0, 400).map(s => s.dataset.seat)")
        chosen = [free[i * len(free) // runs] for i in range(runs)]
        results = []
        for seat_id in chosen:
            seat = page.locator(f'[data-seat="{seat_id}"]')
            seat.scroll_into_view_if_needed()
            page.wait_for_timeout(200)  # the scroll's own frames are done before the click
            seat.click()
            page.wait_for_function("n => window.__paints.length >= n", arg=len(results) + 1)
            paint = page.evaluate("() => window.__paints.at(-1)")
            assert paint["seat"] == seat_id, paint
            assert seat.get_attribute("data-state") == "pending"  # the answer is still held
            results.append(paint["ms"])
            while not held:  # the route callback runs when Playwright next dispatches
                page.wait_for_timeout(10)
            held.pop().continue_()  # let the hold through, so the next click starts clean
            page.wait_for_selector(f'[data-seat="{seat_id}"][data-state="selected"]')
        return results
    finally:
        context.close()


# ---- 3. live update -----------------------------------------------------------

# Chrome tracing rather than Performance.getMetrics: TaskDuration is one counter
# for the whole renderer, so a delta would also count whatever else ran in the
# window (and an idle baseline only estimates that). The trace names the tasks:
# "toplevel" gives every task the renderer's main thread ran, with its duration;
# "devtools.timeline" says which task received the stream's data and ran our
# handler (ResourceReceivedData + FunctionCall), and which one painted (Paint).
# (Checked once against getMetrics deltas minus an idle baseline: same figures
# within the run-to-run noise, so tracing does not inflate them.)
TRACE_CATEGORIES = ["toplevel", "devtools.timeline"]
TOP_LEVEL_TASK = "ThreadControllerImpl::RunTask"


def live_updates(browser: Browser, url: str, runs: int) -> list[dict]:
    """Books one seat per run from outside, on the zoomed 50,000-seat show's front
    row (on screen); measures what applying the event costs."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = zoomed_large_show(context, url)
        page.wait_for_timeout(1000)  # settle: start-up work and GC out of the way
        results = []
        for _ in range(runs):
            seat_id = page.locator(FREE_SEATS).first.get_attribute("data-seat")  # the front row: on screen
            available = int(page.locator("#available").inner_text())
            browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
            try:
                time.sleep(0.3)
                book_from_outside(url, seat_id)
                time.sleep(0.7)  # no calls into the page meanwhile: its main thread only serves the event
            finally:
                trace = json.loads(browser.stop_tracing())
            # Only now check the page shows the change (outside the traced window).
            page.wait_for_selector(f'[data-seat="{seat_id}"][data-state="booked"]')
            assert int(page.locator("#available").inner_text()) == available - 1
            results.append(event_cost(trace["traceEvents"]))
            page.wait_for_timeout(300)
        return results
    finally:
        context.close()


def event_cost(events: list[dict]) -> dict:
    """Main-thread time from the task that handled the `seats` event to the end
    of the task that painted its change: the sum of all top-level tasks on the
    renderer main thread in that span (the page is otherwise idle, so that is
    the event's handler, the animation frame that redraws, style, layout and
    paint; anything unrelated in the span is counted too, never left out)."""
    main_threads = {(e["pid"], e["tid"]) for e in events
                    if e.get("ph") == "M" and e["name"] == "thread_name" and e["args"]["name"] == "CrRendererMain"}
    for thread in main_threads:
        on_thread = sorted((e for e in events if (e.get("pid"), e.get("tid")) == thread and e.get("ph") in ("X", "I")),
                           key=lambda e: e["ts"])
        tasks = [e for e in on_thread if e["name"] == TOP_LEVEL_TASK and e["ph"] == "X"]
        handled = [t for t in tasks if runs_inside(t, "ResourceReceivedData", on_thread)
                   and runs_inside(t, "FunctionCall", on_thread)]
        if not handled:
            continue
        first = handled[0]
        # The frame that ran our requestAnimationFrame redraw and painted it.
        painted = next(t for t in tasks if t["ts"] > first["ts"] and runs_inside(t, "FireAnimationFrame", on_thread)
                       and runs_inside(t, "Paint", on_thread))
        span = [t for t in tasks if first["ts"] <= t["ts"] <= painted["ts"]]
        return {"ms": sum(t["dur"] for t in span) / 1000, "event_ms": first["dur"] / 1000,
                "frame_ms": painted["dur"] / 1000, "tasks": len(span)}
    raise RuntimeError("no task on a renderer main thread handled the seats event")


def runs_inside(task: dict, name: str, on_thread: list[dict]) -> bool:
    return any(e["name"] == name and task["ts"] <= e["ts"] <= task["ts"] + task["dur"] for e in on_thread)


# ---- main ---------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="repetitions of each measurement (default 5)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    options = parser.parse_args()
    load_before = os.getloadavg()[0]

    with tempfile.TemporaryDirectory(prefix="bench-page-") as log_dir, \
            running_server(Path(log_dir)) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=CHROMIUM_ARGS, headless=True)
        try:
            page_start(browser, url + "/")  # warm-up, not counted: the first page of a fresh browser process
            starts = [page_start(browser, url + "/") for _ in range(options.runs)]
            large = [page_start(browser, f"{url}/?show={LARGE}") for _ in range(options.runs)]
            paints = optimistic_paints(browser, url, options.runs)
            updates = live_updates(browser, url, options.runs)
            version = browser.version
        finally:
            browser.close()

    result = {
        "page_start_ms": summary([ms for ms, _ in starts]),
        "page_bytes": int(statistics.median([size for _, size in starts])),
        "large_start_ms": summary([ms for ms, _ in large]),
        "large_bytes": int(statistics.median([size for _, size in large])),
        "paint_ms": summary(paints),
        "live_update_ms": summary([update["ms"] for update in updates]),
        "chromium": version,
        "seats": SEATS,
        "large_seats": LARGE_SEATS,
    }
    print(f"Chromium {version}, {options.runs} runs each; load average before/after: "
          f"{load_before:.2f}/{os.getloadavg()[0]:.2f} (the machine may be shared)")
    print(f"{'measure':<44}{'median':>10}{'min':>10}{'max':>10}  target")
    for label, key, target in (("page start, 100 seats: first byte -> ready", "page_start_ms", "600 ms"),
                               ("50,000 seats: first byte -> ready", "large_start_ms", "1500 ms"),
                               ("click -> next frame (50,000 seats)", "paint_ms", "16.7 ms"),
                               ("live update: main thread (50,000 seats)", "live_update_ms", "5 ms")):
        figures = result[key]
        print(f"{label:<44}{figures['median']:>8.1f}ms{figures['min']:>8.1f}ms{figures['max']:>8.1f}ms  {target}")
    print(f"{'page bytes on the wire, 100 seats':<44}{result['page_bytes'] / 1024:>8.1f}KB{'':>20}  500 KB")
    print(f"{'page bytes on the wire, 50,000 seats':<44}{result['large_bytes'] / 1024:>8.1f}KB")
    print("live update split (event task / frame task ms): "
          + ", ".join(f"{u['event_ms']:.1f}/{u['frame_ms']:.1f}" for u in updates))
    if options.json:
        options.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
