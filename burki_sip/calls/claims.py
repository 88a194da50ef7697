"""Claims: which media stream holds a call's context; shared by the sync and asyncio stores.

A claim is atomic in Redis (``claim.lua``, ``release.lua``) and lives in the call's status hash,
so it shows in the call's timeline. The rules are in docs/lifecycle.md ("Claims").
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import ClassVar

from .clock import epoch_ms
from .keys import Keys
from .scripts import ScriptCall

CLAIMED, ALREADY_CLAIMED, MISSING = "claimed", "already_claimed", "missing"
# Fields of the status hash (see claim.lua); the timeline shows the *_at ones.
TOKEN_FIELD, OWNER_FIELD = "claim_token", "claimed_by"
# Written with a new claim: how long it waited for the context, and when that context was made.
WAITED_FIELD, PREWARMED_FIELD = "claim_waited_ms", "prewarmed_at"
TIMELINE_EVENTS = ("claimed", "released")
OWNER_MAX = 128
# The most a claim over HTTP may wait for its context: it holds a request (a greenlet) that long.
WAIT_MAX = 10.0


@dataclass(frozen=True)
class Claim:
    """The outcome of ``claim``: one of ``CLAIMED``, ``ALREADY_CLAIMED`` or ``MISSING``.

    ``claimed``: ``context`` and ``token`` (for ``release``), ``owner`` and ``claimed_at`` of the
    claim. ``already_claimed``: only ``owner`` and ``claimed_at``, of the claim that holds it.
    ``missing``: the call was never prewarmed, or its context expired (after ``wait`` seconds,
    when the claim waited). ``waited``: seconds the claim waited for the context to arrive (0.0
    when it was there at once); for ``missing`` after a wait, the whole wait.
    """

    outcome: str
    call_sid: str
    context: dict | None = None
    token: str | None = None
    owner: str | None = None
    claimed_at: str | None = None
    waited: float = 0.0

    @property
    def claimed(self) -> bool:
        """True when this caller holds the claim (and has the context)."""
        return self.outcome == CLAIMED

    @property
    def already_claimed(self) -> bool:
        """True when another owner holds the claim."""
        return self.outcome == ALREADY_CLAIMED

    @property
    def missing(self) -> bool:
        """True when there is no context to claim."""
        return self.outcome == MISSING


def handoff(state: dict) -> str | None:
    """How the latest claim met its context, from the status hash: ``context arrived N ms after
    the stream asked`` (it waited) or ``ready N ms before the stream asked`` (prewarm to claim,
    two machines' clocks); ``None`` for a claim made without these facts (an older process)."""
    waited = state.get(WAITED_FIELD)
    if waited is None:
        return None
    if int(waited) > 0:
        return f"context arrived {int(waited)} ms after the stream asked"
    prewarmed, claimed = epoch_ms(state.get(PREWARMED_FIELD)), epoch_ms(state.get("claimed_at"))
    if prewarmed is None or claimed is None:
        return None
    return f"ready {max(claimed - prewarmed, 0)} ms before the stream asked"


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

    @property
    def waited_ms(self) -> int:
        """``waited`` in whole milliseconds, as the status hash keeps it."""
        return round(self.waited * 1000)

    @classmethod
    def build(cls, keys: Keys, call_sid: str, owner: str | None, now: str,
              idle_ttl: int) -> "ClaimScript":
        """The claim of ``call_sid`` by ``owner`` (``None``: an owner of this claim alone)."""
        owner = check_owner(owner) if owner is not None else f"anonymous-{secrets.token_hex(6)}"
        return cls(call_sid, keys.context(call_sid), keys.status(call_sid), owner,
                   secrets.token_urlsafe(12), now, idle_ttl)

    def result(self, reply: list) -> Claim:
        """The ``Claim`` a reply of ``claim.lua`` tells."""
        outcome, waited = reply[0], self.waited
        if outcome == MISSING:
            return Claim(MISSING, self.call_sid, waited=waited)
        context, token, owner, claimed_at = reply[1:5]
        if outcome == ALREADY_CLAIMED:
            return Claim(ALREADY_CLAIMED, self.call_sid, owner=owner, claimed_at=claimed_at,
                         waited=waited)
        return Claim(CLAIMED, self.call_sid, json.loads(context), token, owner, claimed_at,
                     waited)


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
        """Whether the claim was released."""
        return bool(reply)
