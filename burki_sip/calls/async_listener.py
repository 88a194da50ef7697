"""The asyncio driver of ``waiters.py``: ``AsyncListener``, reader tasks on the store's loop."""

from __future__ import annotations

import asyncio
from contextlib import nullcontext
from typing import Any

from .drivers import run_async
from .listener import Listener, Reader
from .waiters import Watch


class AsyncReader(Reader):
    """``Reader`` on ``redis.asyncio``: every operation gives an awaitable."""

    async def subscribe(self, *channels: str) -> None:
        async with self.sending:
            await self.pubsub.ssubscribe(*channels)

    async def unsubscribe(self, *channels: str) -> None:
        async with self.sending:
            await self.pubsub.sunsubscribe(*channels)

    async def read(self, timeout: float) -> Any:
        if self.node is None:
            async with self.sending:  # get_message needs a connection, subscribed or not
                await self.pubsub.connect()
        return await super().read(timeout)

    async def idle(self, timeout: float) -> None:
        await _wait(self.wake, timeout)

    async def pause(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class AsyncListener(Listener):
    """Wakes an asyncio store's waiting claims: a reader task per source, on the store's loop."""

    reader_class, event_class = AsyncReader, asyncio.Event  # asyncio is never patched

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.tasks: set[asyncio.Task] = set()

    @staticmethod
    def _lock() -> Any:
        return nullcontext()  # one event loop: nothing runs between the registry's steps

    @staticmethod
    def _sending_lock() -> Any:
        return asyncio.Lock()

    async def sleep(self, watch: Watch, timeout: float) -> None:
        await _wait(watch.signal, timeout)

    def _start(self, work: Any, reader: Reader) -> None:
        self.tasks.add(asyncio.get_running_loop().create_task(run_async(work, reader)))

    async def aclose(self) -> None:
        """Cancel the reader tasks and close the subscriber connections."""
        self.closed = True
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self._pubsub is not None:
            await self._pubsub.aclose()


async def _wait(event: asyncio.Event, timeout: float) -> None:
    """Until ``event`` is set or ``timeout`` passed; then clear it (no task is made for it)."""
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
    except TimeoutError:
        pass
    event.clear()
