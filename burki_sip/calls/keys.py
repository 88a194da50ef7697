"""Every Redis key name the service uses (``Keys``), and how long each kind lives (``Lifetimes``).

The call_sid sits in braces: a Redis Cluster hash tag, so every key of one call lives in one slot.
See the README ("Inspecting with redis-cli") for the same names as operators type them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

DEFAULT_PREFIX = "burki:sip"

EVENT_KINDS = ("webhook", "status")


class Keys:
    """Builds the key names under one prefix (``REDIS_KEY_PREFIX``); the README's table says
    what each holds."""

    def __init__(self, prefix: str = DEFAULT_PREFIX) -> None:
        self.prefix = prefix

    def every(self) -> str:
        """A ``SCAN MATCH`` pattern of every key under the prefix (its glob characters escaped)."""
        return re.sub(r"([*?\[\]\\])", r"\\\1", self.prefix) + ":*"

    def call_sid_of(self, key: str) -> str | None:
        """The call ``key`` belongs to (it starts with ``call``'s stem), else ``None``."""
        stem = f"{self.prefix}:call:{{"
        if not key.startswith(stem):
            return None
        call_sid, brace, _ = key[len(stem):].partition("}")
        return call_sid if brace else None

    def call(self, call_sid: str) -> str:
        return f"{self.prefix}:call:{{{call_sid}}}"

    def context(self, call_sid: str) -> str:
        return f"{self.call(call_sid)}:context"

    def status(self, call_sid: str) -> str:
        return f"{self.call(call_sid)}:status"

    def prewarmed(self, call_sid: str) -> str:
        """The shard channel a prewarm is announced on (``SPUBLISH``), for waiting claims."""
        return f"{self.call(call_sid)}:prewarmed"

    def call_events(self, call_sid: str) -> str:
        """List of the call's stream entries, ``<kind>:<entry id>``, oldest first (the newest
        ``recording.EVENT_REFS_KEPT``): record.lua appends it with each entry (docs/events.md)."""
        return f"{self.call(call_sid)}:events"

    def delivery(self, kind: str, delivery_id: str, call_sid: str | None = None) -> str:
        """Marker of one delivery (``webhook-id``/``Idempotency-Key``), kept to drop its retries;
        in the call's slot when the payload names a call."""
        if call_sid:
            return f"{self.call(call_sid)}:delivery:{kind}:{delivery_id}"
        return f"{self.prefix}:delivery:{kind}:{{{delivery_id}}}"

    def health(self) -> str:
        """Written (with a TTL) by ``/readyz`` to prove that Redis accepts writes, not only PING."""
        return f"{self.prefix}:health:readyz"

    def erasure(self, erasure_id: str) -> str:
        return f"{self.prefix}:erasure:{{{erasure_id}}}"

    def events(self, kind: str) -> str:
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown event stream {kind!r}")
        return f"{self.prefix}:events:{kind}"

    def dead_letters(self, kind: str) -> str:
        return f"{self.events(kind)}:dead"


@dataclass(frozen=True)
class Lifetimes:
    """How long each kind of key lives, in seconds (see the settings of the same names)."""

    prewarm_ttl: int = 300
    dedupe_ttl: int = 72 * 3600
    idle_ttl: int = 6 * 3600
    retention: int = 86400

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Lifetimes":
        """The lifetimes the ``SIP_*_TTL`` and ``SIP_CALL_*`` settings give."""
        return cls(config["SIP_PREWARM_TTL"], config["SIP_DEDUPE_TTL"],
                   config["SIP_CALL_IDLE_TTL"], config["SIP_CALL_RETENTION"])
