"""`POST /book` and `DELETE /bookings/{id}`."""

from __future__ import annotations

import tornado.web

from app.committer import StorageFailed
from app.rate_limit import RateLimiter, retry_after_header
from app.reservations import IdempotencyConflict, ReservationService, ShuttingDown
from booking.errors import InvalidRequest, UnknownBooking, WrongToken
from booking.idempotency import validate_key
from booking.requests import decode_json_body
from handlers.base import ApiError, BaseHandler

MAX_BODY_BYTES = 16 * 1024
# Bodies up to this size are read (and thrown away) so the client gets a clean
# 413 instead of a reset; only a declared length beyond it is cut off at once.
MAX_DISCARDED_BYTES = 64 * 1024 * 1024
# An empty body means `{}`. Besides "no Content-Type" (a bare browser fetch), some
# HTTP clients (Tornado's among them) label every bodiless POST as a form; an
# empty form carries nothing to misread, and a cross-site form is refused by the
# Origin check before this point.
BODYLESS_TYPES = {"", "application/json", "application/x-www-form-urlencoded"}


class JsonCommandHandler(BaseHandler):
    """Reads at most MAX_BODY_BYTES of a JSON body; refuses other content types."""

    def initialize(self, service: ReservationService) -> None:
        self.service = service

    def prepare(self) -> None:
        self.check_same_origin()
        self._chunks: list[bytes] = []
        self._size = 0
        declared = self.request.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_DISCARDED_BYTES:
            raise ApiError(413, f"body must be at most {MAX_BODY_BYTES} bytes")
        self.request.connection.set_max_body_size(MAX_DISCARDED_BYTES)

    def data_received(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size <= MAX_BODY_BYTES:
            self._chunks.append(chunk)

    def json_body(self) -> object:
        if self._size > MAX_BODY_BYTES:
            raise ApiError(413, f"body must be at most {MAX_BODY_BYTES} bytes")
        raw = b"".join(self._chunks)
        content_type = self.request.headers.get("Content-Type")
        media_type = (content_type or "").split(";", 1)[0].strip().lower()
        if not raw and media_type in BODYLESS_TYPES:
            return {}
        if content_type is None:
            raise ApiError(415, "send the body as application/json")
        if media_type != "application/json":
            raise ApiError(415, f"content type {content_type[:100]!r} is not accepted; use application/json")
        try:
            return decode_json_body(raw)
        except InvalidRequest as error:
            raise ApiError(400, str(error)) from error

    def on_service_error(self, error: Exception) -> None:
        if isinstance(error, ShuttingDown):
            raise ApiError(503, "server is shutting down; try again shortly", headers={"Retry-After": "1"})
        if isinstance(error, StorageFailed):
            raise ApiError(500, "the booking could not be saved; nothing was booked", "storage_failed")
        raise error


@tornado.web.stream_request_body
class BookHandler(JsonCommandHandler):
    def initialize(self, service: ReservationService, rate_limiter: RateLimiter) -> None:
        super().initialize(service)
        self.rate_limiter = rate_limiter

    def prepare(self) -> None:
        wait = self.rate_limiter.retry_after(self.request.remote_ip or "")
        if wait:
            raise ApiError(429, "too many bookings from this address; slow down",
                           headers={"Retry-After": retry_after_header(wait)})
        super().prepare()

    async def post(self) -> None:
        body = self.json_body()
        key = self.request.headers.get("Idempotency-Key")
        try:
            if key is not None:
                validate_key(key)
            reply = await self.service.book(body, key)
        except InvalidRequest as error:
            raise ApiError(400, str(error)) from error
        except IdempotencyConflict as error:
            raise ApiError(422, "this Idempotency-Key was used with a different body") from error
        except (ShuttingDown, StorageFailed) as error:
            self.on_service_error(error)
        self.write_json(reply.body, reply.status)


@tornado.web.stream_request_body
class BookingHandler(JsonCommandHandler):
    async def delete(self, booking_id: str) -> None:
        self.json_body()  # a body is not needed, but one that is not JSON is refused
        token = self._bearer_token()
        try:
            reply = await self.service.cancel(booking_id, token)
        except UnknownBooking as error:
            raise ApiError(404, str(error)) from error
        except WrongToken as error:
            raise ApiError(403, str(error)) from error
        except (ShuttingDown, StorageFailed) as error:
            self.on_service_error(error)
        self.write_json(reply.body, reply.status)

    def _bearer_token(self) -> str:
        scheme, _, token = self.request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "send Authorization: Bearer <token> from the booking",
                           headers={"WWW-Authenticate": 'Bearer realm="seats"'})
        return token.strip()

