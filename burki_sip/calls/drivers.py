"""Redis work written once and run by a sync or an asyncio client: ``run`` and ``run_async``.

A piece of work is a generator that yields operations, each a function of the client, and gets
back each operation's reply (or, raised at the ``yield``, its exception)::

    def load_context(keys, call_sid):
        raw = yield lambda client: client.get(keys.context(call_sid))
        return None if raw is None else json.loads(raw)

    run(load_context(keys, sid), redis_client)               # redis.Redis: the reply itself
    await run_async(load_context(keys, sid), async_client)   # redis.asyncio: an awaitable

Only the two loops differ, by one ``await``. An operation may also call something that is not
Redis (a consumer's handler): the sync driver calls it, the asyncio one awaits what it returns.

A store write marks its writing operation ``written(...)``: with ``REDIS_ACK_REPLICAS`` = N > 0
(``Acks``) the drivers send it as one pipeline ending in ``WAIT N timeout``, and fewer replicas
is ``NotAcknowledgedError`` (a Redis error: 503, and the sender retries). ``/readyz``'s key is
marked too, so the probe fails while writes would. Not marked: a consumer's acknowledgements (one
lost in a failover delivers its entry again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Generator, Mapping, TypeVar

import redis

T = TypeVar("T")
Operation = Callable[[Any], Any]
Work = Generator[Operation, Any, T]

# How long a write waits for its replicas (at most half the socket timeout): they answer within
# milliseconds on a healthy network; longer means one is missing, and the sender is better told
# at once to retry than kept waiting.
ACK_TIMEOUT_MS = 500


class NotAcknowledgedError(redis.RedisError):
    """Fewer replicas than ``REDIS_ACK_REPLICAS`` acknowledged a write in time."""


def pipelined(*commands: Operation, transaction: bool = False) -> Operation:
    """One operation sending ``commands`` (each queues itself on a pipeline) in one round trip;
    its reply is the list of theirs (``execute`` also resets the pipeline: no ``with`` needed)."""
    def operation(client: Any) -> Any:
        pipe = client.pipeline(transaction=transaction)
        for command in commands:
            command(pipe)
        return pipe.execute()
    return operation


class written:
    """Marks ``commands`` as one write: with ``REDIS_ACK_REPLICAS`` its round trip ends in WAIT.
    As an operation: one command (its reply), or several in one pipeline (theirs)."""

    def __init__(self, *commands: Operation) -> None:
        self.commands = commands

    def __call__(self, client: Any) -> Any:
        return (self.commands[0] if len(self.commands) == 1 else pipelined(*self.commands))(client)


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
        if not self.replicas or not isinstance(operation, written):
            return operation, None
        count = len(operation.commands)

        def acknowledged(replies: list) -> Any:
            *replies, replicas = replies
            if replicas < self.replicas:
                raise NotAcknowledgedError(f"{replicas} of {self.replicas} replicas acknowledged "
                                           f"the write within {self.timeout_ms} ms")
            return replies[0] if count == 1 else replies
        return pipelined(*operation.commands,
                         lambda pipe: pipe.wait(self.replicas, self.timeout_ms)), acknowledged


def run(work: Work[T], client: Any, acks: Acks = Acks()) -> T:
    """Run ``work`` on a sync client: each operation's reply is sent back into it."""
    send, value = work.send, None
    while True:
        try:
            operation, read = acks.applied(send(value))
        except StopIteration as done:
            return done.value
        try:
            value, send = _read(read, operation(client)), work.send
        except Exception as exc:  # the work decides: it may catch it at its yield
            value, send = exc, work.throw
        except BaseException:  # a gevent Timeout, a KeyboardInterrupt: its ``finally`` runs now
            work.close()
            raise


async def run_async(work: Work[T], client: Any, acks: Acks = Acks()) -> T:
    """Run ``work`` on an asyncio client: each operation's awaited reply is sent back into it."""
    send, value = work.send, None
    while True:
        try:
            operation, read = acks.applied(send(value))
        except StopIteration as done:
            return done.value
        try:
            value, send = _read(read, await operation(client)), work.send
        except Exception as exc:  # the work decides: it may catch it at its yield
            value, send = exc, work.throw
        except BaseException:  # cancelled (its WebSocket closed): its ``finally`` runs now
            work.close()
            raise


def _read(read: Callable[[Any], Any] | None, reply: Any) -> Any:
    return reply if read is None else read(reply)
