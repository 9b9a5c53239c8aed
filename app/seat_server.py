"""Wiring: the whole product built from a `Config`, and its orderly shutdown."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import tornado.web
from tornado.httpserver import HTTPServer
from tornado.ioloop import PeriodicCallback

from app.access_log import FLUSH_SECONDS, AccessLog
from app.committer import GroupCommitter
from app.config import Config
from app.event_hub import EventHub
from app.event_stream import EventStream
from app.rate_limit import RateLimiter
from app.reservations import ReservationService
from app.seat_board import SeatBoard
from app.store import SeatStore
from handlers.base import NotFoundHandler
from handlers.book import BookHandler, BookingHandler
from handlers.events import EventStreamHandler
from handlers.page import AssetHandler, load_assets
from handlers.seats import HealthHandler, SeatsHandler

log = logging.getLogger("seats")

REPLAY_LIMIT = 10_000  # events kept for streams that resume with Last-Event-ID
LISTEN_BACKLOG = 4096  # the kernel caps it at net.core.somaxconn


class SeatServer:
    """Owns the store, the service, the hub and the Tornado application."""

    def __init__(self, config: Config, replay_limit: int = REPLAY_LIMIT) -> None:
        self.config = config
        if config.db != ":memory:":
            Path(config.db).parent.mkdir(parents=True, exist_ok=True)
        self.store = SeatStore(config.db)
        venue, created = self.store.open_venue(config.seats, config.row_size)
        if created:
            log.info("new venue: %d seats, %d per row, in %s", venue.total, venue.row_size, config.db)
        else:
            log.info("existing venue in %s: %d seats, %d per row (--seats/--row-size ignored)",
                     config.db, venue.total, venue.row_size)
        inventory = self.store.load_inventory(venue)
        self.board = SeatBoard(venue, inventory.states(), inventory.version)
        self.hub = EventHub(self.board, self.store.recent_changes(replay_limit), replay_limit)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self.committer = GroupCommitter(self.store.commit, self._writer, self._on_committed, self._on_storage_failure)
        self.service = ReservationService(inventory, self.store, self.committer, config.max_per_booking)
        self.rate_limiter = RateLimiter(config.rate_limit, time.monotonic)
        self.access_log = AccessLog(config.log_format)
        self.application = self._make_application()
        self._heartbeat: PeriodicCallback | None = None
        self._log_flusher: PeriodicCallback | None = None
        self._http_server: HTTPServer | None = None

    def _make_application(self) -> tornado.web.Application:
        hub, service = self.hub, self.service
        events = {"hub": hub, "max_streams": self.config.max_streams, "max_backlog": self.config.max_backlog,
                  "on_stream_closed": self._stream_closed}
        assets = {"assets": load_assets()}
        return tornado.web.Application(
            [
                (r"/", AssetHandler, assets),
                (r"/(?:static|brython)/.+", AssetHandler, assets),
                (r"/seats", SeatsHandler, {"hub": hub}),
                (r"/healthz", HealthHandler, {"hub": hub}),
                (r"/book", BookHandler, {"service": service, "rate_limiter": self.rate_limiter}),
                (r"/bookings/([^/]+)", BookingHandler, {"service": service}),
                (r"/events", EventStreamHandler, events),
            ],
            default_handler_class=NotFoundHandler,
            log_function=self.access_log,
            allowed_origins=self.config.allowed_origin_set,
            shutting_down=False,
        )

    def _stream_closed(self, stream: EventStream) -> None:
        """A stream is logged when it ends, with how long it stayed open."""
        self.hub.unsubscribe(stream)
        self.access_log.record(200, "GET", "/events", (time.monotonic() - stream.opened) * 1000, stream.remote)

    def _on_committed(self, change) -> None:
        self.board.apply(change)
        self.hub.publish(change)

    def _on_storage_failure(self, error: BaseException) -> None:
        log.error("storage failure: %s; reloading committed state", error)
        asyncio.get_running_loop().create_task(self.service.reload_after_storage_failure())

    def start(self) -> None:
        """Listen and start the heartbeat; call with the event loop running."""
        self._http_server = HTTPServer(self.application, xheaders=False, idle_connection_timeout=3600)
        # A burst of thousands of new connections overflows Tornado's default
        # backlog of 128, and a dropped SYN costs the client a 1 s retransmit.
        self._http_server.listen(self.config.port, self.config.host, backlog=LISTEN_BACKLOG)
        self.start_heartbeat()
        self._log_flusher = PeriodicCallback(self.access_log.flush, FLUSH_SECONDS * 1000)
        self._log_flusher.start()
        # Everything built so far (the venue, the seat map) lives until exit: keep
        # it out of the garbage collector's full passes, which otherwise pause the
        # loop for a time that grows with the venue.
        gc.freeze()
        log.info("listening on http://%s:%d/", self.config.host, self.config.port)

    def start_heartbeat(self) -> None:
        self._heartbeat = PeriodicCallback(self.hub.ping, self.config.heartbeat * 1000)
        self._heartbeat.start()

    async def shutdown(self) -> None:
        """Stop taking work, end streams cleanly, make every acknowledged booking
        durable, then release the database."""
        self.application.settings["shutting_down"] = True
        if self._http_server is not None:
            self._http_server.stop()
        if self._heartbeat is not None:
            self._heartbeat.stop()
        self.hub.end_all()
        try:
            await asyncio.wait_for(self.service.close(), self.config.shutdown_timeout)
        except TimeoutError:
            log.error("commits still pending after %.1fs", self.config.shutdown_timeout)
        if self._http_server is not None:
            try:
                await asyncio.wait_for(self._http_server.close_all_connections(), self.config.shutdown_timeout)
            except TimeoutError:
                log.warning("some connections were still open at exit")
        self.close()

    def close(self) -> None:
        """Release the writer thread and the database (after `shutdown`, or in tests)."""
        for timer in (self._heartbeat, self._log_flusher):
            if timer is not None:
                timer.stop()
        self.access_log.flush()
        self._writer.shutdown(wait=True)
        self.store.close()
