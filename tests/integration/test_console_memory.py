"""Redis memory per prewarmed call, without and with the console's index (a real redis-server).

Without the console a call costs what it did (the <= 512 B target of docs/PERFORMANCE.md); with
it, its index entry adds a sorted-set member, and the index never holds more than its bound.
"""

import copy

import pytest

from burki_sip.calls.index import CallIndex
from burki_sip.calls.keys import Keys
from burki_sip.calls.store import CallStore
from support import SEED_PREWARM

pytestmark = pytest.mark.integration

CALLS = 5000
INDEX_ENTRY_MAX = 160  # bytes; measured ~124 (skiplist node, dict entry, the call_sid)


def prewarm_many(store, client, calls):
    """``calls`` seed prewarms with call_sids as long as the seed's, in one pipeline."""
    with client.pipeline(transaction=False) as pipe:
        for number in range(calls):
            context = copy.deepcopy(SEED_PREWARM)
            context["call_sid"] = f"sip-20260430-{number:06d}"
            store.save_context(context, pipeline=pipe)
        pipe.execute()


def grown_per_call(client, store, calls=CALLS):
    before = client.info("memory")["used_memory"]
    prewarm_many(store, client, calls)
    return (client.info("memory")["used_memory"] - before) / calls


def test_without_the_console_a_call_stays_within_512_bytes(real_redis):
    store = CallStore(real_redis, Keys())
    assert grown_per_call(real_redis, store) <= 512
    assert not real_redis.exists(Keys().calls())


def test_the_console_index_adds_a_small_bounded_entry_per_call(real_redis):
    keys = Keys()
    store = CallStore(real_redis, keys, index=CallIndex(keys.calls(), size=CALLS, horizon=86400))
    per_call = grown_per_call(real_redis, store)
    index_bytes = real_redis.memory_usage(keys.calls(), samples=0)

    assert real_redis.zcard(keys.calls()) == CALLS
    assert index_bytes / CALLS <= INDEX_ENTRY_MAX
    print(f"\nper prewarmed call with the index: {per_call:.0f} B used_memory growth, "
          f"index {index_bytes / CALLS:.0f} B of it")


def test_the_index_never_outgrows_its_bound(real_redis):
    keys = Keys()
    store = CallStore(real_redis, keys, index=CallIndex(keys.calls(), size=1000, horizon=86400))
    prewarm_many(store, real_redis, 3000)
    assert real_redis.zcard(keys.calls()) == 1000
    assert real_redis.memory_usage(keys.calls(), samples=0) <= 1000 * INDEX_ENTRY_MAX
    newest = real_redis.zrevrange(keys.calls(), 0, 0)
    assert newest == ["sip-20260430-002999"]
