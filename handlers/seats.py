"""Read-only views: the seat snapshot and the health check."""

from __future__ import annotations

import json

from app.event_hub import EventHub
from handlers.base import BaseHandler


class SeatsHandler(BaseHandler):
    def initialize(self, hub: EventHub) -> None:
        self.hub = hub

    def get(self) -> None:
        self.write_json(self.hub.board.snapshot_json())


class HealthHandler(BaseHandler):
    def initialize(self, hub: EventHub) -> None:
        self.hub = hub

    def get(self) -> None:
        body = {"status": "ok", "version": self.hub.board.version, "subscribers": self.hub.subscriber_count}
        self.write_json(json.dumps(body))
