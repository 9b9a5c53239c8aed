"""Shows and their seats: `GET/POST /shows`, `GET /shows/{show}`, the snapshots
(`GET /seats`, `GET /shows/{show}/seats`) and `GET /healthz`."""

from __future__ import annotations

import hashlib
import json

from app import contract_json
from app.box_office import BoxOffice
from app.show_sales import ShuttingDown
from booking.show import DEFAULT_SHOW
from handlers.base import BaseHandler, JsonCommandHandler

# Smaller snapshots are not worth a gzip header.
GZIP_FROM_BYTES = 1024
# A 100,000-seat layout of one-seat rows is about 3 MB of JSON.
MAX_SHOW_BYTES = 8 * 1024 * 1024


class ShowsHandler(JsonCommandHandler):
    max_body_bytes = MAX_SHOW_BYTES
    decides = ("POST", "create_show")

    def head(self) -> None:
        self.get()

    def get(self) -> None:
        entries = [contract_json.show_summary(s.show, s.hub.board.available, s.hub.board.version)
                   for s in self.box_office.shows.values()]
        self.write_json(contract_json.show_list(entries))

    async def post(self) -> None:
        self.check_admin()
        body, key = self.json_body(), self.idempotency_key()
        reply = await self.box_office.create_show(body, key, self.scope)
        self.set_header("Location", f"/shows/{json.loads(reply.body)['id']}")
        self.write_reply(reply)


class ShowHandler(BaseHandler):
    """What never changes about a show: cacheable, with an ETag."""

    def initialize(self, box_office: BoxOffice) -> None:
        self.box_office = box_office

    def head(self, show_id: str) -> None:
        self.get(show_id)

    def get(self, show_id: str) -> None:
        body = contract_json.show_detail(self.box_office.sales(show_id).show).encode()
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "public, max-age=300")
        self.set_header("ETag", '"' + hashlib.sha256(body).hexdigest()[:20] + '"')
        if self.check_etag_header():
            self.set_status(304)
            return
        self.finish(body)


class SeatsHandler(BaseHandler):
    """The committed seats of a show: Part 1's verbose form at `/seats`, the compact
    one at `/shows/{show}/seats`. Gzipped when the client takes it (once per version)."""

    def initialize(self, box_office: BoxOffice, compact: bool) -> None:
        self.box_office = box_office
        self.compact = compact

    def head(self, show_id: str = DEFAULT_SHOW) -> None:
        self.get(show_id)

    def get(self, show_id: str = DEFAULT_SHOW) -> None:
        board = self.box_office.sales(show_id).hub.board
        body = board.snapshot_json(self.compact)
        self.set_header("Vary", "Accept-Encoding")
        if len(body) >= GZIP_FROM_BYTES and "gzip" in self.request.headers.get("Accept-Encoding", ""):
            self.set_header("Content-Encoding", "gzip")
            body = board.snapshot_gzip(self.compact)
        self.write_json(body)


class HealthHandler(BaseHandler):
    def initialize(self, box_office: BoxOffice) -> None:
        self.box_office = box_office

    def get(self) -> None:
        """200 while the server can take bookings; 503 while it cannot (storage
        failed or lost, or shutting down), so a load balancer takes it out."""
        main = self.box_office.shows.get(DEFAULT_SHOW)
        version = main.hub.board.version if main is not None else 0
        refused = self.box_office.refusing()
        status = "ok" if refused is None else "shutting_down" if isinstance(refused, ShuttingDown) else "storage_failed"
        self.write_json(contract_json.health(status, version, self.box_office.streams_open()),
                        200 if refused is None else 503)
