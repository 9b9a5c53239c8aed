"""`GET /openapi.json`: the OpenAPI 3.1 description of the whole interface.

The document is one static file, `openapi/openapi.json`, written by hand next to
the contract it describes; `tests/http/test_openapi.py` keeps its paths equal to
the routes of `make_app`, and `tests/http/test_fuzzing.py` fuzzes a real server
from it. It is read once and served as it is, with an ETag, gzipped for
clients that take it (about a ninth of its size).
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from app.stream_gzip import accepts_gzip
from handlers.base import BaseHandler

OPENAPI_PATH = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"
# It changes only with a new release of the server: let clients and proxies keep
# it a while, and revalidate with the ETag after that.
CACHE_CONTROL = "public, max-age=300"


@dataclass(frozen=True)
class Document:
    body: bytes
    gzipped: bytes
    etag: str


@cache
def load_openapi(path: Path = OPENAPI_PATH) -> Document:
    """Read and gzipped once per process, however many applications are built."""
    body = path.read_bytes()
    return Document(body, gzip.compress(body, 9, mtime=0), '"' + hashlib.sha256(body).hexdigest()[:20] + '"')


class OpenApiHandler(BaseHandler):
    def initialize(self, document: Document) -> None:
        self.document = document

    def head(self) -> None:
        self.get()

    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", CACHE_CONTROL)
        self.set_header("ETag", self.document.etag)
        self.set_header("Vary", "Accept-Encoding")
        if self.check_etag_header():
            self.set_status(304)
            return
        if accepts_gzip(self.request.headers.get("Accept-Encoding")):
            self.set_header("Content-Encoding", "gzip")
            self.finish(self.document.gzipped)
        else:
            self.finish(self.document.body)
