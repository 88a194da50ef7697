"""``AsyncCallStore``: what a media-stream handler on asyncio reads and claims, on ``redis.asyncio``.

The same keys, scripts and results as ``CallStore`` (``claims.py`` builds and reads both), without
blocking the event loop: every call awaits the client.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Mapping

from .claims import CLAIM_LUA, RELEASE_LUA, TOKEN_FIELD, Claim, ClaimScript, release_script
from .keys import Keys
from .clock import utc_now
from .store import Lifetimes


class AsyncCallStore:
    """Reads and claims one deployment's call contexts from asyncio code.

    Args:
        client: a ``redis.asyncio`` client (one server, Sentinel primary or ``RedisCluster``)
            created with ``decode_responses=True``; ``async_connection`` builds one.
        keys: the key names under this deployment's prefix.
        lifetimes: TTLs; a claim gives a status hash it creates ``idle_ttl``.

    ``async with`` closes the client at the end, as ``aclose`` does.
    """

    def __init__(self, client: Any, keys: Keys, lifetimes: Lifetimes = Lifetimes()) -> None:
        self.client = client
        self.keys = keys
        self.lifetimes = lifetimes
        self._claim = client.register_script(CLAIM_LUA)
        self._release = client.register_script(RELEASE_LUA)
        self._ready, self._initializing = False, asyncio.Lock()

    async def _initialized(self) -> None:
        """Initialize the client once, before any command.

        redis-py's asyncio Cluster client initializes itself lazily; when 50 tasks start at once
        on a new client, some send to the wrong node, and the reinitialization the MOVED answer
        causes drops connections the others are using. One initialization first avoids it.
        """
        if not self._ready:
            async with self._initializing:
                if not self._ready:
                    await self.client.initialize()
                    self._ready = True

    async def load_context(self, call_sid: str) -> dict | None:
        """Return a call's context, or ``None`` when it is absent or expired."""
        await self._initialized()
        raw = await self.client.get(self.keys.context(call_sid))
        return None if raw is None else json.loads(raw)

    async def inspect_context(self, call_sid: str) -> tuple[dict | None, int, bool]:
        """Return a call's context, its remaining TTL in seconds and whether it is claimed."""
        await self._initialized()
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.get(self.keys.context(call_sid))
            pipe.ttl(self.keys.context(call_sid))
            pipe.hexists(self.keys.status(call_sid), TOKEN_FIELD)
            raw, ttl, claimed = await pipe.execute()
        return (None if raw is None else json.loads(raw)), ttl, bool(claimed)

    async def load_status(self, call_sid: str) -> tuple[dict | None, int]:
        """Return a call's status hash (``None`` when unknown) and its remaining TTL."""
        await self._initialized()
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.keys.status(call_sid))
            pipe.ttl(self.keys.status(call_sid))
            state, ttl = await pipe.execute()
        return (state or None), ttl

    async def claim(self, call_sid: str, owner: str | None = None) -> Claim:
        """Claim a call's context for ``owner``, atomically: see ``CallStore.claim``."""
        script = ClaimScript.build(self.keys, call_sid, owner, utc_now(), self.lifetimes.idle_ttl)
        await self._initialized()
        return script.result(await self._claim(keys=script.keys, args=script.args))

    async def release(self, call_sid: str, token: str) -> bool:
        """End the claim ``token`` holds, so the call can be claimed again; False if none held."""
        keys, args = release_script(self.keys, call_sid, token, utc_now())
        await self._initialized()
        return bool(await self._release(keys=keys, args=args))

    async def claim_context(self, call_sid: str) -> dict | None:
        """The context to the first caller only, else ``None``: see ``CallStore.claim_context``."""
        claim = await self.claim(call_sid)
        return claim.context if claim.claimed else None

    async def aclose(self) -> None:
        """Close the client and its connections."""
        await self.client.aclose()

    async def __aenter__(self) -> "AsyncCallStore":
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.aclose()


def async_store_from_config(client: Any, config: Mapping[str, Any]) -> AsyncCallStore:
    """An ``AsyncCallStore`` on ``client`` with the prefix and lifetimes the settings give."""
    return AsyncCallStore(client, Keys(config["REDIS_KEY_PREFIX"]), Lifetimes.from_config(config))
