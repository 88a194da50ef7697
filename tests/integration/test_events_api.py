"""The consumer API on a real redis-server: restart recovery, takeover, retries; sync and asyncio."""

import asyncio
import threading
import time

import pytest
import redis.asyncio

from burki_sip.calls.async_consumer import AsyncConsumer
from burki_sip.calls.consumer import Consumer
from burki_sip.calls.delivery import ConsumerSettings
from burki_sip.calls.keys import Keys
from burki_sip.calls.store import CallStore
from support import RedisServer, wait_until

pytestmark = pytest.mark.integration

STREAM = "burki:sip:events:webhook"


def webhooks(redis_client, count):
    store = CallStore(redis_client, Keys())
    return [store.record_event("webhook", {"n": n}, "application/json", f"c{n}").event_id
            for n in range(count)]


def settings(consumer, **options):
    return ConsumerSettings("webhook", "crm", consumer, from_start=True, block_ms=20, **options)


def test_a_restarted_consumer_first_handles_what_it_had_left_pending(real_redis):
    ids = webhooks(real_redis, 5)
    Consumer(real_redis, Keys(), settings("c1")).ensure_group()
    real_redis.xreadgroup("crm", "c1", {STREAM: ">"}, count=3)  # then it died, unacknowledged

    handled = []
    restarted = Consumer(real_redis, Keys(), settings("c1", claim_idle=3600))
    restarted.poll(lambda event: handled.append(event.id))
    assert handled == ids[:3]
    restarted.poll(lambda event: handled.append(event.id))
    assert handled == ids
    assert real_redis.xpending(STREAM, "crm")["pending"] == 0


def test_entries_of_a_consumer_that_never_returns_are_taken_over_after_claim_idle(real_redis):
    ids = webhooks(real_redis, 4)
    Consumer(real_redis, Keys(), settings("gone")).ensure_group()
    real_redis.xreadgroup("crm", "gone", {STREAM: ">"}, count=2)

    handled = []
    peer = Consumer(real_redis, Keys(), settings("peer", claim_idle=0.3))
    wait_until(lambda: peer.poll(lambda event: handled.append(event.id)) is not None
               and sorted(handled) == ids, timeout=10, what="the peer took over")
    assert real_redis.xpending(STREAM, "crm")["pending"] == 0


def test_a_failed_handler_is_retried_after_the_retry_delay_not_the_claim_idle(real_redis):
    [entry_id] = webhooks(real_redis, 1)
    attempts = []

    def flaky(event):
        attempts.append(event.id)
        if len(attempts) < 3:
            raise RuntimeError("downstream unavailable")

    consumer = Consumer(real_redis, Keys(), settings("c1", retry_delay=0.1, claim_idle=3600))
    consumer.ensure_group()
    wait_until(lambda: consumer.poll(flaky) == 1, timeout=10, what="the third attempt")
    assert attempts == [entry_id] * 3
    assert real_redis.xlen(STREAM + ":dead") == 0


def test_the_async_consumer_handles_retries_and_dead_letters_on_an_event_loop(redis_server,
                                                                           real_redis):
    ids = webhooks(real_redis, 6)
    poison = ids[2]

    async def main():
        handled = []

        async def handle(event):
            await asyncio.sleep(0)
            if event.id == poison:
                raise ValueError("no such customer")
            handled.append(event.payload["n"])

        client = redis.asyncio.Redis(port=redis_server.port, decode_responses=True)
        consumer = AsyncConsumer(client, Keys(), settings("a1", retry_delay=0.05,
                                                          max_deliveries=2))
        task = asyncio.create_task(consumer.run(handle, lambda: len(handled) == 5 and
                                                not consumer.state.errors))
        await asyncio.wait_for(task, timeout=20)
        await client.aclose()
        return handled

    assert asyncio.run(main()) == [0, 1, 3, 4, 5]
    [(_, dead)] = real_redis.xrange(STREAM + ":dead")
    assert (dead["dead_entry_id"], dead["dead_deliveries"], dead["dead_error"]) == (
        poison, "2", "no such customer")
    assert real_redis.xpending(STREAM, "crm")["pending"] == 0


def test_starting_a_consumer_repairs_a_lag_redis_lost(real_redis):
    for n in range(300):  # a stream already trimmed, then a group made by hand at "$"
        real_redis.xadd(STREAM, {"n": n}, maxlen=50, approximate=True)
    real_redis.xgroup_create(STREAM, "crm", "$")
    webhooks(real_redis, 7)
    assert real_redis.xinfo_groups(STREAM)[0]["lag"] in (None, 7)  # None: Redis 7.0 lost count

    assert Consumer(real_redis, Keys(), settings("c1")).ensure_group() is False
    assert real_redis.xinfo_groups(STREAM)[0]["lag"] == 7
    Consumer(real_redis, Keys(), ConsumerSettings("webhook", "audit", "a1")).ensure_group()
    webhooks(real_redis, 1)
    assert {g["name"]: g["lag"] for g in real_redis.xinfo_groups(STREAM)} == {"crm": 8, "audit": 1}


def test_a_consumer_started_before_redis_waits_for_it():
    server, handled, stopping = RedisServer(), [], threading.Event()
    client = server.client(socket_timeout=0.5, socket_connect_timeout=0.5)
    consumer = Consumer(client, Keys(), settings("c1"))
    thread = threading.Thread(target=consumer.run,
                              args=(lambda event: handled.append(event.id), stopping.is_set))
    thread.start()
    try:
        time.sleep(0.5)  # it is failing to connect meanwhile
        server.start()
        wait_until(lambda: client.exists(STREAM), timeout=20, what="the group created")
        ids = webhooks(server.client(), 2)
        wait_until(lambda: handled == ids, timeout=20, what="both handled")
    finally:
        stopping.set()
        thread.join(timeout=20)
        client.close()
        server.stop()


def test_a_consumer_goes_on_when_its_stream_and_group_are_deleted(real_redis):
    first = webhooks(real_redis, 2)
    handled, stop = [], threading.Event()
    consumer = Consumer(real_redis, Keys(), settings("c1"))
    runner = threading.Thread(target=consumer.run,
                              args=(lambda event: handled.append(event.id), stop.is_set))
    runner.start()
    try:
        wait_until(lambda: handled == first, timeout=10, what="the first events")
        real_redis.delete(STREAM)  # FLUSHDB or a careless DEL: the group goes with the stream
        again = webhooks(real_redis, 2)
        wait_until(lambda: handled == first + again, timeout=10, what="events after the DEL")
    finally:
        stop.set()
        runner.join(timeout=10)
    assert not runner.is_alive()
