"""Idempotent replies: the answer once given to an `Idempotency-Key`, kept so a
repeat gets it again.

A key belongs to the method and path it was first sent to (its *scope*). Recent
replies live in memory, each with the future of the commit that makes it
durable, so a repeat that arrives while the first is still being decided or
written waits for the same answer. Older ones are read back from the store.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
from collections import OrderedDict
from dataclasses import dataclass

from app.contract_json import Reply
from app.store import Store, StoredReply
from booking.errors import WrongToken


class IdempotencyConflict(Exception):
    """The key was used before, on this method and path, with a different body."""


@dataclass
class KeyedReply:
    fingerprint: str
    reply: Reply
    durable: asyncio.Future[None]
    owner: str = ""

    async def again(self, fingerprint: str, owner: str = "") -> Reply:
        """The original answer, once it is durable: only to the same bearer token
        (403 otherwise), and only for the same body (422 otherwise)."""
        if not hmac.compare_digest(owner, self.owner):
            raise WrongToken("this Idempotency-Key was first used with another token")
        if fingerprint != self.fingerprint:
            raise IdempotencyConflict()
        await self.durable
        return dataclasses.replace(self.reply, replayed=True)


class KeyedReplies:
    def __init__(self, store: Store, remembered: int = 100_000) -> None:
        self._store = store
        self._remembered = remembered
        self._recent: OrderedDict[tuple[str, str], KeyedReply] = OrderedDict()

    def recent(self, scope: str, key: str) -> KeyedReply | None:
        """The reply this process gave to this key lately, if any. One whose
        commit failed was never given: the request is decided afresh."""
        entry = self._recent.get((scope, key))
        if entry is not None and not (entry.durable.done() and entry.durable.exception() is not None):
            return entry
        return None

    def earlier(self, scope: str, key: str) -> KeyedReply | None:
        """The reply given to this key in this scope, if any, from memory or the store."""
        entry = self.recent(scope, key)
        if entry is not None:
            return entry
        stored = self._store.find_reply(scope, key)
        if stored is None:
            return None
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return KeyedReply(stored.fingerprint, Reply(stored.status, stored.body), done, stored.owner)

    def remember(self, record: StoredReply, reply: Reply, durable: asyncio.Future[None]) -> None:
        """Keep a fresh reply (`record` is committed with the decision that made it)."""
        scope, key = record.scope, record.key
        self._recent[(scope, key)] = KeyedReply(record.fingerprint, reply, durable, record.owner)
        self._recent.move_to_end((scope, key))
        # Oldest first: those are durable first, and only durable ones may be
        # forgotten (the store answers for them from then on).
        while len(self._recent) > self._remembered:
            oldest = next(iter(self._recent.values()))
            if not oldest.durable.done():
                break
            self._recent.popitem(last=False)

    def forget_all(self) -> None:
        """After a failed commit: what memory holds may never have reached the disk."""
        self._recent.clear()
