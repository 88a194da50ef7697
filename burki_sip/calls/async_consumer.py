"""``Consumer`` for asyncio (``redis.asyncio``): the same work and guarantees, awaited.

    consumer = AsyncConsumer(client, Keys(), ConsumerSettings("status", "billing", "billing-1"))
    await consumer.run(handle, stop.is_set)   # async def handle(event: Event): ...
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

from .consumer import Consumer
from .drivers import run_async
from .events import Event

AsyncHandler = Callable[[Event], Awaitable[object]]


class AsyncConsumer(Consumer):
    """One consumer of a group on one event stream, on a ``redis.asyncio`` client.

    ``ensure_group``, ``run``, ``poll`` and ``deliver`` are ``Consumer``'s, returning awaitables;
    the handler is awaited (``async def handle(event)``), and waits for Redis do not block the loop.
    """

    drive = staticmethod(run_async)
    sleep = staticmethod(asyncio.sleep)
