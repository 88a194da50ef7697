"""``AsyncCallStore``: ``CallStore``'s reads and claims (``access.CallAccess``, written once) for
a media-stream handler on asyncio, each a coroutine running the same work on ``redis.asyncio``."""

from __future__ import annotations

import asyncio
from typing import Any, Mapping

from .access import CallAccess
from .drivers import Acks, Work, run_async
from .keys import Keys, Lifetimes
from .listener import AsyncListener


class AsyncCallStore(CallAccess):
    """Reads and claims one deployment's calls from asyncio code: await each method. Takes
    ``CallAccess``'s arguments with a ``redis.asyncio`` client; ``async with`` closes it."""

    def __init__(self, client: Any, keys: Keys, lifetimes: Lifetimes = Lifetimes(),
                 acks: Acks = Acks()) -> None:
        super().__init__(client, keys, lifetimes, acks)
        self._ready, self._initializing = False, asyncio.Lock()

    listener_class = AsyncListener

    async def _run(self, work: Work) -> Any:
        # redis-py's asyncio Cluster client initializes itself lazily; when 50 tasks start at once
        # on a new client, some send to the wrong node, and the reinitialization the MOVED answer
        # causes drops connections the others are using. One initialization first avoids it.
        if not self._ready:
            async with self._initializing:
                if not self._ready:
                    await self.client.initialize()
                    self._ready = True
        return await run_async(work, self.client, self.acks)

    async def aclose(self) -> None:
        """Close the client and its connections (the waiting claims' subscriber ones too)."""
        if self._listener is not None:
            await self._listener.aclose()
        await self.client.aclose()

    async def __aenter__(self) -> "AsyncCallStore":
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.aclose()


def async_store_from_config(client: Any, config: Mapping[str, Any]) -> AsyncCallStore:
    """An ``AsyncCallStore`` on ``client`` with the prefix, lifetimes and acks the settings give."""
    return AsyncCallStore(client, Keys(config["REDIS_KEY_PREFIX"]), Lifetimes.from_config(config),
                          Acks.from_config(config))
