"""The asyncio store never blocks its event loop, even while Redis does not answer at all."""

import asyncio
import gc
import os
import signal
import time

import pytest

from burki_sip.calls import CallStore, Keys, open_async_store
from support import RedisServer

pytestmark = pytest.mark.integration

PAUSE_S = 2.0
TICK_S = 0.005
MAX_LAG_S = 0.050
STREAMS = 200


@pytest.fixture
def pausable():
    """A redis-server of this test's own: the test stops it with SIGSTOP (never another's)."""
    server = RedisServer().start()
    yield server
    server.stop()


async def ticker(lags: list, stop: asyncio.Event) -> None:
    """Sleep ``TICK_S`` again and again, recording how late each wake-up was."""
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(TICK_S)
        lags.append(time.perf_counter() - start - TICK_S)


async def claims_through_a_pause(url: str, pid: int) -> tuple[list, list, object]:
    """200 streams claim while Redis is stopped for ``PAUSE_S``; then one more after it resumes."""
    lags, stop = [], asyncio.Event()
    async with open_async_store({"REDIS_URL": url}) as store:
        assert (await store.claim("warm", owner="s")).claimed  # one pooled connection, the rest new
        tick = asyncio.create_task(ticker(lags, stop))
        await asyncio.sleep(0.1)
        os.kill(pid, signal.SIGSTOP)
        try:
            claims = asyncio.gather(*(store.claim(f"c{n}", owner="s") for n in range(STREAMS)),
                                    return_exceptions=True)
            await asyncio.sleep(PAUSE_S)
        finally:
            os.kill(pid, signal.SIGCONT)
        outcomes = await claims
        after = await store.claim("after", owner="s")
        stop.set()
        await tick
    return lags, outcomes, after


def test_a_ticker_never_waits_50_ms_while_200_claims_wait_on_a_stopped_redis(pausable):
    """Up to 3 runs, the first under the budget passes: the machine is shared, and another
    process's burst can delay any tick. A store that blocks (a sync call waits out the whole
    pause; reading package metadata per connection cost 70-150 ms) is late in every run."""
    writer = CallStore(pausable.client(), Keys())
    runs = []
    for _ in range(3):
        writer.client.flushdb()
        for call_sid in ["warm", "after", *(f"c{n}" for n in range(STREAMS))]:
            writer.save_context({"call_sid": call_sid})
        runs.append(measured_run(pausable))
        if max(runs[-1][0]) < MAX_LAG_S:
            break
    lags, outcomes, after = runs[-1]
    failed = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    print(f"event loop: max lag per run {[round(max(run[0]) * 1000, 1) for run in runs]} ms "
          f"({len(lags)} ticks in the last); {len(failed)} of {STREAMS} claims failed during the "
          f"pause ({sorted({type(exc).__name__ for exc in failed})})")
    assert len(lags) > PAUSE_S / (TICK_S * 4)  # the ticker did run all along
    assert max(lags) < MAX_LAG_S
    assert after.claimed  # and the store works again once Redis does


def measured_run(pausable) -> tuple[list, list, object]:
    """One run of ``claims_through_a_pause``, the suite's garbage frozen out of it.

    What this measures is the store, not the garbage the suite's other tests left: a full
    collection of a heap that big pauses any Python program (850 ms seen after the asyncio
    tests). So collect first and freeze the survivors, as long-lived servers do at start-up.
    """
    gc.collect()
    gc.freeze()
    try:
        return asyncio.run(claims_through_a_pause(pausable.url, pausable.process.pid))
    finally:
        gc.unfreeze()
