"""``connection.client_from_config`` on ``redis.asyncio``: the same settings (read by
``connection.redis_target``), redis.asyncio's classes, a pool sized for many concurrent streams."""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any, Mapping

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel as AsyncSentinel, SentinelConnectionPool
from redis.driver_info import DriverInfo

from .connection import MAX_CONNECTIONS, quick_retry, redis_target, sentinel_parts
from .drivers import run_async
from .following import NamesThePromoted, following

# One server's pool waits for a free connection (MAX_CONNECTIONS, as the sync one), so a burst of
# 200 stream starts queues for a few round trips instead of opening 200 (each costs the loop
# ~0.15 ms of CPU). redis-py's asyncio cluster client has no waiting pool (a node whose
# connections are all busy raises MaxConnectionsError): each node may get as many as Redis
# accepts by default (maxclients 10000).
CLUSTER_MAX_CONNECTIONS = 10_000


@cache
def driver_info() -> DriverInfo:
    """redis-py's name and version for ``CLIENT SETINFO``, read once: else every new connection
    reads redis-py's package metadata from disk, about 1 ms each on the event loop (a burst of
    100 new connections stalled every other task for 70-150 ms)."""
    return DriverInfo()


class Sentinel(NamesThePromoted, AsyncSentinel):
    """redis.asyncio's ``Sentinel``, naming the primary as ``following.NamesThePromoted`` says."""


class BlockingSentinelPool(SentinelConnectionPool, BlockingConnectionPool):
    """The Sentinel's pool (it asks for the primary, follows a failover) that waits when full."""

    async def release(self, connection: Any) -> None:
        """Return ``connection``, closed first if it is to a former primary.

        redis-py's sync pool does so (``owns_connection``); its asyncio pool keeps the connection,
        and the next command would go to the former primary, which takes writes after a planned
        failover until Sentinel demotes it. An override because ``release`` is where every
        connection comes back and the asyncio pool has no hook there; guarded by
        tests/test_redis_overrides.py.
        """
        if self.master_address not in (None, (connection.host, connection.port)):
            await connection.disconnect()
        await super().release(connection)


class SentinelPrimary(Redis):
    """A client of the primary that follows it (``following``) once initialized, and whose
    ``aclose`` also closes its Sentinels' connections (each new connection asks a Sentinel for
    the primary, so a burst opens some there too)."""

    follower: asyncio.Task | None = None

    async def initialize(self) -> "SentinelPrimary":
        """Start asking the Sentinels for the primary every ``following.FOLLOW_INTERVAL``.

        An override because redis.asyncio runs ``initialize`` before every command (and on
        ``await``/``async with``): the first moment a running event loop is sure to exist for
        the task, which the client's constructor cannot create. Guarded by
        tests/test_redis_overrides.py.
        """
        if self.follower is None:
            self.follower = asyncio.create_task(
                run_async(following(self.connection_pool), asyncio))
        return await super().initialize()

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        """Stop following, close the client, then the Sentinels' connections: redis-py's
        ``aclose`` closes the primary's pool only, and leaves a task of ours running."""
        follower, self.follower = self.follower, None
        if follower is not None:
            follower.cancel()
            await asyncio.gather(follower, return_exceptions=True)
        await super().aclose(close_connection_pool)
        for sentinel in self.connection_pool.sentinel_manager.sentinels:
            await sentinel.aclose()


def async_client_from_config(config: Mapping[str, Any],
                             max_connections: int = MAX_CONNECTIONS) -> Redis | RedisCluster:
    """``connection.client_from_config`` on ``redis.asyncio``; ``max_connections`` to one server
    or Sentinel primary (more concurrent commands wait for one, at most the socket timeout)."""
    url, options = redis_target(config)
    options = {**options, "driver_info": driver_info()}
    wait = {"max_connections": max_connections, "timeout": config["REDIS_SOCKET_TIMEOUT"]}
    if config.get("REDIS_SENTINELS"):
        addresses, sentinel_kwargs, primary = sentinel_parts(config, url, options,
                                                             quick_retry(Retry))
        sentinel_kwargs["driver_info"] = driver_info()
        sentinels = Sentinel(addresses, sentinel_kwargs=sentinel_kwargs, **primary)
        return sentinels.master_for(config["REDIS_SENTINEL_MASTER"], redis_class=SentinelPrimary,
                                    connection_pool_class=BlockingSentinelPool,
                                    retry=quick_retry(Retry), **wait)
    if config.get("REDIS_CLUSTER"):
        return RedisCluster.from_url(url, retry=quick_retry(Retry),
                                     max_connections=CLUSTER_MAX_CONNECTIONS, **options)
    pool = BlockingConnectionPool.from_url(url, retry=quick_retry(Retry), **wait, **options)
    return Redis.from_pool(pool)
