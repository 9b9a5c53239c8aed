"""`GET /metrics`: Prometheus's text format, on the main port or on its own
(`--metrics-address`)."""

from __future__ import annotations

from app.metrics import CONTENT_TYPE, Metrics
from handlers.base import BaseHandler


class MetricsHandler(BaseHandler):
    def initialize(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def compute_etag(self) -> None:
        return None  # never the same twice: hashing it would be wasted

    def get(self) -> None:
        self.set_header("Content-Type", CONTENT_TYPE)
        self.set_header("Cache-Control", "no-store")
        self.finish(self.metrics.render())
