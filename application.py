"""The composition root: the whole product built from a `Config`, its routes, its
timers and its orderly shutdown. Everything below it (`handlers/`, `app/`,
`booking/`) is handed what it needs from here; nothing below imports this."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import resource
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import tornado.web
from tornado.ioloop import PeriodicCallback

from app.access_log import FLUSH_SECONDS, AccessLog
from app.box_office import BoxOffice
from app.committer import GroupCommitter
from app.config import LOOPBACK_HOSTS, Config, metrics_endpoint
from app.event_hub import EventHub
from app.event_stream import EventStream
from app.http_server import ConnectionLimits, LimitedHTTPServer
from app.known_databases import KnownDatabases, default_registry
from app.metrics import Metrics
from app.postgres_store import PostgresStore
from app.rate_limit import RateLimiter
from app.sqlite_store import SqliteStore
from app.store import Store
from booking.errors import InvalidRequest
from booking.inventory import Change, Policy
from booking.layout import Layout, parse_layout
from booking.show import DEFAULT_SHOW, DEFAULT_SHOW_NAME, Show
from handlers.base import MAX_DISCARDED_BYTES, NotFoundHandler, refusal_response
from handlers.book import BookHandler, BookingHandler
from handlers.events import EventStreamHandler
from handlers.holds import ConfirmHandler, HoldHandler, HoldSeatHandler, HoldSeatsHandler, HoldsHandler
from handlers.metrics import MetricsHandler
from handlers.openapi import OpenApiHandler, load_openapi
from handlers.page import AssetHandler, load_assets
from handlers.shows import MAX_SHOW_BYTES, HealthHandler, SeatsHandler, ShowHandler, ShowsHandler

log = logging.getLogger("seats")

REPLAY_LIMIT = 10_000  # events kept per show for streams that resume with Last-Event-ID
LISTEN_BACKLOG = 4096  # the kernel caps it at net.core.somaxconn
SWEEP_SECONDS = 0.1  # how often expired holds are looked for (a decision also expires what is due)
FORGET_SECONDS = 60.0  # how often holds past --late-confirm-seconds are forgotten
SHOW = r"([^/]+)"  # a show id; the handler answers 404 for one that does not exist
FD_HEADROOM = 64  # descriptors kept for the database, logs and listening sockets


def connection_cap(wanted: int) -> int:
    """`--max-connections`, kept below the process's open-file limit: past that,
    accept() fails instead of a clean 503 (the database, the logs and the
    listening socket need descriptors too)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or wanted <= soft - FD_HEADROOM:
        return wanted
    capped = max(1, soft - FD_HEADROOM)
    log.warning("--max-connections %d is above the open-file limit (%d) minus %d: using %d",
                wanted, soft, FD_HEADROOM, capped)
    return capped


CONNECTION_REFUSAL = refusal_response(503, "too_many_connections",
                                      "too many open connections; retry shortly", retry_after=5)


class ConfigurationError(Exception):
    """The configuration cannot start a server (a bad --layout file, say)."""


def default_show(config: Config) -> Show:
    """The show `main` of a new database: `--layout FILE`, else `--seats/--row-size`."""
    if not config.layout:
        return Show(DEFAULT_SHOW, DEFAULT_SHOW_NAME, None, "EUR", Layout.grid(config.seats, config.row_size))
    try:
        layout = parse_layout(json.loads(Path(config.layout).read_text(encoding="utf-8")))
    except (OSError, ValueError, InvalidRequest) as error:
        raise ConfigurationError(f"--layout {config.layout}: {error}") from error
    return Show(DEFAULT_SHOW, DEFAULT_SHOW_NAME, None, "EUR", layout)


def is_postgres(db: str) -> bool:
    return db.startswith(("postgresql://", "postgres://"))


def open_store(config: Config, known: KnownDatabases) -> Store:
    if is_postgres(config.db):
        store = PostgresStore(config.db, config.lock_timeout)
        if not store.shows():
            show = default_show(config)
            store.add_show(show)  # any process starting at the same time may get there first
            log.info("new database %s: show %r with %d seats", config.db.split("@")[-1], show.id, show.layout.total)
        return store
    if config.db != ":memory:":
        if not Path(config.db).exists():
            if known.remembers(config.db) and not config.init:
                raise ConfigurationError(
                    f"the database {config.db} is missing, though a server here opened it before: restore it, "
                    "or start with --init to begin again with an empty one")
            log.info("creating a new database at %s", config.db)
        Path(config.db).parent.mkdir(parents=True, exist_ok=True)
    store = SqliteStore(config.db)
    if config.db != ":memory:":
        known.remember(config.db)
    if store.migrated_from is not None:
        log.info("migrated %s from schema %d: its venue and bookings are now show %r",
                 config.db, store.migrated_from, DEFAULT_SHOW)
    shows = store.shows()
    if not shows:
        show = default_show(config)
        store.add_show(show)
        log.info("new database %s: show %r with %d seats", config.db, show.id, show.layout.total)
    else:
        log.info("existing database %s: %d show(s) (--seats/--row-size/--layout ignored)", config.db, len(shows))
    return store


class SeatServer:
    """Owns the store, the box office, the timers and the Tornado application."""

    def __init__(self, config: Config, replay_limit: int = REPLAY_LIMIT,
                 clock: Callable[[], float] = time.time, known: KnownDatabases | None = None) -> None:
        self.config = config
        self.store = open_store(config, known or KnownDatabases(default_registry()))
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self.metrics = None if config.metrics_address == "off" else Metrics()

        def committer(on_committed: Callable[[Change], None]) -> GroupCommitter:
            return GroupCommitter(self.store.commit, self._writer, on_committed, self._on_storage_failure,
                                  self.metrics)

        policy = Policy(hold_seconds=config.hold_seconds, max_seats=config.max_per_booking)
        self.box_office = BoxOffice(self.store, committer, policy, config.max_holds_per_client,
                                    config.late_confirm_seconds, replay_limit, clock, self.metrics)
        if self.metrics is not None:
            self._gauges(self.metrics)
        self.rate_limiter = RateLimiter(config.rate_limit, time.monotonic)
        self.access_log = AccessLog(config.log_format)
        self.connections = ConnectionLimits(connection_cap(config.max_connections),
                                            config.max_connections_per_address)
        self.application = make_app(self)
        self._timers: list[PeriodicCallback] = []
        self._http_server: LimitedHTTPServer | None = None
        self._metrics_server: LimitedHTTPServer | None = None

    def _gauges(self, metrics: Metrics) -> None:
        shows = self.box_office.shows
        metrics.gauge("seats_open_streams", "Open event streams, by show.", ("show",),
                      lambda: {(show_id,): sales.hub.subscriber_count for show_id, sales in shows.items()})
        metrics.gauge("seats_open_holds", "Holds open now (not yet confirmed, released or expired), by show.",
                      ("show",), lambda: {(show_id,): len(sales.inventory.holds) for show_id, sales in shows.items()})
        metrics.gauge("seats_show_version", "Each show's last committed version.", ("show",),
                      lambda: {(show_id,): sales.hub.board.version for show_id, sales in shows.items()})
        metrics.gauge("seats_available_seats", "Free seats, by show.", ("show",),
                      lambda: {(show_id,): sales.hub.board.available for show_id, sales in shows.items()})
        # Answered before any handler runs, so not in seats_http_requests_total.
        metrics.gauge("seats_connections_refused_total", "Connections answered 503 too_many_connections and closed "
                      "(past --max-connections or --max-connections-per-address).", (),
                      lambda: {(): sum(server.refused for server in (self._http_server, self._metrics_server)
                                       if server is not None)}, kind="counter")

    def request_finished(self, handler: tornado.web.RequestHandler) -> None:
        """Tornado's `log_function`: the access log line, and the request counted."""
        self.access_log(handler)
        if self.metrics is not None:
            status = handler.get_status()
            outcome = getattr(handler, "outcome", None) or ("ok" if status < 400 else str(status))
            self.metrics.request(handler.request.path, handler.request.method or "", status,
                                 getattr(handler, "decision", None), outcome)

    def stream_closed(self, hub: EventHub, counted: bool, stream: EventStream) -> None:
        """A stream is logged when it ends, with how long it stayed open, and its
        connection no longer counts against the limits."""
        hub.unsubscribe(stream)
        if counted:
            self.connections.release(stream.remote)
        self.access_log.record(200, "GET", stream.path, (time.monotonic() - stream.opened) * 1000, stream.remote)
        if self.metrics is not None:
            self.metrics.request(stream.path, "GET", 200, None, None)
            if stream.cut_off:
                self.metrics.streams_dropped.value += 1

    def _on_storage_failure(self, error: BaseException) -> None:
        if self.metrics is not None:
            self.metrics.storage_failures.value += 1
        log.error("storage failure: %s; refusing changes, reopening the database", error)
        self.box_office.storage_failed(error)

    def start(self) -> None:
        """Listen and start the timers; call with the event loop running."""
        self._http_server = LimitedHTTPServer(
            self.application, xheaders=self.config.behind_proxy, limits=self.connections, refusal=CONNECTION_REFUSAL,
            idle_connection_timeout=self.config.idle_timeout, body_timeout=self.config.body_timeout,
            max_body_size=MAX_SHOW_BYTES + MAX_DISCARDED_BYTES)
        # A burst of thousands of new connections overflows Tornado's default
        # backlog of 128, and a dropped SYN costs the client a 1 s retransmit.
        self._http_server.listen_limited(self.config.port, self.config.host, backlog=LISTEN_BACKLOG,
                                         reuse_port=self.config.reuse_port)
        endpoint = metrics_endpoint(self.config.metrics_address)
        if self.metrics is not None and endpoint is not None:
            # The main port's defences too (Host check, JSON errors, its access
            # log), and its connection limits, shared: a flood of connections to
            # the metrics port cannot take the descriptors the API needs.
            self._metrics_server = LimitedHTTPServer(
                make_metrics_app(self, endpoint[0]), limits=self.connections, refusal=CONNECTION_REFUSAL,
                idle_connection_timeout=self.config.idle_timeout, body_timeout=self.config.body_timeout,
                max_body_size=MAX_DISCARDED_BYTES)
            self._metrics_server.listen_limited(endpoint[1], endpoint[0], backlog=LISTEN_BACKLOG)
        self.start_heartbeat()
        for callback, seconds in ((self.access_log.flush, FLUSH_SECONDS), (self.box_office.sweep, SWEEP_SECONDS),
                                  (self.box_office.forget_old_expired_holds, FORGET_SECONDS)):
            timer = PeriodicCallback(callback, seconds * 1000)
            timer.start()
            self._timers.append(timer)
        # Everything built so far (layouts, seat maps) lives until exit: keep it out
        # of the garbage collector's full passes, which otherwise pause the loop for
        # a time that grows with the venue.
        if self.box_office.follower is not None:
            self.box_office.follower.start()
        gc.freeze()
        log.info("listening on http://%s:%d/", self.config.host, self.config.port)

    def start_heartbeat(self) -> None:
        def ping_every_stream() -> None:
            for sales in self.box_office.shows.values():
                sales.hub.ping()

        timer = PeriodicCallback(ping_every_stream, self.config.heartbeat * 1000)
        timer.start()
        self._timers.append(timer)

    async def shutdown(self) -> None:
        """Stop taking work, end streams cleanly, make every acknowledged decision
        durable, then release the database."""
        self.box_office.closing = True
        if self._http_server is not None:
            self._http_server.stop()
        if self._metrics_server is not None:
            self._metrics_server.stop()
        for sales in self.box_office.shows.values():
            sales.hub.end_all()
        try:
            await asyncio.wait_for(self.box_office.close(), self.config.shutdown_timeout)
        except TimeoutError:
            log.error("commits still pending after %.1fs", self.config.shutdown_timeout)
        if self._http_server is not None:
            try:
                await asyncio.wait_for(self._http_server.close_all_connections(), self.config.shutdown_timeout)
            except TimeoutError:
                log.warning("some connections were still open at exit")
        self.close()

    def close(self) -> None:
        """Release the timers, the writer thread and the database (after `shutdown`, or in tests)."""
        for timer in self._timers:
            timer.stop()
        if self.box_office.follower is not None:
            self.box_office.follower.stop()
        self.access_log.flush()
        self._writer.shutdown(wait=True)
        self.store.close()


def make_metrics_app(server: SeatServer, host: str) -> tornado.web.Application:
    """`/metrics` alone, for `--metrics-address HOST:PORT`."""
    config = server.config
    return tornado.web.Application(
        [(r"/metrics", MetricsHandler, {"metrics": server.metrics})],
        default_handler_class=NotFoundHandler,
        log_function=server.request_finished,
        allowed_origins=config.allowed_origin_set,
        allowed_hosts=config.allowed_host_set,
        loopback_only=host in LOOPBACK_HOSTS,
        admin_token=config.admin_token,
    )


def make_app(server: SeatServer) -> tornado.web.Application:
    """The routes of contract Parts 1 and 2, each handler given its collaborators."""
    config, box_office = server.config, server.box_office
    commands = {"box_office": box_office, "rate_limiter": server.rate_limiter}
    events = {"box_office": box_office, "max_streams": config.max_streams, "max_backlog": config.max_backlog,
              "on_stream_closed": server.stream_closed,
              "events_sent": server.metrics.events_sent if server.metrics is not None else None}
    # /metrics on the main port, unless it has a listener of its own or is off.
    metrics = ([(r"/metrics", MetricsHandler, {"metrics": server.metrics})]
               if server.metrics is not None and not config.metrics_address else [])
    reads = {"box_office": box_office}
    assets = {"assets": load_assets()}
    return tornado.web.Application(
        [
            (r"/", AssetHandler, assets),
            (r"/(?:static|brython)/.+", AssetHandler, assets),
            # Part 1: the default show.
            (r"/seats", SeatsHandler, {**reads, "compact": False}),
            (r"/book", BookHandler, commands),
            (r"/bookings/([^/]+)", BookingHandler, commands),
            (r"/events", EventStreamHandler, {**events, "compact": False}),
            (r"/healthz", HealthHandler, reads),
            (r"/openapi\.json", OpenApiHandler, {"document": load_openapi()}),
            # Part 2: shows, holds and checkout.
            (r"/shows", ShowsHandler, commands),
            (rf"/shows/{SHOW}", ShowHandler, reads),
            (rf"/shows/{SHOW}/seats", SeatsHandler, {**reads, "compact": True}),
            (rf"/shows/{SHOW}/events", EventStreamHandler, {**events, "compact": True}),
            (rf"/shows/{SHOW}/book", BookHandler, commands),
            (rf"/shows/{SHOW}/holds", HoldsHandler, commands),
            (r"/holds/([^/]+)", HoldHandler, commands),
            (r"/holds/([^/]+)/seats", HoldSeatsHandler, commands),
            (r"/holds/([^/]+)/seats/([^/]+)", HoldSeatHandler, commands),
            (r"/holds/([^/]+)/confirm", ConfirmHandler, commands),
            *metrics,
        ],
        default_handler_class=NotFoundHandler,
        log_function=server.request_finished,
        allowed_origins=config.allowed_origin_set,
        allowed_hosts=config.allowed_host_set,
        loopback_only=config.loopback_only,
        admin_token=config.admin_token,
    )
