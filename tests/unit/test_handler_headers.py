"""The default headers every handler starts from, built once a second
(handlers/base.py overrides Tornado's `RequestHandler.clear` for that)."""

from __future__ import annotations

import pytest
import tornado.web
from tornado import httputil

from handlers.base import SECURITY_HEADERS, BaseHandler


class StubConnection:
    def set_close_callback(self, callback: object) -> None:
        pass


def handler_of(cls: type[tornado.web.RequestHandler]) -> tornado.web.RequestHandler:
    request = httputil.HTTPServerRequest(start_line=httputil.RequestStartLine("GET", "/", "HTTP/1.1"),
                                         headers=httputil.HTTPHeaders({"Host": "127.0.0.1"}),
                                         connection=StubConnection())
    return cls(tornado.web.Application(), request)


@pytest.mark.req("security-headers")
def test_clear_leaves_the_handler_as_tornados_own_clear_does_with_security_headers_and_no_server_header():
    # Arrange
    ours, tornados = handler_of(BaseHandler), handler_of(tornado.web.RequestHandler)
    ours.set_header("X-Leftover", "1")
    ours.set_status(404)
    ours.write(b"partial")

    # Act
    ours.clear()
    tornados.clear()

    # Assert
    assert set(vars(ours)) == set(vars(tornados))
    assert (ours._status_code, ours._reason, ours._write_buffer) == (200, "OK", [])
    tornado_defaults = {k: v for k, v in dict(tornados._headers).items() if k != "Server"}
    assert dict(ours._headers) == {**tornado_defaults, **SECURITY_HEADERS}
    assert "Server" not in ours._headers  # no version for an attacker to read


@pytest.mark.req("security-headers")
def test_one_handlers_headers_never_reach_anothers():
    # Arrange
    first, second = handler_of(BaseHandler), handler_of(BaseHandler)

    # Act
    first.set_header("X-Only-Here", "1")
    first.clear_header("X-Frame-Options")

    # Assert
    assert "X-Only-Here" not in second._headers
    assert second._headers["X-Frame-Options"] == "DENY"
