"""The booking page and its assets: `web/` files and Brython from its pip package.

Assets are read once at start-up and kept in memory with a gzipped copy, because
brython.js is 1.4 MB raw and about a fifth of that compressed. The event stream
is not compressed (compressing each event for every subscriber costs more than it
saves), so compression is done here rather than by the application setting.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import brython

from handlers.base import ApiError, BaseHandler

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
BRYTHON_DIR = Path(brython.__file__).resolve().parent / "data"
BRYTHON_FILES = ("brython.js",)
COMPRESSIBLE = {".html", ".css", ".js", ".py", ".json", ".svg", ".txt"}


@dataclass(frozen=True)
class Asset:
    content_type: str
    body: bytes
    gzipped: bytes | None
    etag: str


@cache
def load_assets(web_dir: Path = WEB_DIR) -> dict[str, Asset]:
    """URL path -> Asset for every file the page may ask for. Read and gzipped once
    per process (brython.js at level 9 is most of a server's start-up), however
    many applications are built (the tests build hundreds)."""
    files = {f"/static/{p.relative_to(web_dir).as_posix()}": p for p in web_dir.rglob("*") if p.is_file()}
    files.update({f"/brython/{name}": BRYTHON_DIR / name for name in BRYTHON_FILES})
    return {url: _asset(path) for url, path in files.items() if "__pycache__" not in path.parts}


def _asset(path: Path) -> Asset:
    body = path.read_bytes()
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".py":
        content_type = "text/x-python"
    if content_type.startswith("text/") or content_type == "application/javascript":
        content_type += "; charset=utf-8"
    gzipped = gzip.compress(body, 9, mtime=0) if path.suffix in COMPRESSIBLE else None
    return Asset(content_type, body, gzipped, '"' + hashlib.sha256(body).hexdigest()[:20] + '"')


class AssetHandler(BaseHandler):
    def initialize(self, assets: dict[str, Asset]) -> None:
        self.assets = assets

    def head(self, *args: str) -> None:
        self.get(*args)

    def get(self, *_: str) -> None:
        path = "/static/index.html" if self.request.path == "/" else self.request.path
        asset = self.assets.get(path)
        if asset is None:
            raise ApiError(404, f"no such file: {self.request.path[:200]}")
        self.set_header("Content-Type", asset.content_type)
        self.set_header("ETag", asset.etag)
        self.set_header("Vary", "Accept-Encoding")
        # Versioned URLs (?v=<hash>) never change; everything else revalidates.
        if self.get_query_argument("v", None) == asset.etag.strip('"'):
            self.set_header("Cache-Control", "public, max-age=31536000, immutable")
        else:
            self.set_header("Cache-Control", "no-cache")
        if self.check_etag_header():
            self.set_status(304)
            return
        body = asset.body
        if asset.gzipped is not None and "gzip" in self.request.headers.get("Accept-Encoding", ""):
            self.set_header("Content-Encoding", "gzip")
            body = asset.gzipped
        self.finish(body)
