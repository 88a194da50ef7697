"""Claims waiting through a Sentinel failover get their context, or ``missing`` at the deadline."""

import asyncio
import time

import pytest

from burki_sip.calls import CallStore, Keys, open_async_store

pytestmark = pytest.mark.integration

WAIT = 6.0  # the failover takes about 3 s here
CALLS = 20


async def wait_through_failover(replicated) -> tuple[list, float, float]:
    """Every call's claim waits; the primary is lost; half the prewarms land on the new one."""
    async with open_async_store(replicated.settings) as store:
        started = time.monotonic()
        claims = [asyncio.create_task(store.claim(f"f{n}", owner="s", wait=WAIT))
                  for n in range(CALLS)]
        await asyncio.sleep(0.3)
        await asyncio.to_thread(replicated.lose_primary)
        promoted = time.monotonic() - started
        writer = CallStore(replicated.client(), Keys())  # asks the Sentinel: the new primary
        for n in range(0, CALLS, 2):
            await asyncio.to_thread(writer.save_context, {"call_sid": f"f{n}"})
        writer.client.close()
        return await asyncio.gather(*claims, return_exceptions=True), promoted, started


def test_waiting_claims_come_through_a_failover_with_the_context_or_missing(redis_replicated,
                                                                            record_figure):
    results, promoted, started = asyncio.run(wait_through_failover(redis_replicated))

    assert not [result for result in results if isinstance(result, BaseException)]
    prewarmed, never = results[0::2], results[1::2]
    assert all(claim.claimed and claim.waited > promoted - 0.5 for claim in prewarmed)
    assert all(claim.missing and WAIT <= claim.waited < WAIT + 2 for claim in never)
    woken = max(claim.waited for claim in prewarmed) - promoted
    record_figure(f"Sentinel failover while {CALLS} claims wait: new primary after "
                  f"{promoted:.1f} s; every prewarmed claim answered within {woken:.2f} s of it")
