"""Claims that wait for their context (``claim(wait=)``), sync and asyncio, on every topology."""

import asyncio
import json
import signal
import threading
import time

import pytest

from burki_sip.calls import AsyncCallStore, CallStore, Keys
from burki_sip.calls.claims import RECHECK_S
from burki_sip.calls.clock import utc_now
from burki_sip.calls.connection import is_cluster
from burki_sip.calls.drivers import Acks, NotAcknowledgedError
from burki_sip.calls.lifecycle import status_view
from burki_sip.calls.waiters import READ_S

CHANNEL = "burki:sip:call:{c1}:prewarmed"


def prewarm_later(store: CallStore, call_sid: str, delay: float) -> threading.Timer:
    timer = threading.Timer(delay, store.save_context, ({"call_sid": call_sid, "agenda": "a"},))
    timer.start()
    return timer


def test_a_claim_waits_for_a_prewarm_that_lands_later(store, any_redis):
    prewarm_later(store, "c1", 0.2)

    claim = store.claim("c1", owner="stream-a", wait=5)

    assert claim.claimed and claim.context["agenda"] == "a"
    assert 0.15 < claim.waited < 2
    state = any_redis.hgetall("burki:sip:call:{c1}:status")
    assert int(state["claim_waited_ms"]) == round(claim.waited * 1000)
    view = status_view("c1", state)
    assert view["handoff"] == f"context arrived {view['claim_waited_ms']} ms after the stream asked"


def test_a_context_written_without_an_announcement_is_claimed_at_the_next_look(store, any_redis):
    # As an older process's prewarm lands: the stored format, and no SPUBLISH to wake the claim.
    context = json.dumps({"call_sid": "c1", "agenda": "old", "prewarmed_at": utc_now()})
    timer = threading.Timer(0.2, any_redis.set, ("burki:sip:call:{c1}:context", context),
                            {"ex": 300})
    timer.start()

    claim = store.claim("c1", owner="stream-a", wait=5)

    timer.join()
    assert claim.claimed and claim.context["agenda"] == "old"
    assert claim.waited < RECHECK_S + 2  # the next look, well before the 5 s deadline


def test_a_context_already_there_is_ready_before_the_stream_asked(store, any_redis):
    store.save_context({"call_sid": "c1"})
    time.sleep(0.05)

    claim = store.claim("c1", wait=5)

    assert claim.claimed and claim.waited == 0.0
    view = status_view("c1", any_redis.hgetall("burki:sip:call:{c1}:status"))
    assert view["claim_waited_ms"] == 0
    ready = int(view["handoff"].split()[1])
    assert view["handoff"] == f"ready {ready} ms before the stream asked" and 40 <= ready < 2000


def test_a_prewarm_that_never_comes_is_missing_at_the_deadline_and_writes_nothing(store,
                                                                                any_redis):
    claim = store.claim("c1", owner="stream-a", wait=0.3)

    assert claim.missing and 0.3 <= claim.waited < 1.0
    assert not any_redis.exists("burki:sip:call:{c1}:status")


def test_a_claim_held_by_another_owner_is_answered_at_once_even_with_a_wait(store):
    prewarm_later(store, "c1", 0.1)
    assert store.claim("c1", owner="stream-a", wait=5).claimed
    second = store.claim("c1", owner="stream-b", wait=5)
    assert second.already_claimed and second.owner == "stream-a" and second.waited == 0.0


@pytest.mark.parametrize("wait", [-1, float("nan"), float("inf"), "1"])
def test_a_wait_that_is_not_seconds_is_refused(store, wait):
    with pytest.raises(ValueError, match="wait must be"):
        store.claim("c1", wait=wait)


@pytest.mark.integration
def test_wait_zero_is_the_one_script_run_it_always_was(real_redis):
    store = CallStore(real_redis, Keys())
    store.claim("c0")  # the script is loaded
    before = real_redis.info("commandstats")
    assert store.claim("c1", wait=0).missing
    after = real_redis.info("commandstats")
    calls = {name: after[name]["calls"] - before.get(name, {"calls": 0})["calls"]
             for name in after}
    # the script's own GET counts too; no SSUBSCRIBE, nothing else
    assert {name for name, count in calls.items() if count} == {"cmdstat_evalsha", "cmdstat_get",
                                                                 "cmdstat_info"}


def test_the_on_claim_hook_sees_every_claim_and_its_wait(store):
    seen = []
    store.on_claim = seen.append
    prewarm_later(store, "c1", 0.1)
    store.claim("c1", wait=5)
    store.claim("c2")
    assert [(claim.call_sid, claim.outcome, claim.waited > 0.05) for claim in seen] == [
        ("c1", "claimed", True), ("c2", "missing", False)]


async def claims_with_one_cancelled(store: AsyncCallStore, writer: CallStore) -> tuple:
    """Five claims wait; one is cancelled (its stream went away); then the prewarms land."""
    baseline = len(asyncio.all_tasks())
    waiting = [asyncio.create_task(store.claim(f"c{n}", owner="s", wait=5)) for n in range(5)]
    await asyncio.sleep(0.3)
    waiting[0].cancel()
    await asyncio.sleep(0.05)
    for n in range(5):
        await asyncio.to_thread(writer.save_context, {"call_sid": f"c{n}"})
    results = await asyncio.gather(*waiting, return_exceptions=True)
    await asyncio.sleep(READ_S + 0.5)  # the reader drops unneeded subscriptions within READ_S
    listener = store._listener
    # A Sentinel client's own task (it follows the primary) is the client's, not the waiting's.
    follower = 1 if getattr(store.client, "follower", None) is not None else 0
    return results, listener, len(asyncio.all_tasks()) - baseline - follower


@pytest.mark.integration
def test_async_claims_wait_and_a_cancelled_one_leaves_nothing_behind(topology):
    servers, client = topology
    writer = CallStore(client, Keys(), streams_in_script=not is_cluster(client))

    async def main():
        async with AsyncCallStore(servers.async_client(), Keys()) as store:
            return await claims_with_one_cancelled(store, writer)

    results, listener, tasks = asyncio.run(main())
    assert isinstance(results[0], asyncio.CancelledError)
    assert all(claim.claimed and claim.waited > 0 for claim in results[1:]), results[1:]
    # no watch left; the only tasks left are the readers (one per server or Cluster node)
    assert listener.waiters.watches == {} and tasks == len(listener.readers)
    # no claim for the cancelled stream, and no subscription left
    assert not client.exists("burki:sip:call:{c0}:status")
    channels = [f"burki:sip:call:{{c{n}}}:prewarmed" for n in range(5)]
    assert all(count == 0 for _, count in shard_subscribers(client, channels))


def shard_subscribers(client, channels: list[str]) -> list[tuple[str, int]]:
    """``PUBSUB SHARDNUMSUB`` of each channel, asked of the node its slot lives on."""
    if not is_cluster(client):
        return client.pubsub_shardnumsub(*channels)
    return [client.get_node_from_key(channel).redis_connection.pubsub_shardnumsub(channel)[0]
            for channel in channels]


@pytest.mark.integration
def test_an_async_claim_waits_over_tls(redis_tls, tls_certificates, tls_redis):
    from burki_sip.calls import open_async_store

    settings = {"REDIS_URL": redis_tls.tls_url, "REDIS_SSL_CA_CERTS": str(tls_certificates.ca)}
    writer = CallStore(tls_redis, Keys())

    async def main():
        async with open_async_store(settings) as store:
            later = asyncio.get_running_loop().call_later(0.2, writer.save_context,
                                                          {"call_sid": "tls-1"})
            claim = await store.claim("tls-1", wait=5)
            later.cancel()
            return claim

    claim = asyncio.run(main())
    assert claim.claimed and 0.15 < claim.waited < 2


@pytest.mark.integration
def test_a_waiting_claim_outlasts_replicas_slow_to_acknowledge(redis_replicated):
    """With REDIS_ACK_REPLICAS, a look whose replica does not answer is "not yet", not an error:
    the next look, as the same owner, gets the same claim, acknowledged this time."""
    primary, [replica] = redis_replicated.primary.client(), redis_replicated.replicas
    store = CallStore(primary, Keys(), acks=Acks(1, 200))
    writer = CallStore(primary, Keys())
    found = []
    claiming = threading.Thread(target=lambda: found.append(
        store.claim("c1", owner="stream-a", wait=8)))
    claiming.start()
    time.sleep(0.3)  # its first look found nothing, acknowledged
    replica.process.send_signal(signal.SIGSTOP)
    try:
        writer.save_context({"call_sid": "c1", "agenda": "a"})
        time.sleep(1.0)  # the claim was granted on the primary, but not acknowledged
    finally:
        replica.process.send_signal(signal.SIGCONT)
    claiming.join(10)

    [claim] = found
    assert claim.claimed and claim.context["agenda"] == "a" and claim.waited > 1.0


@pytest.mark.integration
def test_a_wait_whose_last_look_was_not_acknowledged_raises_rather_than_missing(redis_replicated):
    """A look granted on the primary but not acknowledged holds the claim there: answering
    ``missing`` at the deadline would hide it. The claim looks once more, and raises (a 503)."""
    primary, [replica] = redis_replicated.primary.client(), redis_replicated.replicas
    store = CallStore(primary, Keys(), acks=Acks(1, 200))
    outcome = []

    def claim():
        try:
            outcome.append(store.claim("c1", owner="stream-a", wait=1.5))
        except NotAcknowledgedError as exc:
            outcome.append(exc)

    claiming = threading.Thread(target=claim)
    claiming.start()
    time.sleep(0.3)  # its first look found nothing, acknowledged
    replica.process.send_signal(signal.SIGSTOP)
    try:
        CallStore(primary, Keys()).save_context({"call_sid": "c1"})
        claiming.join(10)
    finally:
        replica.process.send_signal(signal.SIGCONT)

    assert [type(found) for found in outcome] == [NotAcknowledgedError]
    assert primary.hget("burki:sip:call:{c1}:status", "claimed_by") == "stream-a"
