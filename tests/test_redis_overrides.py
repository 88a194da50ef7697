"""The redis-py methods burki_sip overrides (following.py, async_connection.py) are still there, as
our overrides expect them, and our overrides still call them: a redis-py upgrade that renames
one, changes its parameters or its kind, or stops reaching it through ours fails here first."""

import asyncio
import inspect

import pytest
import redis.sentinel
from redis.asyncio import Redis
from redis.asyncio import sentinel as async_sentinel

from burki_sip.calls.async_connection import BlockingSentinelPool, Sentinel, SentinelPrimary
from burki_sip.calls.following import NamesThePromoted, Sentinel as SyncSentinel

# (our class, the method it overrides, the parameters redis-py's method takes)
OVERRIDES = [
    (SyncSentinel, "check_master_state", ["self", "state", "service_name"]),
    (Sentinel, "check_master_state", ["self", "state", "service_name"]),
    (BlockingSentinelPool, "release", ["self", "connection"]),
    (SentinelPrimary, "initialize", ["self"]),
    (SentinelPrimary, "aclose", ["self", "close_connection_pool"]),
]
UP = {"is_master": True, "is_sdown": False, "is_odown": False, "num-other-sentinels": 2,
      "flags": "master"}


def base_method(ours: type, name: str):
    """The method ``super()`` reaches from ``ours``: the first one redis-py defines after it."""
    for klass in ours.__mro__[1:]:
        if name in vars(klass) and not klass.__module__.startswith("burki_sip"):
            return klass, vars(klass)[name]
    raise AssertionError(f"redis-py no longer defines {name} above {ours.__name__}")


@pytest.mark.parametrize(("ours", "name", "parameters"), OVERRIDES)
def test_each_overridden_method_is_still_redis_pys_as_we_expect_it(ours, name, parameters):
    _, base = base_method(ours, name)
    assert list(inspect.signature(base).parameters) == parameters
    ours_method = getattr(ours, name)
    assert list(inspect.signature(ours_method).parameters) == parameters
    assert inspect.iscoroutinefunction(ours_method) == inspect.iscoroutinefunction(base)


def test_what_the_overrides_read_of_redis_py_is_still_there():
    sentinels = Sentinel([])
    pool = BlockingSentinelPool("primary", sentinels)
    assert pool.master_address is None and pool.sentinel_manager is sentinels
    assert inspect.iscoroutinefunction(pool.get_master_address)
    assert sentinels.sentinels == []
    assert callable(redis.sentinel.SentinelConnectionPool.owns_connection)
    assert callable(redis.sentinel.SentinelConnectionPool.get_master_address)


@pytest.mark.parametrize("sentinel_class", [SyncSentinel, Sentinel])
def test_check_master_state_is_redis_pys_check_and_no_failover(sentinel_class):
    sentinels = sentinel_class([])
    assert issubclass(sentinel_class, NamesThePromoted)
    assert sentinels.check_master_state(UP, "primary")
    assert not sentinels.check_master_state({**UP, "flags": "master,failover_in_progress"},
                                            "primary")
    # Ours does not read these: only redis-py's check, reached through ours, refuses them.
    assert not sentinels.check_master_state({**UP, "is_sdown": True}, "primary")
    assert not sentinels.check_master_state({**UP, "is_master": False}, "primary")


class Recorded:
    """Wraps a redis-py method: records each call, then runs it (or ``instead``)."""

    def __init__(self, monkeypatch, klass: type, name: str, instead=None) -> None:
        self.calls, original = [], vars(klass)[name]

        async def method(*args, **kwargs):
            self.calls.append(args[1:])
            return await (instead or original)(*args, **kwargs)
        monkeypatch.setattr(klass, name, method)


class Connection:
    """What ``release`` reads of a connection: where it goes, and ``disconnect``."""

    def __init__(self, port: int) -> None:
        self.host, self.port, self.disconnected = "127.0.0.1", port, False

    async def disconnect(self) -> None:
        self.disconnected = True


def test_release_closes_a_connection_to_a_former_primary_then_calls_redis_pys(monkeypatch):
    async def returned(pool, connection):
        return None
    klass, _ = base_method(BlockingSentinelPool, "release")
    base = Recorded(monkeypatch, klass, "release", instead=returned)
    pool = BlockingSentinelPool("primary", Sentinel([]))
    pool.master_address = ("127.0.0.1", 7001)
    current, former = Connection(7001), Connection(7000)

    asyncio.run(pool.release(current))
    asyncio.run(pool.release(former))

    assert (current.disconnected, former.disconnected) == (False, True)
    assert base.calls == [(current,), (former,)]


def test_a_command_starts_the_follower_and_aclose_stops_it_through_redis_pys(monkeypatch):
    initialize = Recorded(monkeypatch, Redis, "initialize")
    aclose = Recorded(monkeypatch, Redis, "aclose")

    async def use() -> tuple:
        client = SentinelPrimary(connection_pool=BlockingSentinelPool("primary", Sentinel([])))
        with pytest.raises(async_sentinel.MasterNotFoundError):  # no Sentinel to name one
            await client.get("k")
        follower = client.follower
        running = follower is not None and not follower.done()
        await client.aclose()
        return running, follower.cancelled(), client.follower

    assert asyncio.run(use()) == (True, True, None)
    assert initialize.calls and aclose.calls == [(None,)]
