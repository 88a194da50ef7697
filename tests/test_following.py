"""A Sentinel client follows the primary by asking often (``following``); what each part does.

The whole, under load through gunicorn across real failovers: tests/integration/test_failover.py.
"""

from __future__ import annotations

import asyncio
import gc

import pytest
import redis

from burki_sip.calls.async_connection import Sentinel as AsyncSentinel, async_client_from_config
from burki_sip.calls.drivers import run
from burki_sip.calls.following import FOLLOW_INTERVAL, Sentinel, following
from burki_sip.config import load

UP = {"is_master": True, "is_sdown": False, "is_odown": False, "num-other-sentinels": 2}


@pytest.mark.parametrize("sentinel_class", [Sentinel, AsyncSentinel])
@pytest.mark.parametrize("flags", ["master", {"master"}])  # RESP2 text, RESP3 set
def test_a_sentinel_leading_a_failover_is_not_asked_for_the_primary(sentinel_class, flags):
    sentinel = sentinel_class([])
    assert sentinel.check_master_state({**UP, "flags": flags}, "m")
    leading = "master,failover_in_progress" if isinstance(flags, str) else {
        "master", "failover_in_progress"}
    assert not sentinel.check_master_state({**UP, "flags": leading}, "m")
    assert not sentinel.check_master_state({**UP, "flags": flags, "is_sdown": True}, "m")


class Pool:
    """Stands for a SentinelConnectionPool: counts the questions; the second one fails."""

    def __init__(self) -> None:
        self.asked = 0

    def get_master_address(self):
        self.asked += 1
        if self.asked == 2:
            raise redis.ConnectionError("no Sentinel answers")
        return ("127.0.0.1", 6379)


class Clock:
    """A clock whose sleeps are counted, and which drops the pool at the third."""

    def __init__(self, holder: dict) -> None:
        self.holder, self.sleeps = holder, []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if len(self.sleeps) == 3:
            self.holder.clear()
            gc.collect()


def test_following_asks_each_interval_through_errors_until_the_pool_is_gone():
    holder = {"pool": Pool()}
    pool, clock = holder["pool"], Clock(holder)
    work = following(pool)
    del pool

    run(work, clock)

    assert clock.sleeps == [FOLLOW_INTERVAL] * 3


@pytest.mark.integration
def test_the_asyncio_pool_closes_a_connection_to_a_former_primary_as_it_comes_back(
        redis_sentinel):
    async def connected_after_release():
        client = async_client_from_config(load(redis_sentinel.settings))
        pool = client.connection_pool
        kept, former = await pool.get_connection(), await pool.get_connection()
        await pool.release(kept)
        primary = pool.master_address
        pool.master_address = ("127.0.0.1", 1)  # as when the Sentinels name another server
        await pool.release(former)
        pool.master_address = primary
        connected = kept.is_connected, former.is_connected
        await client.aclose()
        return connected

    assert asyncio.run(connected_after_release()) == (True, False)
