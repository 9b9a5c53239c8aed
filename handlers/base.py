"""What every handler shares: security headers, the contract's JSON error shape,
the one table that maps service errors to HTTP statuses, and reading JSON bodies."""

from __future__ import annotations

import hmac
import ipaddress
import json
import time
from http import HTTPStatus
from typing import Any

import tornado
import tornado.web
from tornado import httputil
from tornado.escape import url_unescape

from app import contract_json
from app.box_office import BoxOffice
from app.committer import StorageFailed
from app.contract_json import Reply
from app.keyed_replies import IdempotencyConflict
from app.rate_limit import RateLimiter, retry_after_header
from app.shared_sales import Busy, DatabaseUnavailable
from app.show_sales import ShuttingDown, StorageDown, TooManyHolds
from booking.errors import (
    BookingError,
    InvalidRequest,
    SeatNotInHold,
    ShowExists,
    UnknownBooking,
    UnknownHold,
    UnknownShow,
    WrongToken,
)
from booking.idempotency import validate_key
from booking.requests import decode_json_body

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self'; "
    "connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)

# Status -> the contract's `error` code, for errors raised by status alone.
ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "idempotency_key_reused",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

# Service and domain errors -> HTTP status, in one place. Handlers just let them
# propagate; `write_error` answers them. A domain error's code is its own.
SERVICE_ERRORS: dict[type[Exception], int] = {
    InvalidRequest: 400,
    WrongToken: 403,
    UnknownShow: 404,
    UnknownBooking: 404,
    UnknownHold: 404,
    SeatNotInHold: 404,
    ShowExists: 409,
    IdempotencyConflict: 422,
    TooManyHolds: 429,
    StorageFailed: 500,
    ShuttingDown: 503,
    StorageDown: 503,
    Busy: 503,
    DatabaseUnavailable: 503,
}

MAX_BODY_BYTES = 16 * 1024
# Routes that take no body keep none, and refuse a declared one past this.
MAX_READ_ONLY_BODY_BYTES = 1024
# Past its limit a body is read and thrown away (never kept) up to this many
# bytes more, so the client gets a clean 413 instead of a reset; beyond that the
# connection is closed. A declared length past the limit is refused at once.
MAX_DISCARDED_BYTES = 1024 * 1024
CORS_ALLOW_HEADERS = "Content-Type, Authorization, Idempotency-Key"
CORS_MAX_AGE = "600"
# An empty body means `{}`. Besides "no Content-Type" (a bare browser fetch), some
# HTTP clients (Tornado's among them) label every bodiless POST as a form; an
# empty form carries nothing to misread, and a cross-site form is refused by the
# Origin check before this point.
BODYLESS_TYPES = {"", "application/json", "application/x-www-form-urlencoded"}


def refusal_response(status: int, code: str, message: str, retry_after: int) -> bytes:
    """A whole HTTP/1.1 response in the contract's JSON shape, for a connection the
    server answers before Tornado reads its request (and then closes)."""
    body = contract_json.error(code, message).encode()
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body)),
               "Retry-After": str(retry_after), "Connection": "close", "Cache-Control": "no-store",
               **SECURITY_HEADERS}
    head = f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode("latin-1") + b"\r\n" + body


class ApiError(tornado.web.HTTPError):
    """An error answered as `{"error": code, "message": message}`."""

    def __init__(self, status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(status, reason=None, log_message=None)
        self.code = code or ERROR_CODES.get(status, "error")
        self.message = message
        self.headers = headers or {}


def service_error(error: BaseException) -> ApiError | None:
    """The answer to a service or domain error, or None for anything else (a bug: 500)."""
    status = next((SERVICE_ERRORS[cls] for cls in type(error).__mro__ if cls in SERVICE_ERRORS), None)
    if status is None:
        return None
    code = error.code if isinstance(error, BookingError) else ERROR_CODES[status]
    message = str(error)
    headers: dict[str, str] = {}
    if isinstance(error, IdempotencyConflict):
        message = "this Idempotency-Key was used with a different body"
    elif isinstance(error, ShuttingDown):
        message, headers = "server is shutting down; try again shortly", {"Retry-After": "1"}
    elif isinstance(error, StorageFailed):
        message, code = ("the outcome is unknown: storage failed while saving, so the change may or may not "
                         "have been made; retry with the same Idempotency-Key to find out"), "storage_failed"
    elif isinstance(error, Busy):
        message, code, headers = ("another server is deciding for this show; try again shortly", "busy",
                                  {"Retry-After": "1"})
    elif isinstance(error, DatabaseUnavailable):
        message, code = "the database cannot be reached; nothing was changed; try again shortly", "storage_unavailable"
        headers = {"Retry-After": "1"}
    elif isinstance(error, StorageDown):
        message, code = "storage is being reopened after a failure; try again shortly", "storage_unavailable"
        headers = {"Retry-After": "1"}
    elif isinstance(error, TooManyHolds):
        headers = {"Retry-After": retry_after_header(error.retry_after)}
    return ApiError(status, message, code, headers)


SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class DefaultHeaders:
    """Every response's first headers (Tornado's Content-Type and Date, then the
    security headers; no `Server` header, which only tells an attacker the
    version), built once a second: formatting `Date` and checking five constant
    headers on every response cost a few percent of a booking."""

    def __init__(self) -> None:
        self._second = -1
        self._headers: dict[str, str] = {}

    def now(self) -> dict[str, str]:
        """A plain dict: `HTTPHeaders(dict)` is four times cheaper than copying
        an `HTTPHeaders`."""
        second = int(time.time())
        if second != self._second:
            self._second = second
            self._headers = {
                "Content-Type": "text/html; charset=UTF-8",
                "Date": httputil.format_timestamp(second),
                **SECURITY_HEADERS,
            }
        return self._headers


DEFAULT_HEADERS = DefaultHeaders()


@tornado.web.stream_request_body
class BaseHandler(tornado.web.RequestHandler):
    """Every route: the default and CORS headers, the `Host` check, and a body
    limit (`max_body_bytes`; bodies are streamed, so nothing past it is kept)."""

    max_body_bytes = MAX_READ_ONLY_BODY_BYTES
    # (method, decision): the decision a request with that method asks for, named
    # for /metrics (`seats_decisions_total`).
    decides: tuple[str, str] | None = None
    # What came of it: "ok", or the error code answered; set when the body is written.
    outcome: str | None = None

    def clear(self) -> None:
        """Tornado's `RequestHandler.clear` (tornado 6.6, web.py), with the default
        headers copied from `DEFAULT_HEADERS` instead of built per response, and
        the CORS headers an allowed origin needs (errors included).
        `tests/unit/test_handler_headers.py` checks it still matches Tornado's."""
        self._headers = httputil.HTTPHeaders(DEFAULT_HEADERS.now())
        self._write_buffer: list[bytes] = []
        self._status_code = 200
        self._reason = httputil.responses[200]
        origin = self.request.headers.get("Origin")
        if origin is not None and origin in self.settings.get("allowed_origins", ()):
            self._headers["Access-Control-Allow-Origin"] = origin
            self._headers["Access-Control-Expose-Headers"] = "Retry-After, Location, WWW-Authenticate"
            self._headers["Vary"] = "Origin"

    def prepare(self) -> None:
        self.check_host()
        self._chunks: list[bytes] = []
        self._size = 0
        self._body_limit = (self.max_body_bytes if self.request.method in ("POST", "DELETE")
                            else MAX_READ_ONLY_BODY_BYTES)
        declared = self.request.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > self._body_limit:
            raise ApiError(413, f"body must be at most {self._body_limit} bytes")
        self.request.connection.set_max_body_size(self._body_limit + MAX_DISCARDED_BYTES)

    def data_received(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size <= self._body_limit:
            self._chunks.append(chunk)

    def options(self, *_: str) -> None:
        """A CORS preflight: answered for an origin in `--allowed-origins`, refused
        for any other (the browser then sends nothing)."""
        origin = self.request.headers.get("Origin")
        if origin is None or origin not in self.settings.get("allowed_origins", ()):
            raise ApiError(403, f"origin {str(origin)[:100]!r} is not allowed to call this API", "forbidden_origin")
        self.set_status(204)
        self.set_header("Access-Control-Allow-Methods", ", ".join(self.implemented_methods()))
        self.set_header("Access-Control-Allow-Headers", CORS_ALLOW_HEADERS)
        self.set_header("Access-Control-Max-Age", CORS_MAX_AGE)
        self.finish()

    def check_host(self) -> None:
        """DNS rebinding: a page of another site whose domain is made to resolve to
        this server's address sends its own domain in `Host`, and to the browser it
        is then the same origin. With `--allowed-hosts`, only those names are
        answered; without, a server on a loopback address refuses domain names (a
        name with a dot that is not an IP address), which is what rebinding needs,
        and answers IP addresses, `localhost` and other one-label names."""
        allowed = self.settings.get("allowed_hosts", frozenset())
        name = self.request.host_name.strip("[]").lower()
        if allowed:
            refused = name not in allowed
        elif self.settings.get("loopback_only", False):
            refused = "." in name and not _is_ip_address(name)
        else:
            return
        if refused:
            raise ApiError(421, f"this server does not answer for host {name[:100]!r}; see --allowed-hosts",
                           "misdirected_request")

    def write_json(self, body: str | bytes, status: int = 200) -> None:
        """Bodies arrive already encoded, so idempotent repeats are byte-identical."""
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(body)

    def write_reply(self, reply: Reply) -> None:
        if reply.replayed:
            self.outcome = "replayed"  # the first answer again: no new decision
        elif reply.status >= 400:
            # A rejection decided under the show's lock (409).
            self.outcome = json.loads(reply.body).get("error", "error")
        self.write_json(reply.body, reply.status)

    @property
    def decision(self) -> str | None:
        """The decision this request asked for, if any (for /metrics)."""
        if self.decides is None or self.request.method != self.decides[0]:
            return None
        return self.decides[1]

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Service errors are answers, not server faults: no traceback for them."""
        if service_error(value) is None:
            super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if error is not None and not isinstance(error, ApiError):
            error = service_error(error) or error
        if isinstance(error, ApiError):
            status_code, code, message = error.status_code, error.code, error.message
            self.set_status(status_code)
            for name, value in error.headers.items():
                self.set_header(name, value)
        else:
            code = ERROR_CODES.get(status_code, "error")
            message = self._reason or HTTPStatus(status_code).phrase
            if status_code >= 500:
                message = "internal server error"
        if status_code == 405:
            self.set_header("Allow", ", ".join(self.implemented_methods()))
        self.outcome = code
        self.write_json(contract_json.error(code, message), status_code)

    @classmethod
    def implemented_methods(cls) -> list[str]:
        base = tornado.web.RequestHandler
        return [m for m in cls.SUPPORTED_METHODS if getattr(cls, m.lower()) is not getattr(base, m.lower())]

    def check_same_origin(self) -> None:
        """Refuse a state change sent by a page of another site (a browser always sends
        `Origin` on a cross-site POST or DELETE) unless that origin is allowed."""
        origin = self.request.headers.get("Origin")
        if origin is None:
            return
        allowed = self.settings.get("allowed_origins", frozenset())
        own = f"{self.request.protocol}://{self.request.host}"
        if origin != own and origin not in allowed:
            raise ApiError(403, f"requests from origin {origin[:100]!r} are not allowed", "forbidden_origin")

    def bearer_token(self, what: str) -> str:
        scheme, _, token = self.request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, f"send Authorization: Bearer <token> from the {what}",
                           headers={"WWW-Authenticate": 'Bearer realm="seats"'})
        return token.strip()

    def check_admin(self) -> None:
        """`Authorization: Bearer <--admin-token>`; 403 when none is configured."""
        admin_token = self.settings.get("admin_token", "")
        if not admin_token:
            raise ApiError(403, "admin calls are turned off: start the server with --admin-token")
        token = self.bearer_token("server's --admin-token")
        if not hmac.compare_digest(token.encode(), admin_token.encode()):
            raise ApiError(403, "wrong admin token")


class JsonCommandHandler(BaseHandler):
    """A POST or DELETE: same-origin check, at most MAX_BODY_BYTES of JSON (an
    empty body is `{}`), other content types refused, an optional idempotency key.
    Requests that take seats (`rate_limited`) count against `--rate-limit`."""

    rate_limited = False
    max_body_bytes = MAX_BODY_BYTES

    def initialize(self, box_office: BoxOffice, rate_limiter: RateLimiter) -> None:
        self.box_office = box_office
        self.rate_limiter = rate_limiter

    def prepare(self) -> None:
        method = self.request.method
        if method == "OPTIONS":
            return super().prepare()
        # Only a request that could take seats spends a token (a GET is a 405 here).
        if self.rate_limited and method == "POST":
            wait = self.rate_limiter.retry_after(self.request.remote_ip or "")
            if wait:
                raise ApiError(429, "too many bookings from this address; slow down",
                               headers={"Retry-After": retry_after_header(wait)})
        if method in ("POST", "DELETE"):
            self.check_same_origin()
        super().prepare()

    def json_body(self) -> object:
        if self._size > self._body_limit:
            raise ApiError(413, f"body must be at most {self._body_limit} bytes")
        raw = b"".join(self._chunks)
        content_type = self.request.headers.get("Content-Type")
        media_type = (content_type or "").split(";", 1)[0].strip().lower()
        if not raw and media_type in BODYLESS_TYPES:
            return {}
        if content_type is None:
            raise ApiError(415, "send the body as application/json")
        if media_type != "application/json":
            raise ApiError(415, f"content type {content_type[:100]!r} is not accepted; use application/json")
        return decode_json_body(raw)

    def idempotency_key(self) -> str | None:
        key = self.request.headers.get("Idempotency-Key")
        return None if key is None else validate_key(key)

    @property
    def scope(self) -> str:
        """What an idempotency key belongs to: this method and path, decoded (so
        `/shows/%6Aazz/holds` is the same request as `/shows/jazz/holds`)."""
        path = self.request.path
        return f"{self.request.method} {url_unescape(path, plus=False) if '%' in path else path}"


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class NotFoundHandler(BaseHandler):
    """Unknown paths get the same JSON error shape as everything else."""

    def prepare(self) -> None:
        super().prepare()
        raise ApiError(404, f"no such resource: {self.request.path[:200]}")
