"""What the server counts, and `GET /metrics` in Prometheus's text format (0.0.4).

Written here rather than with `prometheus_client`: the product's only run-time
dependencies are Tornado, Brython and the PostgreSQL driver, and what it needs
is small: counters and histograms touched on the event loop's one thread (so no
locks, which `prometheus_client` takes on every increment), gauges read when
scraped. A booking's counting costs 1.2 µs here against 4.5 µs with
`prometheus_client` 0.23.1 (docs/operations.md, "Metrics"); `bench/run`
measures the booking throughput with metrics on and off.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

METHODS = frozenset({"GET", "HEAD", "POST", "DELETE", "OPTIONS", "PUT", "PATCH"})
# Paths as routes, so a label never takes a value per show, hold or booking id.
ROUTES = [
    (re.compile(r"/shows/[^/]+/(seats|events|book|holds)"), r"/shows/{show}/\1"),
    (re.compile(r"/shows/[^/]+"), "/shows/{show}"),
    (re.compile(r"/holds/[^/]+/seats/[^/]+"), "/holds/{hold}/seats/{seat}"),
    (re.compile(r"/holds/[^/]+/(seats|confirm)"), r"/holds/{hold}/\1"),
    (re.compile(r"/holds/[^/]+"), "/holds/{hold}"),
    (re.compile(r"/bookings/[^/]+"), "/bookings/{booking}"),
    (re.compile(r"/(static|brython)/.+"), r"/\1/*"),
]
FIXED_ROUTES = frozenset({"/", "/seats", "/book", "/events", "/healthz", "/shows", "/metrics", "/openapi.json"})


def route_of(path: str) -> str:
    """The route a request path belongs to; `other` for paths no route serves."""
    if path in FIXED_ROUTES:
        return path
    for pattern, template in ROUTES:
        match = pattern.fullmatch(path)
        if match is not None:
            return match.expand(template)
    return "other"


class Counters:
    """Counters by label values: `inc(("GET", "200"))`."""

    def __init__(self, name: str, help_text: str, labels: tuple[str, ...]) -> None:
        self.name, self.help, self.labels = name, help_text, labels
        self.values: dict[tuple[str, ...], float] = {}

    def inc(self, labels: tuple[str, ...], amount: float = 1) -> None:
        self.values[labels] = self.values.get(labels, 0) + amount

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} counter"
        for values, count in sorted(self.values.items()):
            yield f"{self.name}{_labels(self.labels, values)} {_number(count)}"


class Counter:
    def __init__(self, name: str, help_text: str) -> None:
        self.name, self.help = name, help_text
        self.value = 0

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} counter"
        yield f"{self.name} {_number(self.value)}"


class Histogram:
    def __init__(self, name: str, help_text: str, buckets: tuple[float, ...]) -> None:
        self.name, self.help, self.buckets = name, help_text, buckets
        self.counts = [0] * (len(buckets) + 1)  # the last one is +Inf
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.sum += value
        self.count += 1

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} histogram"
        cumulative = 0
        for bound, count in zip((*self.buckets, float("inf")), self.counts, strict=True):
            cumulative += count
            yield f'{self.name}_bucket{{le="{_number(bound)}"}} {cumulative}'
        yield f"{self.name}_sum {_number(self.sum)}"
        yield f"{self.name}_count {self.count}"


@dataclass
class Gauge:
    """A value read when scraped, by label values (e.g. per show)."""

    name: str
    help: str
    labels: tuple[str, ...]
    read: Callable[[], dict[tuple[str, ...], float]]
    kind: str = "gauge"  # or "counter": a total kept elsewhere, read when scraped

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} {self.kind}"
        for values, value in sorted(self.read().items()):
            yield f"{self.name}{_labels(self.labels, values)} {_number(value)}"


@dataclass
class Metrics:
    """Every metric of one server process; the shell counts into it."""

    requests: Counters = field(default_factory=lambda: Counters(
        "seats_http_requests_total", "HTTP requests answered, by route, method and status (streams when they end).",
        ("route", "method", "status")))
    decisions: Counters = field(default_factory=lambda: Counters(
        "seats_decisions_total", "Booking and hold decisions, by action and outcome (ok, or the error code).",
        ("action", "outcome")))
    decision_seconds: Histogram = field(default_factory=lambda: Histogram(
        "seats_decision_seconds", "From a request reaching its show to its decision: waiting for the show's lock "
        "(and, on PostgreSQL, its row lock) and deciding; the commit is apart.", LATENCY_BUCKETS))
    commit_seconds: Histogram = field(default_factory=lambda: Histogram(
        "seats_commit_seconds", "Time to make one batch of decisions durable.", LATENCY_BUCKETS))
    commit_batch_records: Histogram = field(default_factory=lambda: Histogram(
        "seats_commit_batch_records", "Records written per durable batch.", BATCH_BUCKETS))
    events_sent: Counter = field(default_factory=lambda: Counter(
        "seats_events_sent_total", "Seat events written to event streams (one per stream per event)."))
    streams_dropped: Counter = field(default_factory=lambda: Counter(
        "seats_streams_dropped_total", "Event streams cut off for falling too far behind (--max-backlog)."))
    expiries: Counters = field(default_factory=lambda: Counters(
        "seats_hold_expiries_total", "Holds that expired, by show.", ("show",)))
    storage_failures: Counter = field(default_factory=lambda: Counter(
        "seats_storage_failures_total", "Commits or transactions that failed in storage."))
    gauges: list[Gauge] = field(default_factory=list)

    def gauge(self, name: str, help_text: str, labels: tuple[str, ...],
              read: Callable[[], dict[tuple[str, ...], float]], kind: str = "gauge") -> None:
        self.gauges.append(Gauge(name, help_text, labels, read, kind))

    def request(self, path: str, method: str, status: int, action: str | None, outcome: str | None) -> None:
        """One answered request; `action` names the decision it asked for, if any."""
        self.requests.inc((route_of(path), method if method in METHODS else "other", str(status)))
        if action is not None and outcome is not None:
            self.decisions.inc((action, outcome))

    def render(self) -> str:
        lines: list[str] = []
        for metric in (self.requests, self.decisions, self.decision_seconds, self.commit_seconds,
                       self.commit_batch_records, self.events_sent, self.streams_dropped, self.expiries,
                       self.storage_failures, *self.gauges):
            lines.extend(metric.render())
        return "\n".join(lines) + "\n"


def _labels(names: tuple[str, ...], values: tuple[str, ...]) -> str:
    if not names:
        return ""
    return "{" + ",".join(f'{name}="{_escape(value)}"' for name, value in zip(names, values, strict=True)) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if value == float("inf"):
        return "+Inf"
    return str(int(value)) if float(value).is_integer() else repr(float(value))
