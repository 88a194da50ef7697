"""How long each kind of key lives: ``Lifetimes``, from the settings of the same names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping


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
