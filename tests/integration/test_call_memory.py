"""Redis memory per call on a real redis-server: a prewarm, and a typical call's keys.

The figures are printed and go in docs/console.md and docs/lifecycle.md; the bounds hold them.
"""

import copy

import pytest

from burki_sip import create_app
from burki_sip.calls.keys import Keys
from burki_sip.calls.store import CallStore
from support import SEED_PREWARM

pytestmark = pytest.mark.integration

CALLS = 5000
PREWARM_BUDGET = 512  # bytes of used_memory per prewarmed call (docs/PERFORMANCE.md)
CALL_BUDGET = 1400  # bytes of a typical call's keys, measured 1,224 on redis-server 7.0
REFS_BUDGET = 320  # bytes of its list of references (four entries), measured 280


def usage(client, key: str) -> int:
    """``MEMORY USAGE key SAMPLES 0``: the key, its value and Redis's overheads, in bytes."""
    return client.memory_usage(key, samples=0) or 0


def test_a_prewarm_alone_stays_within_512_bytes(real_redis):
    store = CallStore(real_redis, Keys())
    before = real_redis.info("memory")["used_memory"]
    with real_redis.pipeline(transaction=False) as pipe:
        for number in range(CALLS):
            context = copy.deepcopy(SEED_PREWARM)
            context["call_sid"] = f"sip-20260430-{number:06d}"
            store.save_context(context, pipeline=pipe)
        pipe.execute()
    per_call = (real_redis.info("memory")["used_memory"] - before) / CALLS
    print(f"\nper prewarmed call: {per_call:.0f} B of used_memory")
    assert per_call <= PREWARM_BUDGET


def test_a_typical_call_s_keys(real_redis):
    """Prewarm, an inbound webhook, ringing, a claim, in-progress and completed callbacks."""
    client, keys = create_app({"TESTING": True}, redis_client=real_redis).test_client(), Keys()
    call_sid = SEED_PREWARM["call_sid"]
    assert client.post("/sip-prewarm", json=SEED_PREWARM).status_code == 200
    client.post("/sip-webhook", json={"event": "inbound_call", "call_sid": call_sid,
                                      "from": "+15559876543", "to": "+15551234567"})
    client.post("/sip-status", json={"call_sid": call_sid, "status": "ringing", "sip_code": 180})
    client.post(f"/sip-prewarm/{call_sid}/claim", json={"owner": "media-stream-MZ0123456789"})
    client.post("/sip-status", json={"call_sid": call_sid, "status": "in-progress"})
    client.post("/sip-status", json={"call_sid": call_sid, "status": "completed",
                                     "sip_code": 200, "duration": 42, "reason": "normal"})
    sizes = {key.rsplit(":", 1)[1]: usage(real_redis, key)
             for key in real_redis.scan_iter(f"{keys.call(call_sid)}:*")}

    print(f"\na typical call's keys: {sizes}, {sum(sizes.values())} B in all")
    assert set(sizes) == {"context", "status", "events"}
    assert real_redis.llen(keys.call_events(call_sid)) == 4
    assert sizes["events"] <= REFS_BUDGET and sum(sizes.values()) <= CALL_BUDGET
