"""The consumer API on a real redis-server: restart recovery, takeover, retries, stops, Redis
going away; each through the sync driver (``Consumer``) and the asyncio one (``AsyncConsumer``)."""

import asyncio
import threading
import time

import pytest

from burki_sip.calls.consumer import AsyncConsumer
from burki_sip.calls.consumer import Consumer
from burki_sip.calls.connection import is_cluster
from burki_sip.calls.delivery import ConsumerSettings
from burki_sip.calls.keys import Keys
from burki_sip.calls.store import CallStore
from support import RedisServer, wait_until

pytestmark = pytest.mark.integration

STREAM = "burki:sip:events:webhook"


def webhooks(redis_client, count):
    store = CallStore(redis_client, Keys(), streams_in_script=not is_cluster(redis_client))
    return [store.record_event("webhook", {"n": n}, "application/json", f"c{n}").event_id
            for n in range(count)]


def settings(consumer, **options):
    return ConsumerSettings("webhook", "crm", consumer, from_start=True, block_ms=20, **options)


def awaited(handler):
    """``handler`` as the ``async def`` an ``AsyncConsumer`` awaits (it yields to the loop first)."""
    async def handle(event):
        await asyncio.sleep(0)
        return handler(event)
    return handle


class Blocking:
    """An ``AsyncConsumer`` called as a ``Consumer`` is, each call run on the test's event loop."""

    def __init__(self, loop: asyncio.Runner, consumer: AsyncConsumer) -> None:
        self.loop, self.consumer, self.state = loop, consumer, consumer.state

    def ensure_group(self):
        return self.loop.run(self.consumer.ensure_group())

    def poll(self, handler, stop=lambda: False):
        return self.loop.run(self.consumer.poll(awaited(handler), stop))


@pytest.fixture(params=["sync", "asyncio"])
def consumer_of(request):
    """``consumer_of(server, client, name, **options)``: a ``Consumer`` on ``client``, or an
    ``AsyncConsumer`` on a new asyncio client of ``server`` (closed after the test)."""
    if request.param == "sync":
        yield lambda server, client, name, **options: Consumer(client, Keys(),
                                                               settings(name, **options))
        return
    with asyncio.Runner() as loop:
        clients = []

        def asyncio_consumer(server, client, name, **options):
            clients.append(server.async_client())
            return Blocking(loop, AsyncConsumer(clients[-1], Keys(), settings(name, **options)))
        yield asyncio_consumer
        for each in clients:
            loop.run(each.aclose())


def test_a_restarted_consumer_first_handles_what_it_had_left_pending(redis_server, real_redis,
                                                                     consumer_of):
    ids = webhooks(real_redis, 5)
    consumer_of(redis_server, real_redis, "c1").ensure_group()
    real_redis.xreadgroup("crm", "c1", {STREAM: ">"}, count=3)  # then it died, unacknowledged

    handled = []
    restarted = consumer_of(redis_server, real_redis, "c1", claim_idle=3600)
    restarted.poll(lambda event: handled.append(event.id))
    assert handled == ids[:3]
    restarted.poll(lambda event: handled.append(event.id))
    assert handled == ids
    assert real_redis.xpending(STREAM, "crm")["pending"] == 0


def test_entries_of_a_consumer_that_never_returns_are_taken_over_after_claim_idle(
        redis_server, real_redis, consumer_of):
    ids = webhooks(real_redis, 4)
    consumer_of(redis_server, real_redis, "gone").ensure_group()
    real_redis.xreadgroup("crm", "gone", {STREAM: ">"}, count=2)

    handled = []
    peer = consumer_of(redis_server, real_redis, "peer", claim_idle=0.3)
    wait_until(lambda: peer.poll(lambda event: handled.append(event.id)) is not None
               and sorted(handled) == ids, timeout=10, what="the peer took over")
    assert real_redis.xpending(STREAM, "crm")["pending"] == 0


def test_a_failed_handler_is_retried_after_the_retry_delay_not_the_claim_idle(
        redis_server, real_redis, consumer_of):
    [entry_id] = webhooks(real_redis, 1)
    attempts = []

    def flaky(event):
        attempts.append(event.id)
        if len(attempts) < 3:
            raise RuntimeError("downstream unavailable")

    consumer = consumer_of(redis_server, real_redis, "c1", retry_delay=0.1, claim_idle=3600)
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

        client = redis_server.async_client()
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


def test_a_stopped_consumer_gives_the_entries_it_did_not_run_their_delivery_count_back(
        redis_server, real_redis, consumer_of):
    ids = webhooks(real_redis, 4)
    handled = []
    consumer = consumer_of(redis_server, real_redis, "c1", max_deliveries=1, claim_idle=3600)
    consumer.ensure_group()
    consumer.poll(lambda event: handled.append(event.id), stop=lambda: len(handled) == 1)
    assert handled == ids[:1]  # it read all four at once, ran one, then was told to stop
    pending = real_redis.xpending_range(STREAM, "crm", "-", "+", 10)
    assert [(row["message_id"], row["times_delivered"]) for row in pending] == [
        (entry_id, 0) for entry_id in ids[1:]]

    restarted = consumer_of(redis_server, real_redis, "c1", max_deliveries=1, claim_idle=3600)
    restarted.poll(lambda event: handled.append(event.id))
    assert handled == ids  # run, not dead-lettered: a stop is no failed delivery
    assert real_redis.xlen(STREAM + ":dead") == 0
    assert real_redis.xpending(STREAM, "crm")["pending"] == 0


def test_a_consumer_keeps_the_entry_a_peer_took_from_it_while_it_was_stopping(
        redis_server, real_redis, consumer_of):
    ids = webhooks(real_redis, 3)
    consumer = consumer_of(redis_server, real_redis, "c1", claim_idle=3600)
    consumer.ensure_group()
    handled = []

    def slow(event):  # long enough for a peer to take the last entry over meanwhile
        time.sleep(0.2)
        real_redis.xclaim(STREAM, "crm", "peer", 0, [ids[2]])
        time.sleep(0.2)
        handled.append(event.id)

    assert consumer.poll(slow, stop=lambda: len(handled) == 1) == 1
    pending = real_redis.xpending_range(STREAM, "crm", "-", "+", 10)
    assert [(row["message_id"], row["consumer"], row["times_delivered"]) for row in pending] == [
        (ids[1], "c1", 0), (ids[2], "peer", 2)]


@pytest.mark.parametrize("topology", ["cluster", "sentinel"], indirect=True)
def test_retries_and_dead_letters_on_a_cluster_and_behind_sentinel(topology, consumer_of):
    server, client = topology
    ids = webhooks(client, 3)
    handled = []

    def handle(event):
        if event.id == ids[1]:
            raise ValueError("no such customer")
        handled.append(event.id)

    consumer = consumer_of(server, client, "c1", retry_delay=0.05, max_deliveries=2)
    consumer.ensure_group()
    wait_until(lambda: consumer.poll(handle) is not None and client.xlen(STREAM + ":dead"),
               timeout=20, what="the failing entry dead-lettered")
    assert handled == [ids[0], ids[2]]
    [(_, dead)] = client.xrange(STREAM + ":dead")
    assert (dead["dead_entry_id"], dead["dead_deliveries"], dead["dead_error"]) == (
        ids[1], "2", "no such customer")
    assert client.xpending(STREAM, "crm")["pending"] == 0


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


def running(driver, server, handler, stop, **client_options):
    """A thread running consumer c1 of ``server`` until ``stop`` is set: ``Consumer.run``, or
    ``AsyncConsumer.run`` on an event loop of the thread's own."""
    async def main():
        client = server.async_client(**client_options)
        try:
            await AsyncConsumer(client, Keys(), settings("c1")).run(awaited(handler), stop.is_set)
        finally:
            await client.aclose()

    def run_sync():
        with server.client(**client_options) as client:
            Consumer(client, Keys(), settings("c1")).run(handler, stop.is_set)

    thread = threading.Thread(target=run_sync if driver == "sync" else lambda: asyncio.run(main()))
    thread.start()
    return thread


@pytest.mark.parametrize("driver", ["sync", "asyncio"])
def test_a_consumer_started_before_redis_waits_for_it(driver):
    server, handled, stopping = RedisServer(), [], threading.Event()
    thread = running(driver, server, lambda event: handled.append(event.id), stopping,
                     socket_timeout=0.5, socket_connect_timeout=0.5)
    client = server.client()
    try:
        time.sleep(0.5)  # it is failing to connect meanwhile
        server.start()
        wait_until(lambda: client.exists(STREAM), timeout=20, what="the group created")
        ids = webhooks(client, 2)
        wait_until(lambda: handled == ids, timeout=20, what="both handled")
    finally:
        stopping.set()
        thread.join(timeout=20)
        client.close()
        server.stop()
    assert not thread.is_alive()


@pytest.mark.parametrize("driver", ["sync", "asyncio"])
def test_a_consumer_goes_on_when_its_stream_and_group_are_deleted(driver, redis_server,
                                                                 real_redis):
    first = webhooks(real_redis, 2)
    handled, stop = [], threading.Event()
    runner = running(driver, redis_server, lambda event: handled.append(event.id), stop)
    try:
        wait_until(lambda: handled == first, timeout=10, what="the first events")
        real_redis.delete(STREAM)  # FLUSHDB or a careless DEL: the group goes with the stream
        again = webhooks(real_redis, 2)
        wait_until(lambda: handled == first + again, timeout=10, what="events after the DEL")
    finally:
        stop.set()
        runner.join(timeout=10)
    assert not runner.is_alive()
