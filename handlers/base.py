"""What every handler shares: security headers and the contract's JSON error shape."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import tornado.web

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self'; "
    "connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "idempotency_key_reused",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(tornado.web.HTTPError):
    """An error answered as `{"error": code, "message": message}`."""

    def __init__(self, status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(status, reason=None, log_message=None)
        self.code = code or ERROR_CODES.get(status, "error")
        self.message = message
        self.headers = headers or {}


def set_security_headers(handler: tornado.web.RequestHandler) -> None:
    handler.set_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    handler.set_header("X-Content-Type-Options", "nosniff")
    handler.set_header("Referrer-Policy", "no-referrer")
    handler.set_header("X-Frame-Options", "DENY")
    handler.set_header("Cross-Origin-Opener-Policy", "same-origin")


class BaseHandler(tornado.web.RequestHandler):
    def set_default_headers(self) -> None:
        set_security_headers(self)

    def write_json(self, body: str, status: int = 200) -> None:
        """Bodies arrive already encoded, so idempotent repeats are byte-identical."""
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(body)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, ApiError):
            code, message = error.code, error.message
            for name, value in error.headers.items():
                self.set_header(name, value)
        else:
            code = ERROR_CODES.get(status_code, "error")
            message = self._reason or HTTPStatus(status_code).phrase
            if status_code >= 500:
                message = "internal server error"
        if status_code == 405:
            self.set_header("Allow", ", ".join(self.implemented_methods()))
        self.write_json(json.dumps({"error": code, "message": message}), status_code)

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


class NotFoundHandler(BaseHandler):
    """Unknown paths get the same JSON error shape as everything else."""

    def prepare(self) -> None:
        raise ApiError(404, f"no such resource: {self.request.path[:200]}")
