"""What a stream consumer is told (``ConsumerSettings``) and is handed (``Delivery``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .events import MAX_BLOCK_MS, block_ms


@dataclass(frozen=True)
class ConsumerSettings:
    """Which stream and group, and how failures are retried and dead-lettered (docs/events.md)."""

    kind: str  # "webhook" or "status"
    group: str  # the consumer group, created when absent
    consumer: str  # this consumer's name: a restart under it runs its pending entries again
    from_start: bool = False  # a new group reads the whole stream (0), else only new entries ($)
    max_deliveries: int = 5  # failed deliveries, then the entry is dead-lettered
    retry_delay: float = 2.0  # seconds before a failed entry is delivered again (to this consumer)
    claim_idle: float = 60.0  # seconds unacknowledged before another consumer takes an entry
    batch: int = 10  # entries read at once
    block_ms: int = MAX_BLOCK_MS  # how long a read waits for new entries (below the socket timeout)
    dead_maxlen: int = 100_000  # approximate cap on the dead-letter stream
    # Seconds dead-lettered entries are kept (None: by length only); trimmed every claim_idle / 2.
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
