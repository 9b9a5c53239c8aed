"""`python server.py add-show show.json`: create a show on a running server.

The file is the body of `POST /shows` (`id`, `name`, `layout`, optionally
`starts_at` and `currency`); the command sends it with the admin token and an
idempotency key made from the file's content, so running it twice is safe.
Address and token default to the server's own settings (`SEATS_PORT`,
`SEATS_ADMIN_TOKEN`, …), so on the server's machine no flag is needed.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path


def add_show(argv: Sequence[str], environ: Mapping[str, str] = os.environ) -> int:
    host = environ.get("SEATS_HOST", "127.0.0.1")
    port = environ.get("SEATS_PORT", "8888")
    parser = argparse.ArgumentParser(prog="server.py add-show", description="Create a show on a running server.")
    parser.add_argument("file", type=Path, help="JSON: {id, name, layout, starts_at?, currency?}")
    parser.add_argument("--url", default=f"http://{host}:{port}", help="the server (default %(default)s)")
    parser.add_argument("--admin-token", default=environ.get("SEATS_ADMIN_TOKEN", ""),
                        help="the server's --admin-token (env SEATS_ADMIN_TOKEN)")
    args = parser.parse_args(argv)
    if not args.admin_token:
        parser.error("no admin token: pass --admin-token or set SEATS_ADMIN_TOKEN")
    try:
        body = args.file.read_bytes()
        json.loads(body)
    except (OSError, ValueError) as error:
        parser.error(f"{args.file}: {error}")
    request = urllib.request.Request(
        args.url.rstrip("/") + "/shows", data=body, method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {args.admin_token}",
                 "Idempotency-Key": "add-show-" + hashlib.sha256(body).hexdigest()[:32]},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            created = json.loads(response.read())
    except urllib.error.HTTPError as error:
        answer = error.read().decode("utf-8", "replace")
        with contextlib.suppress(ValueError, KeyError, TypeError):
            answer = json.loads(answer)["message"]
        print(f"add-show: {error.code}: {answer}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"add-show: cannot reach {args.url}: {error}", file=sys.stderr)
        return 1
    print(f"created show {created['id']!r} ({created['name']}): {created['total']} seats, "
          f"{args.url.rstrip('/')}/?show={created['id']}")
    return 0
