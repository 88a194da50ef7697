"""Redis work written once and run by a sync or an asyncio client: ``run`` and ``run_async``.

A piece of work is a generator that yields operations, each a function of the client, and gets
back each operation's reply (or, raised at the ``yield``, its exception)::

    def load_context(keys, call_sid):
        raw = yield lambda client: client.get(keys.context(call_sid))
        return None if raw is None else json.loads(raw)

    run(load_context(keys, sid), redis_client)               # redis.Redis: the reply itself
    await run_async(load_context(keys, sid), async_client)   # redis.asyncio: an awaitable

The logic (what to send, how to read the replies) is then the same code for both clients; only
these two loops differ, by one ``await``. An operation may also call something that is not Redis
(a consumer's handler): the sync driver calls it, the asyncio one awaits what it returns.

Both drivers take the store's ``acks`` (``writes.Acks``): it turns each operation marked as a
write (``writes.written``) into the same commands followed by ``WAIT``, in the same round trip.
"""

from __future__ import annotations

from typing import Any, Callable, Generator, TypeVar

T = TypeVar("T")
Operation = Callable[[Any], Any]
Work = Generator[Operation, Any, T]


def run(work: Work[T], client: Any, acks: Any = None) -> T:
    """Run ``work`` on a sync client: each operation's reply is sent back into it."""
    send, value = work.send, None
    while True:
        try:
            operation = send(value)
        except StopIteration as done:
            return done.value
        operation, read = _as_sent(operation, acks)
        try:
            value, send = read(operation(client)), work.send
        except Exception as exc:  # the work decides: it may catch it at its yield
            value, send = exc, work.throw
        except BaseException:  # a gevent Timeout, a KeyboardInterrupt: its ``finally`` runs now
            work.close()
            raise


async def run_async(work: Work[T], client: Any, acks: Any = None) -> T:
    """Run ``work`` on an asyncio client: each operation's awaited reply is sent back into it."""
    send, value = work.send, None
    while True:
        try:
            operation = send(value)
        except StopIteration as done:
            return done.value
        operation, read = _as_sent(operation, acks)
        try:
            value, send = read(await operation(client)), work.send
        except Exception as exc:  # the work decides: it may catch it at its yield
            value, send = exc, work.throw
        except BaseException:  # cancelled (its WebSocket closed): its ``finally`` runs now
            work.close()
            raise


def _as_sent(operation: Operation, acks: Any) -> tuple[Operation, Callable[[Any], Any]]:
    """The operation to send and how to read its reply: ``acks.applied`` decides for writes."""
    sent, read = (operation, None) if acks is None else acks.applied(operation)
    return sent, read or _reply


def _reply(reply: Any) -> Any:
    return reply


def single(operation: Operation) -> Work[Any]:
    """Work of one operation: its reply."""
    return (yield operation)


def pipelined(*commands: Callable[[Any], Any], transaction: bool = False) -> Operation:
    """One operation sending ``commands`` (each queues itself on a pipeline) in one round trip.

    The reply is the list of their replies. ``execute`` resets the pipeline, so no ``with`` is
    needed, and for an asyncio client it returns the awaitable the driver awaits.
    """
    def operation(client: Any) -> Any:
        pipe = client.pipeline(transaction=transaction)
        for command in commands:
            command(pipe)
        return pipe.execute()
    return operation
