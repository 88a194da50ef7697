"""The I/O of waiting claims for each driver: one redis-py pub/sub object, and a reader per
source (the server or Sentinel primary, or each Cluster node a waited call's slot lives on)
running ``waiters.reading``: a thread in ``Listener`` (a greenlet under gevent, which patches
threading), a task in ``AsyncListener``."""

from __future__ import annotations

import asyncio
import threading
import time
from contextlib import nullcontext, suppress
from typing import Any

from .connection import is_cluster
from .drivers import Work, run, run_async
from .waiters import READ_S, Waiters, Watch, reading


class Listener:
    """Wakes a sync store's waiting claims: a reader thread per source, started when needed.

    Commands are sent one at a time (``_sending``): redis-py's pub/sub object opens its
    connection at its first command, and two opened at once would leave one subscription on a
    connection nobody reads. Reading needs no lock: one reader per source.
    """

    def __init__(self, client: Any) -> None:
        # Looked up now, not bound at import: gunicorn's gevent worker patches threading after
        # this module may have been imported (by gunicorn.conf.py, in the master).
        self._open(client, threading.Lock(), threading.Lock(), threading.Event)

    def _open(self, client: Any, lock: Any, sending: Any, event: Any) -> None:
        self.client, self.waiters, self._sending, self._event = client, Waiters(lock), sending, event
        self.readers: dict[str, Any] = {}  # source -> the event that wakes its idle reader
        self.runs: list = []  # the readers' threads or tasks
        self.closed, self._pubsub = False, None

    def watch(self, channel: str) -> Watch:
        """A new watch of ``channel`` (``waiters.add`` registers it)."""
        source = self.client.get_node_from_key(channel).name if is_cluster(self.client) else ""
        return Watch(channel, source, self._event())

    def reader(self, source: str) -> Any:
        """The event that wakes the reader of ``source``, started now if it was not yet."""
        with self.waiters.lock:  # threads: one pub/sub object, one reader per source
            if source not in self.readers:
                if self._pubsub is None:
                    self._pubsub = self.client.pubsub()
                node = self.client.get_node(node_name=source) if source else None
                wake = self.readers[source] = self._event()
                self._start(reading(self.waiters, source, node, wake, lambda: self.closed))
            return self.readers[source]

    def _start(self, work: Work[None]) -> None:
        thread = threading.Thread(target=run, args=(work, self), daemon=True,
                                  name="burki-sip-listener")
        thread.start()
        self.runs.append(thread)

    def subscribe(self, *channels: str) -> None:
        with self._sending:
            self._pubsub.ssubscribe(*channels)

    def unsubscribe(self, *channels: str) -> None:
        with self._sending:
            self._pubsub.sunsubscribe(*channels)

    def read(self, node: Any, timeout: float) -> Any:
        if node is None:
            return self._pubsub.get_message(timeout=timeout)
        return self._pubsub.get_sharded_message(target_node=node, timeout=timeout)

    @staticmethod
    def sleep(event: Any, timeout: float) -> None:
        """Until ``event`` is set or ``timeout`` passed; then clear it."""
        event.wait(timeout)
        event.clear()

    @staticmethod
    def pause(seconds: float) -> None:
        time.sleep(seconds)  # looked up now: under gevent, the patched one

    def close(self) -> None:
        """Stop the readers and close the subscriber connections."""
        self.closed = True
        for wake in self.readers.values():
            wake.set()
        if self._pubsub is not None:
            self._pubsub.close()
        for thread in self.runs:
            thread.join(READ_S + 1)


class AsyncListener(Listener):
    """Wakes an asyncio store's waiting claims: a reader task per source, on the store's loop."""

    def __init__(self, client: Any) -> None:
        # One event loop: nothing runs between the registry's steps, which need no lock.
        self._open(client, nullcontext(), asyncio.Lock(), asyncio.Event)

    def _start(self, work: Work[None]) -> None:
        self.runs.append(asyncio.get_running_loop().create_task(run_async(work, self)))

    async def subscribe(self, *channels: str) -> None:
        async with self._sending:
            await self._pubsub.ssubscribe(*channels)

    async def unsubscribe(self, *channels: str) -> None:
        async with self._sending:
            await self._pubsub.sunsubscribe(*channels)

    async def read(self, node: Any, timeout: float) -> Any:
        if node is None:
            async with self._sending:  # get_message needs a connection, subscribed or not
                await self._pubsub.connect()
        return await super().read(node, timeout)

    @staticmethod
    async def sleep(event: asyncio.Event, timeout: float) -> None:
        """Until ``event`` is set or ``timeout`` passed; then clear it (no task is made for it)."""
        with suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await event.wait()
        event.clear()

    @staticmethod
    async def pause(seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def aclose(self) -> None:
        """Cancel the reader tasks and close the subscriber connections."""
        self.closed = True
        for task in self.runs:
            task.cancel()
        await asyncio.gather(*self.runs, return_exceptions=True)
        if self._pubsub is not None:
            await self._pubsub.aclose()
