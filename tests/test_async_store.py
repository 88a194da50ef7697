"""``AsyncCallStore`` on real event loops, against one redis-server, a Redis Cluster and Sentinel."""

import asyncio

import pytest
import redis.asyncio

from burki_sip.calls import CallStore, Keys, open_async_store, open_store
from burki_sip.calls.connection import is_cluster
from burki_sip.calls.store import Transition

@pytest.fixture
def settings(topology):
    """The topology's settings, with call c1 prewarmed there by the sync store."""
    server, client = topology
    writer = CallStore(client, Keys(), streams_in_script=not is_cluster(client))
    writer.save_context({"call_sid": "c1", "agenda": "support"})
    return server.settings


def run(settings, use, **options):
    """Run ``await use(store)`` on a new event loop, with a store opened (and closed) in it."""
    async def main():
        async with open_async_store(settings, **options) as store:
            return await use(store)
    return asyncio.run(main())


def test_fifty_tasks_claiming_one_call_give_it_to_exactly_one(settings):
    async def use(store):
        return await asyncio.gather(*(store.claim("c1", owner=f"stream-{n}") for n in range(50)))

    claims = run(settings, use)
    winners = [claim for claim in claims if claim.claimed]
    assert len(winners) == 1 and winners[0].context["agenda"] == "support"
    assert all(claim.already_claimed and claim.owner == winners[0].owner
               for claim in claims if claim is not winners[0])


def test_the_same_owner_claims_again_then_releases_and_another_claims(settings):
    async def use(store):
        first = await store.claim("c1", owner="stream-a")
        again = await store.claim("c1", owner="stream-a")
        refused = await store.claim("c1", owner="stream-b")
        released = await store.release("c1", first.token)
        return first, again, refused, released, await store.claim("c1", owner="stream-b")

    first, again, refused, released, second = run(settings, use)
    assert first.claimed and again == first
    assert refused.already_claimed and refused.owner == "stream-a"
    assert released is True and second.claimed and second.token != first.token


def test_an_expired_context_is_missing(settings, topology):
    _, client = topology
    client.pexpire("burki:sip:call:{c1}:context", 1)

    async def use(store):
        while await store.load_context("c1") is not None:
            await asyncio.sleep(0.01)
        return await store.claim("c1", owner="stream-a"), await store.claim("never")

    expired, never = run(settings, use)
    assert expired.missing and never.missing


def test_reads_and_claims_agree_with_the_sync_store(settings, topology):
    _, client = topology
    writer = CallStore(client, Keys(), streams_in_script=not is_cluster(client))
    writer.record_event("status", {}, "application/json", "c1", transition=Transition("ringing"))
    held = writer.claim("c1", owner="sync-stream")

    async def use(store):
        return (await store.load_context("c1"), await store.load_status("c1"),
                await store.inspect_context("c1"), await store.claim("c1", owner="async-stream"),
                await store.claim_context("c1"))

    context, (state, ttl), (_, context_ttl, claimed), refused, none = run(settings, use)
    assert context["agenda"] == "support" and state["status"] == "ringing" and ttl > 0
    assert claimed is True and 0 < context_ttl <= 300
    assert (refused.owner, refused.claimed_at) == ("sync-stream", held.claimed_at)
    assert none is None


def test_a_burst_of_200_claims_on_a_full_pool_waits_instead_of_failing(settings, topology):
    """200 streams start at once on a pool of 10 connections: every claim is answered."""
    _, client = topology
    writer = CallStore(client, Keys(), streams_in_script=not is_cluster(client))
    for n in range(200):
        writer.save_context({"call_sid": f"burst-{n}"})

    async def use(store):
        return await asyncio.gather(*(store.claim(f"burst-{n}", owner="s") for n in range(200)))

    claims = run(settings, use, max_connections=10)
    assert all(claim.claimed for claim in claims)


@pytest.mark.integration
def test_the_pool_holds_at_most_max_connections(redis_server, real_redis):
    before = real_redis.info("clients")["connected_clients"]

    async def use(store):
        await asyncio.gather(*(store.claim(f"never-{n}") for n in range(200)))
        return real_redis.info("clients")["connected_clients"]

    during = run({"REDIS_URL": redis_server.url}, use, max_connections=10)
    assert 1 <= during - before <= 10


@pytest.mark.integration
def test_an_explicit_url_or_client_needs_no_redis_setting(redis_server, real_redis):
    CallStore(real_redis, Keys()).save_context({"call_sid": "c1"})

    async def main():
        async with open_async_store({}, url=redis_server.url) as by_url:
            first = await by_url.load_context("c1")
        client = redis.asyncio.Redis.from_url(redis_server.url, decode_responses=True)
        async with open_async_store({}, client=client) as by_client:
            return first, await by_client.load_context("c1")

    assert [context["call_sid"] for context in asyncio.run(main())] == ["c1", "c1"]


@pytest.mark.parametrize("opener", [open_store, open_async_store])
@pytest.mark.parametrize("environ", [{}, {"REDIS_KEY_PREFIX": "x:sip"}])
def test_without_any_redis_setting_opening_names_redis_url(opener, environ):
    with pytest.raises(ValueError, match="REDIS_URL is not set"):
        opener(environ)
