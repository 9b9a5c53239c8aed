"""The databases this machine's servers have opened, so that one deleted under
them is noticed at the next start instead of silently recreated empty.

A server creates its database on first start (the contract's `--seats` lay out
"a new venue"). After an `rm -rf` of the data directory, that would start an
empty venue at version 0 and look healthy. So every database a server opens is
remembered (a small JSON list in a per-user state directory, outside any data
directory), and a remembered one that is missing stops the server unless it is
started with `--init`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path

log = logging.getLogger("seats")

REMEMBERED = 1_000  # most recent databases kept


def default_registry() -> Path:
    """`$SEATS_STATE_DIR/databases.json`, else `$XDG_STATE_HOME/seats/…`, else
    `~/.local/state/seats/databases.json`."""
    if os.environ.get("SEATS_STATE_DIR"):
        return Path(os.environ["SEATS_STATE_DIR"]) / "databases.json"
    state = os.environ.get("XDG_STATE_HOME")
    return (Path(state) if state else Path.home() / ".local" / "state") / "seats" / "databases.json"


class KnownDatabases:
    def __init__(self, registry: Path) -> None:
        self.registry = registry

    def remembers(self, database: str) -> bool:
        return str(Path(database).resolve()) in self._load()

    def remember(self, database: str) -> None:
        """Best effort: a state directory that cannot be written only costs this check."""
        path = str(Path(database).resolve())
        known = [p for p in self._load() if p != path] + [path]
        try:
            self.registry.parent.mkdir(parents=True, exist_ok=True)
            partial = self.registry.with_name(f"{self.registry.name}.{os.getpid()}.tmp")
            partial.write_text(json.dumps(known[-REMEMBERED:]))
            partial.replace(self.registry)
        except OSError as error:
            log.warning("cannot remember %s in %s: %s", path, self.registry, error)

    def _load(self) -> list[str]:
        with contextlib.suppress(OSError, ValueError):
            known = json.loads(self.registry.read_text())
            if isinstance(known, list):
                return [p for p in known if isinstance(p, str)]
        return []
