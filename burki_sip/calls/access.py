"""What the sync and asyncio stores share, written once: ``CallAccess``. Each method hands its
work (``reads``, ``claims``) to the store's ``_run``: ``CallStore`` runs it and returns the
result, ``AsyncCallStore`` returns the coroutine that runs it on ``redis.asyncio``."""

from __future__ import annotations

import math
from typing import Any, Callable

from . import reads
from .claims import Claim, ClaimScript, ReleaseScript, waiting_claim
from .clock import utc_now
from .drivers import Acks, Work
from .keys import Keys, Lifetimes
from .reads import EventRef


class CallAccess:
    """Reads and claims of one deployment's calls; ``_run`` says how the work is run.

    ``client``: a redis-py client, sync or ``redis.asyncio``, with ``decode_responses=True``;
    ``acks``: how many replicas acknowledge each write (default none). ``on_claim``: a function
    given every ``Claim`` that ``claim`` returns (a handler exports its ``waited`` as a metric).
    """

    on_claim: Callable[[Claim], Any] | None = None
    listener_class: type  # wakes waiting claims: listener.Listener or AsyncListener

    def __init__(self, client: Any, keys: Keys, lifetimes: Lifetimes = Lifetimes(),
                 acks: Acks = Acks()) -> None:
        self.client, self.keys, self.lifetimes, self.acks = client, keys, lifetimes, acks
        self._listener = None

    def _run(self, work: Work) -> Any:
        raise NotImplementedError

    def load_context(self, call_sid: str) -> dict | None:
        """Return a call's context, or ``None`` when it is absent or expired."""
        return self._run(reads.load_context(self.keys, call_sid))

    def inspect_context(self, call_sid: str) -> tuple[dict | None, int, bool]:
        """Return a call's context, its remaining TTL in seconds and whether it is claimed."""
        return self._run(reads.inspect_context(self.keys, call_sid))

    def load_status(self, call_sid: str) -> tuple[dict | None, int]:
        """Return a call's status hash (``None`` when unknown) and its remaining TTL."""
        return self._run(reads.load_status(self.keys, call_sid))

    def call_events(self, call_sid: str) -> list[tuple[EventRef, dict | None]]:
        """The call's stream entries, oldest first, read by id (``None``: trimmed since)."""
        return self._run(self._call_events(call_sid))

    def _call_events(self, call_sid: str) -> Work[list[tuple[EventRef, dict | None]]]:
        refs = yield from reads.event_refs(self.keys, call_sid)
        return (yield from reads.load_events(self.keys, refs))

    def claim(self, call_sid: str, owner: str | None = None, wait: float = 0.0) -> Claim:
        """Claim a call's context for ``owner`` atomically (``claim.lua``; the rules and
        outcomes: docs/lifecycle.md, "Claims"), waiting up to ``wait`` seconds for a context not
        prewarmed yet. Claiming again as the same owner gives the same claim and token; ``None``
        is an owner of this claim alone, so name one whenever ``wait`` is above 0 (only an owner
        can claim again after a lost answer and get the token to release it).

        Raises:
            ValueError: ``wait`` is negative or not a number, or ``owner`` is not valid.
        """
        if not (isinstance(wait, (int, float)) and math.isfinite(wait) and wait >= 0):
            raise ValueError(f"wait must be a number of seconds >= 0, not {wait!r}")
        return self._run(self._observed(self._claiming(call_sid, owner, wait)))

    def release(self, call_sid: str, token: str) -> bool:
        """End the claim ``token`` holds, so the call can be claimed again; False if none held."""
        script = ReleaseScript(self.keys.status(call_sid), token, utc_now())
        return self._run(script.work())

    def claim_context(self, call_sid: str) -> dict | None:
        """The context to the first caller only, else ``None`` (missing or claimed): ``claim``."""
        return self._run(_context_of(self._claiming(call_sid, None)))

    def _claiming(self, call_sid: str, owner: str | None, wait: float = 0.0) -> Work[Claim]:
        script = ClaimScript.build(self.keys, call_sid, owner, utc_now(), self.lifetimes.idle_ttl)
        if not wait:
            return script.work()
        if self._listener is None:
            self._listener = self.listener_class(self.client)
        return waiting_claim(script, self._listener, self.keys.prewarmed(call_sid), wait)

    def _observed(self, claiming: Work[Claim]) -> Work[Claim]:
        claim = yield from claiming
        if self.on_claim is not None:
            self.on_claim(claim)
        return claim


def _context_of(claiming: Work[Claim]) -> Work[dict | None]:
    claim = yield from claiming
    return claim.context if claim.claimed else None
