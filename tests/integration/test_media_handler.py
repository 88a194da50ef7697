"""The handoff through a real media handler: examples/media_handler.py under uvicorn, real
WebSocket clients speaking Twilio's Media Streams, a real redis-server, prewarms after streams."""

import asyncio
import gc
import json
import random
import statistics
import time

import pytest

from burki_sip.calls import CallStore, Keys
from burki_sip.calls.claims import RECHECK_S
from burki_sip.calls.clock import epoch_ms
from burki_sip.calls.connection import MAX_CONNECTIONS
from media_support import MediaHandler, open_stream, welcome
from support import wait_until

pytestmark = pytest.mark.integration

CLAIM_WAIT = 2.0
STREAMS = 200
# A blocking call in the handler would make the lag seconds; the 20 ms target is measured by
# `make bench` (handoff, "max loop lag"), not asserted here, where a loaded machine would flake.
MAX_LAG_S = 0.2
# The test and the handler (another process) read one wall clock, but each stamps its time a
# little before or after the moment compared: slack for a loaded machine, far below a wrong order.
ORDER_SLACK_MS = 50


@pytest.fixture(scope="module")
def handler(redis_server):
    server = MediaHandler(redis_server.settings, CLAIM_WAIT).start()
    yield server
    server.stop()


def prewarm(store: CallStore, call_sid: str) -> float:
    """Prewarm as the service does; return when it was done (epoch s: the bridge has its 200)."""
    store.save_context({"call_sid": call_sid, "welcome_message": f"Hello {call_sid}"})
    return time.time()


async def prewarm_after(store: CallStore, call_sid: str, delay: float) -> float:
    await asyncio.sleep(delay)
    return await asyncio.to_thread(prewarm, store, call_sid)


async def handoffs(url: str, store: CallStore, count: int) -> list[tuple]:
    """``count`` streams start, then each call's prewarm lands 0 to 1.5 s later."""
    opened = await asyncio.gather(*(open_stream(url, f"late-{n}", f"MZ{n}") for n in range(count)))
    prewarms = [asyncio.create_task(prewarm_after(store, f"late-{n}", random.uniform(0, 1.5)))
                for n in range(count)]
    welcomes = await asyncio.gather(*(welcome(socket) for socket, _ in opened))
    done = await asyncio.gather(*prewarms)
    for socket, _ in opened:
        await socket.close()
    return [(started, landed, message, arrived) for (_, started), landed, (message, arrived)
            in zip(opened, done, welcomes)]


def test_200_streams_connected_before_their_prewarms_each_get_their_own_context(
        handler, real_redis, record_figure):
    store = CallStore(real_redis, Keys())
    results = asyncio.run(handoffs(handler.url, store, STREAMS))

    woken, waited = [], []
    for n, (started, landed, message, arrived) in enumerate(results):
        assert (message["outcome"], message["text"]) == ("claimed", f"Hello late-{n}")
        assert message["streamSid"] == f"MZ{n}"
        status = real_redis.hgetall(f"burki:sip:call:{{late-{n}}}:status")
        assert int(status["claim_waited_ms"]) == message["waited_ms"]
        claimed, prewarmed = epoch_ms(status["claimed_at"]), epoch_ms(status["prewarmed_at"])
        # The handler asked (claimed_at - waited) between this stream's start and its welcome,
        # and a claim that waited got the context right after the prewarm stored it.
        asked = claimed - message["waited_ms"]
        assert started * 1000 - ORDER_SLACK_MS <= asked <= arrived * 1000 + ORDER_SLACK_MS
        if message["waited_ms"]:
            woken.append(claimed - prewarmed)
            waited.append(message["waited_ms"])
    record_figure(f"handler, {STREAMS} streams before their prewarms: {len(waited)} waited "
                  f"(median {statistics.median(waited):.0f} ms, max {max(waited)} ms); "
                  f"prewarm stored to claim granted p50 {statistics.median(woken):.0f} ms, max "
                  f"{max(woken)} ms")
    # (a claim stamps its time as it is sent, a prewarm too: they may cross by a few ms)
    # A claim woken late still looks again within RECHECK_S (claims.py): the bound cannot flake
    # on a loaded machine, yet fails if a claim slept through its prewarm.
    assert len(waited) > STREAMS // 2 and -50 <= min(woken)
    assert max(woken) < RECHECK_S * 1000 + 500


def test_a_stream_whose_prewarm_never_comes_gets_missing_at_its_deadline(handler, real_redis):
    async def main():
        socket, started = await open_stream(handler.url, "never", "MZnever")
        message, arrived = await welcome(socket)
        await socket.close()
        return message, arrived - started

    message, elapsed = asyncio.run(main())
    assert message["outcome"] == "missing" and message["text"]  # the generic welcome
    assert CLAIM_WAIT <= elapsed < CLAIM_WAIT + 1.0
    assert CLAIM_WAIT * 1000 <= message["waited_ms"] < (CLAIM_WAIT + 1.0) * 1000
    assert not real_redis.exists("burki:sip:call:{never}:status")  # nothing claimed


def test_two_streams_for_one_call_one_claims_the_other_is_refused(handler, real_redis):
    store = CallStore(real_redis, Keys())

    async def main():
        streams = [(await open_stream(handler.url, "twice", sid))[0] for sid in ("MZa", "MZb")]
        await prewarm_after(store, "twice", 0.3)
        messages = [(await welcome(socket))[0] for socket in streams]
        refused = streams[[m["outcome"] for m in messages].index("already_claimed")]
        await refused.wait_closed()
        for socket in streams:
            await socket.close()
        return messages, refused.close_code

    messages, close_code = asyncio.run(main())
    assert sorted(message["outcome"] for message in messages) == ["already_claimed", "claimed"]
    assert close_code == 1008
    wait_until(lambda: "released_at" in real_redis.hgetall("burki:sip:call:{twice}:status"),
               what="the claim released when its stream ended")


def test_a_stream_that_disconnects_while_waiting_leaves_nothing_behind(handler, real_redis):
    store = CallStore(real_redis, Keys())
    channel = "burki:sip:call:{gone}:prewarmed"

    async def main():
        socket, _ = await open_stream(handler.url, "gone", "MZgone")
        wait_until(lambda: real_redis.pubsub_shardnumsub(channel)[0][1] == 1, timeout=5,
                   what="the waiting claim subscribed")
        await socket.close()

    asyncio.run(main())
    wait_until(lambda: real_redis.pubsub_shardnumsub(channel)[0][1] == 0, timeout=5,
               what="the subscription dropped")
    prewarm(store, "gone")
    time.sleep(0.3)
    assert not real_redis.exists("burki:sip:call:{gone}:status")  # no claim, then or now


async def marks(socket, phase: list, every: float = 0.005) -> list[tuple[str, float]]:
    """Round trips of a ``mark`` to the handler and back, every ``every`` s, each with the phase
    (``phase[0]``) it was sent in, until that is ``done``."""
    trips = []
    while (now := phase[0]) != "done":
        sent = time.perf_counter()
        await socket.send(json.dumps({"event": "mark", "mark": {"name": str(sent)}}))
        await socket.recv()
        trips.append((now, time.perf_counter() - sent))
        await asyncio.sleep(every)
    return trips


async def thousand_waiting(url: str, store: CallStore, redis_client) -> tuple[list, dict]:
    """A probe stream measures while 1,000 streams connect, wait, then all get their context."""
    phase = ["connecting"]
    probe, _ = await open_stream(url, "probe", "MZprobe")
    await welcome(probe)
    measuring = asyncio.create_task(marks(probe, phase))
    opened = []
    for batch in range(10):  # 100 handshakes at a time
        opened += await asyncio.gather(*(open_stream(url, f"wait-{n}", f"MZw{n}")
                                         for n in range(batch * 100, batch * 100 + 100)))
    await asyncio.sleep(0.3)
    phase[0] = "waiting"
    await asyncio.sleep(0.7)
    seen = {"clients": redis_client.client_list()}
    phase[0] = "woken"
    await asyncio.to_thread(lambda: [prewarm(store, f"wait-{n}") for n in range(1000)])
    seen["welcomes"] = await asyncio.gather(*(welcome(socket) for socket, _ in opened))
    phase[0] = "done"
    trips = await measuring
    for socket, _ in opened + [(probe, 0)]:
        await socket.close()
    return trips, seen


def test_the_handler_loop_stays_responsive_with_1000_streams_waiting(own_redis_server,
                                                                      record_figure):
    """A stream already claimed sends marks all along: their round trip bounds the handler's
    event-loop lag (this process's own lag adds to it, so the bound is conservative).
    Redis is the test's own, to count the handler's connections."""
    real_redis = own_redis_server.client()
    store = CallStore(real_redis, Keys())
    prewarm(store, "probe")
    # A claim wait of 10 s: 1,000 streams take seconds to connect.
    handler = MediaHandler(own_redis_server.settings, 10.0).start()
    gc.collect()
    gc.freeze()
    try:
        trips, seen = asyncio.run(thousand_waiting(handler.url, store, real_redis))
    finally:
        gc.unfreeze()
        handler.stop()
        real_redis.close()
    outcomes = [message["outcome"] for message, _ in seen["welcomes"]]
    assert outcomes == ["claimed"] * 1000, {o: outcomes.count(o) for o in set(outcomes)}
    base = statistics.median(trip for _, trip in trips)
    worst = {name: max([trip - base for phase, trip in trips if phase == name], default=0)
             for name in ("connecting", "waiting", "woken")}
    subscribers = [client for client in seen["clients"] if int(client.get("ssub", 0))]
    record_figure(f"handler, 1000 streams: mark round trip median {base * 1000:.2f} ms; worst "
                  "excess " + ", ".join(f"{name} {late * 1000:.1f} ms" for name, late
                                        in worst.items()) + f"; Redis connections while "
                  f"waiting {len(seen['clients']) - 1} (subscriber {len(subscribers)}, "
                  f"{sum(int(c['ssub']) for c in subscribers)} channels)")
    assert len(subscribers) == 1 and int(subscribers[0]["ssub"]) == 1000
    # Waiting costs the subscriber connection; the pool is what the burst of first claims
    # opened (at most MAX_CONNECTIONS), idle while they wait. And this test's own client.
    assert len(seen["clients"]) <= MAX_CONNECTIONS + 1 + 1
    assert worst["waiting"] < MAX_LAG_S
