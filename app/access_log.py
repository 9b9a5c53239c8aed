"""One access log line per request, as text or JSON."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import tornado.web

access_log = logging.getLogger("seats.access")


def access_logger(log_format: str) -> Callable[[tornado.web.RequestHandler], None]:
    def log_request(handler: tornado.web.RequestHandler) -> None:
        status = handler.get_status()
        level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
        if not access_log.isEnabledFor(level):
            return
        request = handler.request
        millis = round(request.request_time() * 1000, 2)
        if log_format == "json":
            access_log.log(level, json.dumps({
                "method": request.method, "path": request.path, "status": status,
                "ms": millis, "remote": request.remote_ip,
            }))
        else:
            access_log.log(level, "%d %s %s %.2fms %s", status, request.method, request.path, millis,
                           request.remote_ip)

    return log_request
