"""The asyncio store follows a Sentinel failover, as the sync client does."""

import asyncio

import pytest

from burki_sip.calls import CallStore, Keys, open_async_store

pytestmark = pytest.mark.integration


def test_claims_go_on_after_the_primary_is_lost(redis_replicated):
    writer = CallStore(redis_replicated.primary.client(), Keys())
    for call_sid in ("before", "after"):
        writer.save_context({"call_sid": call_sid})
    redis_replicated.primary.client().wait(1, 5000)  # the replica has both before it is promoted

    async def main():
        async with open_async_store(redis_replicated.settings) as store:
            before = await store.claim("before", owner="stream-a")
            await store.client.wait(1, 5000)  # the claim too reaches the replica first
            await asyncio.to_thread(redis_replicated.lose_primary)
            # The pooled connections to the lost primary break; the retry asks the Sentinel.
            return before, await store.claim("after", owner="stream-b"), await store.claim(
                "before", owner="stream-c")

    before, after, again = asyncio.run(main())
    assert before.claimed and after.claimed
    assert again.already_claimed and again.owner == "stream-a"  # the claim was replicated too
