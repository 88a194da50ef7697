"""The two drivers run one piece of work the same way on a sync and an asyncio client."""

from __future__ import annotations

import asyncio

import pytest
import redis
import redis.asyncio

from burki_sip.calls.drivers import pipelined, run, run_async


def counted(key: str):
    """Work that sets, reads back in one pipeline, then fails and recovers at its yield."""
    yield lambda client: client.set(key, "1")
    value, length = yield pipelined(lambda pipe: pipe.incr(key), lambda pipe: pipe.strlen(key))
    try:
        yield lambda client: client.hget(key, "field")  # WRONGTYPE: a string, not a hash
    except redis.ResponseError as exc:
        caught = "WRONGTYPE" in str(exc)
    return value, length, caught


def failing(key: str):
    """Work that does not catch the error of its operation."""
    yield lambda client: client.hget(key, "field")


@pytest.mark.integration
def test_sync_and_asyncio_clients_give_the_same_result(redis_server):
    with redis_server.flushed_client() as client:
        assert run(counted("burki:test:a"), client) == (2, 1, True)
        with pytest.raises(redis.ResponseError):
            run(failing("burki:test:a"), client)

        async def on_asyncio():
            async_client = redis.asyncio.Redis.from_url(redis_server.url, decode_responses=True)
            try:
                result = await run_async(counted("burki:test:b"), async_client)
                with pytest.raises(redis.ResponseError):
                    await run_async(failing("burki:test:b"), async_client)
                return result
            finally:
                await async_client.aclose()

        assert asyncio.run(on_asyncio()) == (2, 1, True)
        assert client.get("burki:test:a") == client.get("burki:test:b") == "2"


def test_an_operation_may_call_a_handler():
    def work():
        reply = yield lambda client: client["handler"](21)
        return reply

    async def async_handler(value):
        return value * 2

    assert run(work(), {"handler": lambda value: value * 2}) == 42
    assert asyncio.run(run_async(work(), {"handler": async_handler})) == 42
