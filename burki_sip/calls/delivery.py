"""What a stream consumer is told (``ConsumerSettings``) and is handed (``Delivery``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .events import MAX_BLOCK_MS, block_ms


@dataclass(frozen=True)
class ConsumerSettings:
    """Which stream and group, and how failures are retried and dead-lettered.

    Args:
        kind: ``"webhook"`` or ``"status"``.
        group: the consumer group, created when absent.
        consumer: this consumer's name; a restart under the same name re-processes its pending.
        from_start: a new group reads the whole stream (``0``), else only new entries (``$``).
        max_deliveries: after this many failed deliveries an entry is dead-lettered.
        retry_delay: seconds before a failed entry is delivered again (to this consumer).
        claim_idle: seconds an entry may stay unacknowledged before another consumer takes it.
        batch: entries read at once.
        block_ms: how long a read waits for new entries (below the socket timeout).
        dead_maxlen: approximate cap on the dead-letter stream.
        dead_retention: seconds dead-lettered entries are kept (``None``: by length only);
            trimmed every ``claim_idle / 2`` with the takeover round.
    """

    kind: str
    group: str
    consumer: str
    from_start: bool = False
    max_deliveries: int = 5
    retry_delay: float = 2.0
    claim_idle: float = 60.0
    batch: int = 10
    block_ms: int = MAX_BLOCK_MS
    dead_maxlen: int = 100_000
    dead_retention: int | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any], kind: str, group: str, consumer: str,
                    **options: Any) -> "ConsumerSettings":
        """The settings the service's configuration implies (``config.load()``): reads shorter
        than the socket timeout, the dead-letter cap and retention; then ``options``."""
        implied = {"dead_maxlen": config["SIP_EVENTS_MAXLEN"],
                   "dead_retention": config["SIP_EVENTS_RETENTION"],
                   "block_ms": block_ms(config["REDIS_SOCKET_TIMEOUT"])}
        return cls(kind, group, consumer, **{**implied, **options})


@dataclass(frozen=True)
class Delivery:
    """One entry handed to this consumer: its fields and how often it was delivered so far."""

    entry_id: str
    fields: dict
    deliveries: int
