"""Writes, and how many replicas must acknowledge them: ``written`` and ``Acks``.

Every store write is driver work whose writing operation is marked ``written(...)``: a
``ScriptCall`` (record, claim, release) or a command such as the prewarm's ``SET``. With
``REDIS_ACK_REPLICAS`` = N > 0 the drivers send such an operation as one pipeline, its commands
then ``WAIT N timeout``: one round trip, and an answer only once N replicas have the write (or
the timeout passed). Fewer is ``NotAcknowledgedError``, a Redis error: the web answers 503 with
``Retry-After``, and the sender retries. Writes not marked are sent without ``WAIT``: a consumer's
acknowledgements (one lost in a failover delivers its entry again) and ``/readyz``'s health key.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Mapping

import redis

from .drivers import Operation, pipelined

# How long a write waits for its replicas before it is refused (at most half the socket timeout):
# on a healthy network they answer within a few milliseconds; longer means one is missing, and the
# sender is better told at once to retry than kept waiting.
ACK_TIMEOUT_MS = 500


class NotAcknowledgedError(redis.RedisError):
    """Fewer replicas than ``REDIS_ACK_REPLICAS`` acknowledged a write in time; it may be on the
    primary only, and lost if the primary is."""


@dataclass(frozen=True)
class Written:
    """An operation that writes: commands, each a function queueing itself on a pipeline or
    client. One is sent alone (its reply); several in one pipeline (the list of replies)."""

    commands: tuple[Callable[[Any], Any], ...]

    def __call__(self, client: Any) -> Any:
        if len(self.commands) == 1:
            return self.commands[0](client)
        return pipelined(*self.commands)(client)


def written(*commands: Callable[[Any], Any]) -> Written:
    """Mark ``commands`` as one write: with ``REDIS_ACK_REPLICAS`` its round trip ends in WAIT."""
    return Written(commands)


@dataclass(frozen=True)
class Acks:
    """How many replicas must acknowledge each write (0: none, no WAIT), and for how long."""

    replicas: int = 0
    timeout_ms: int = ACK_TIMEOUT_MS

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Acks":
        """``REDIS_ACK_REPLICAS``, waiting at most half of ``REDIS_SOCKET_TIMEOUT``."""
        half_timeout_ms = max(1, int(config["REDIS_SOCKET_TIMEOUT"] * 500))
        return cls(config.get("REDIS_ACK_REPLICAS") or 0, min(ACK_TIMEOUT_MS, half_timeout_ms))

    def applied(self, operation: Operation) -> tuple[Operation, Callable[[Any], Any] | None]:
        """``operation`` as the drivers send it, and how they read its reply (``None``: as is)."""
        if not self.replicas or not isinstance(operation, Written):
            return operation, None
        wait = pipelined(*operation.commands,
                         lambda pipe: pipe.wait(self.replicas, self.timeout_ms))
        return wait, partial(self._acknowledged, len(operation.commands))

    def _acknowledged(self, count: int, replies: list) -> Any:
        *replies, replicas = replies
        if replicas < self.replicas:
            raise NotAcknowledgedError(f"{replicas} of {self.replicas} replicas acknowledged the "
                                       f"write within {self.timeout_ms} ms")
        return replies[0] if count == 1 else replies
