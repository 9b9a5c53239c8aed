"""Server options: each from a flag, else from `SEATS_<NAME>`, else a default."""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from booking.layout import MAX_SEATS

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8888
    seats: int = 100
    row_size: int = 10
    layout: str = ""
    db: str = "data/seats.db"
    heartbeat: float = 15.0
    max_per_booking: int = 10
    hold_seconds: float = 600.0
    max_holds_per_client: int = 20
    late_confirm_seconds: float = 3600.0
    admin_token: str = ""
    max_streams: int = 10_000
    max_backlog: int = 1_048_576
    rate_limit: float = 0.0
    shutdown_timeout: float = 5.0
    allowed_origins: str = ""
    allowed_hosts: str = ""
    max_connections: int = 15_000
    max_connections_per_address: int = 15_000
    idle_timeout: float = 60.0
    body_timeout: float = 30.0
    init: bool = False
    workers: int = 1
    reuse_port: bool = False
    behind_proxy: bool = False
    lock_timeout: float = 3.0
    metrics_address: str = ""
    log_format: str = "text"

    @property
    def allowed_origin_set(self) -> frozenset[str]:
        return frozenset(o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip())

    @property
    def allowed_host_set(self) -> frozenset[str]:
        return frozenset(h.strip().strip("[]").lower() for h in self.allowed_hosts.split(",") if h.strip())

    @property
    def loopback_only(self) -> bool:
        """Listening on a loopback address: only loopback names are expected in `Host`."""
        return self.host in LOOPBACK_HOSTS


HELP = {
    "host": "address to listen on",
    "port": "TCP port",
    "seats": "seats of the default show 'main' in a new database (rows A, B, ...; at most 100000)",
    "row_size": "seats per row of the default show in a new database",
    "layout": "a JSON file with the default show's layout ({\"sections\": [...]}); replaces --seats/--row-size",
    "db": "SQLite file, or :memory: for tests and demos",
    "heartbeat": "seconds between ': ping' comments on event streams",
    "max_per_booking": "most seats one booking or one basket may take",
    "hold_seconds": "seconds a hold lasts, counted from its creation",
    "max_holds_per_client": "open holds one client address may have at once (this process)",
    "late_confirm_seconds": "how long after its expiry a hold may still be confirmed if its seats are free",
    "admin_token": "bearer token for admin calls (POST /shows); empty turns them off",
    "max_streams": "most open /events streams; one more gets 503",
    "max_backlog": "bytes a stream may have unsent before it is dropped",
    "rate_limit": "bookings per second per client address (0 = no limit)",
    "shutdown_timeout": "seconds to finish streams and commits on SIGTERM",
    "allowed_origins": "comma-separated origins of other sites' pages allowed to call the API (CORS)",
    "allowed_hosts": "comma-separated host names accepted in Host (default: any; loopback names only "
                     "when listening on a loopback address)",
    "max_connections": "open connections at most (event streams included); one more is answered 503 and closed",
    "max_connections_per_address": "open connections at most from one client address (behind a proxy, every "
                                   "client shares the proxy's address)",
    "idle_timeout": "seconds an idle keep-alive connection (or one not sending its headers) is kept",
    "body_timeout": "seconds a client may take to send a request body",
    "init": "create the database even if a server here opened it before and it is now missing",
    "workers": "server processes sharing the port (SO_REUSEPORT); more than 1 needs --db postgresql://...",
    "reuse_port": "bind the port with SO_REUSEPORT, so several servers share it (set by --workers)",
    "behind_proxy": "take each client's address from X-Real-IP / X-Forwarded-For (for holds per client, rate "
                    "limits and logs); only behind a proxy that sets them, since clients could forge them",
    "lock_timeout": "PostgreSQL: seconds a decision waits for a show another process is deciding for, before a 503",
    "metrics_address": "where GET /metrics answers: empty for the main port, HOST:PORT for a listener of its own "
                       "(with --workers, worker i takes PORT+i), 'off' to count nothing",
    "log_format": "access log lines as 'text' or 'json'",
}

BOOLEANS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}

POSITIVE = {"port", "seats", "row_size", "max_per_booking", "max_streams", "max_backlog", "heartbeat", "hold_seconds",
            "max_holds_per_client", "max_connections", "max_connections_per_address", "idle_timeout",
            "body_timeout", "workers", "lock_timeout"}


def parse_config(argv: Sequence[str], environ: Mapping[str, str] = os.environ) -> Config:
    """A flag beats its environment variable, which beats the default."""
    parser = argparse.ArgumentParser(prog="server.py", description="Real-time seat reservation server")
    for name, field in Config.__dataclass_fields__.items():
        env_name = f"SEATS_{name.upper()}"
        kind = type(field.default)
        raw = environ.get(env_name)
        if kind is bool:
            if raw is not None and raw.strip().lower() not in BOOLEANS:
                parser.error(f"{env_name}={raw!r} is not one of {', '.join(sorted(BOOLEANS))}")
            value = BOOLEANS[raw.strip().lower()] if raw is not None else field.default
            parser.add_argument(f"--{name.replace('_', '-')}", action=argparse.BooleanOptionalAction, default=value,
                                help=f"{HELP[name]} (env {env_name}, default %(default)s)")
            continue
        try:
            value = kind(raw) if raw is not None else field.default
        except ValueError:
            parser.error(f"{env_name}={raw!r} is not a valid {kind.__name__}")
        choices = ("text", "json") if name == "log_format" else None
        if choices and value not in choices:  # argparse checks flags against choices, not defaults
            parser.error(f"{env_name}={raw!r} is not one of {', '.join(choices)}")
        parser.add_argument(f"--{name.replace('_', '-')}", type=kind, default=value, choices=choices,
                            help=f"{HELP[name]} (env {env_name}, default %(default)s)")
    args = parser.parse_args(argv)
    for name, value in vars(args).items():
        if isinstance(value, float) and not math.isfinite(value):
            parser.error(f"--{name.replace('_', '-')} must be a finite number")
    for name in POSITIVE:
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    if args.workers > 1 and not args.db.startswith(("postgresql://", "postgres://")):
        parser.error("--workers needs --db postgresql://...: SQLite is for one process")
    if args.metrics_address not in ("", "off"):
        endpoint = metrics_endpoint(args.metrics_address)
        if endpoint is None:
            parser.error(f"--metrics-address {args.metrics_address!r} must be HOST:PORT ([ADDRESS]:PORT for IPv6), "
                         "empty or 'off'")
        ports = range(endpoint[1], endpoint[1] + args.workers)  # worker i listens on PORT+i
        if ports[-1] > 65535:
            parser.error(f"--metrics-address: with --workers {args.workers}, PORT+{args.workers - 1} is past 65535")
        if args.port in ports:
            parser.error(f"--metrics-address: port {args.port} is the main port (--port)")
    elif args.metrics_address == "" and args.workers > 1:
        # Through one shared port a scrape reaches a worker at random, and counters
        # that jump between processes' totals look like resets to Prometheus.
        parser.error("--workers: each process counts its own metrics, so give --metrics-address HOST:PORT "
                     "(worker i listens on PORT+i) or --metrics-address off")
    if args.seats > MAX_SEATS:
        parser.error(f"--seats must be at most {MAX_SEATS} (a show's limit)")
    for name in ("rate_limit", "shutdown_timeout", "late_confirm_seconds"):
        if getattr(args, name) < 0:
            parser.error(f"--{name.replace('_', '-')} must not be negative")
    return Config(**vars(args))


def metrics_endpoint(address: str) -> tuple[str, int] | None:
    """(host, port) of `--metrics-address HOST:PORT`, or None if it is not one."""
    host, _, port = address.rpartition(":")
    if not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
        return None
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        if not host:
            return None
    elif not host or ":" in host or "[" in host or "]" in host:
        return None  # an IPv6 address goes in brackets
    if any(c.isspace() for c in host):
        return None
    return host, int(port)
