"""Claims: which media stream holds a call's context (``claim.lua``, ``release.lua``, kept in
the call's status hash), and a claim that waits for it. Rules: docs/lifecycle.md ("Claims")."""

from __future__ import annotations

import json
import random
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, ClassVar

from redis.exceptions import (ClusterDownError, ConnectionError, ReadOnlyError, RedisError,
                              TimeoutError)

from .clock import utc_now
from .drivers import NotAcknowledgedError, Work
from .keys import Keys
from .scripts import ScriptCall

CLAIMED, ALREADY_CLAIMED, MISSING = "claimed", "already_claimed", "missing"
# Fields of the status hash (see claim.lua): the claim, and how long it waited for the context.
TOKEN_FIELD, OWNER_FIELD, WAITED_FIELD = "claim_token", "claimed_by", "claim_waited_ms"
OWNER_MAX = 128
# The most a claim over HTTP may wait for its context: it holds a request (a greenlet) that long.
WAIT_MAX = 10.0
# Seconds a waiting claim sleeps at most before it looks again, woken or not: an announcement it
# missed (its subscriber reconnecting, a Cluster slot moving, a prewarm by an older process that
# does not announce) then costs a second, not the whole wait. Each sleep is a random 50-100 % of
# it, so that claims that started together (a burst of streams) do not all look at once.
RECHECK_S = 1.0
# A waiting claim takes these for "not yet" and waits on until its deadline: a Sentinel failover
# (connections refused, then a primary turned replica answers READONLY), a Cluster electing,
# replicas slow to acknowledge (REDIS_ACK_REPLICAS; looking again as the same owner gets the
# same claim, so a claim granted but not yet acknowledged is granted again, acknowledged).
PASSING = (ConnectionError, TimeoutError, ReadOnlyError, ClusterDownError, NotAcknowledgedError)


@dataclass(frozen=True)
class Claim:
    """The outcome of ``claim`` (docs/lifecycle.md, "Claims"). ``waited``: seconds the claim
    waited for the context (0.0 when it was there at once; for ``missing``, the whole wait)."""

    outcome: str
    call_sid: str
    context: dict | None = None
    token: str | None = None
    owner: str | None = None
    claimed_at: str | None = None
    waited: float = 0.0

    claimed = property(lambda self: self.outcome == CLAIMED)  # this caller holds the claim
    already_claimed = property(lambda self: self.outcome == ALREADY_CLAIMED)  # another owner does
    missing = property(lambda self: self.outcome == MISSING)  # there is no context to claim


def check_owner(owner: str) -> str:
    """``owner`` if it is 1 to ``OWNER_MAX`` printable characters, else ``ValueError``."""
    if not isinstance(owner, str) or not 0 < len(owner) <= OWNER_MAX or not owner.isprintable():
        raise ValueError(f"owner must be 1 to {OWNER_MAX} printable characters")
    return owner


@dataclass(frozen=True)
class ClaimScript(ScriptCall):
    """One run of ``claim.lua``: its inputs by name, and how its reply reads."""

    SCRIPT: ClassVar[str] = "claim"
    KEYS: ClassVar[tuple[str, ...]] = ("context_key", "status_key")
    ARGS: ClassVar[tuple[str, ...]] = ("owner", "token", "now", "idle_ttl", "waited_ms")

    call_sid: str
    context_key: str
    status_key: str
    owner: str
    token: str
    now: str
    idle_ttl: int
    waited: float = 0.0

    waited_ms = property(lambda self: round(self.waited * 1000))  # as the status hash keeps it

    @classmethod
    def build(cls, keys: Keys, call_sid: str, owner: str | None, now: str,
              idle_ttl: int) -> "ClaimScript":
        """The claim of ``call_sid`` by ``owner`` (``None``: an owner of this claim alone)."""
        owner = check_owner(owner) if owner is not None else f"anonymous-{secrets.token_hex(6)}"
        return cls(call_sid, keys.context(call_sid), keys.status(call_sid), owner,
                   secrets.token_urlsafe(12), now, idle_ttl)

    def result(self, reply: list) -> Claim:
        """The ``Claim`` a reply of ``claim.lua`` tells."""
        if reply[0] == MISSING:
            return Claim(MISSING, self.call_sid, waited=self.waited)
        context, token, owner, claimed_at = reply[1:5]
        if reply[0] == ALREADY_CLAIMED:
            return Claim(ALREADY_CLAIMED, self.call_sid, owner=owner, claimed_at=claimed_at,
                         waited=self.waited)
        return Claim(CLAIMED, self.call_sid, json.loads(context), token, owner, claimed_at,
                     self.waited)


@dataclass(frozen=True)
class ReleaseScript(ScriptCall):
    """One run of ``release.lua``: True when ``token`` held the claim and released it."""

    SCRIPT: ClassVar[str] = "release"
    KEYS: ClassVar[tuple[str, ...]] = ("status_key",)
    ARGS: ClassVar[tuple[str, ...]] = ("token", "now")

    status_key: str
    token: str
    now: str

    def result(self, reply: int) -> bool:
        return bool(reply)


def waiting_claim(script: ClaimScript, listener: Any, channel: str, wait: float,
                  clock: Callable[[], float] = time.monotonic) -> Work[Claim]:
    """Claim now; if the context is missing, wait up to ``wait`` seconds for ``listener`` to
    hear it announced on ``channel`` (``waiters.py``), looking again at least every
    ``RECHECK_S``. A broken connection meanwhile is no error (``PASSING``): the claim waits on,
    and looks again; if its last look failed, one more at the deadline answers or raises (the
    failed look may have granted the claim)."""
    asked = clock()
    claim = yield from script.work()
    if not claim.missing or wait <= 0:
        return claim
    watch = listener.watch(channel)
    try:
        wake = listener.reader(watch.source)
        try:
            if listener.waiters.add(watch):  # the first claim for a channel subscribes it
                yield lambda client: listener.subscribe(watch.channel)
        except RedisError:  # the reader sends it once it is connected again
            listener.waiters.unsent(watch.channel)
        wake.set()
        failed = False
        while (left := asked + wait - clock()) > 0:
            recheck = RECHECK_S * random.uniform(0.5, 1.0)
            yield lambda client: listener.sleep(watch.signal, min(left, recheck))
            attempt = replace(script, now=utc_now(), waited=clock() - asked)
            try:
                claim, failed = (yield from attempt.work()), False
            except PASSING:
                failed = True
                continue
            if not claim.missing:
                return claim
        if failed:
            return (yield from replace(script, now=utc_now(), waited=clock() - asked).work())
        return replace(claim, waited=clock() - asked)
    finally:
        listener.waiters.remove(watch)
