"""Redis memory per call: a prewarm stays within 512 bytes; a claim adds no key of its own."""

import pytest

from burki_sip import create_app
from burki_sip.calls.keys import Keys

pytestmark = pytest.mark.integration

BUDGET = 512


def usage(client, key: str) -> int:
    """``MEMORY USAGE key SAMPLES 0``: the key, its value and Redis's overheads, in bytes."""
    return client.memory_usage(key, samples=0) or 0


def test_a_prewarmed_and_claimed_call_stays_small(real_redis, seed_prewarm):
    client = create_app({"TESTING": True}, redis_client=real_redis).test_client()
    call_sid = seed_prewarm["call_sid"]
    keys = Keys()
    context, status = keys.context(call_sid), keys.status(call_sid)
    client.post("/sip-prewarm", json=seed_prewarm)
    prewarmed = usage(real_redis, context)
    for word in ("initiated", "ringing", "in-progress"):
        client.post("/sip-status", json={"call_sid": call_sid, "status": word, "sip_code": 200})
    before_claim = usage(real_redis, status)

    owner = "media-stream-MZ0123456789abcdef0123"
    assert client.post(f"/sip-prewarm/{call_sid}/claim", json={"owner": owner}).status_code == 200
    assert sorted(real_redis.scan_iter(f"{keys.call(call_sid)}:*")) == sorted(
        [context, status, keys.call_events(call_sid)])

    claim_cost = usage(real_redis, status) - before_claim
    claim = {name: real_redis.hget(status, name) for name in ("claim_token", "claimed_by",
                                                              "claimed_at")}
    # Deliberately not a Keys name: ``:claimed`` is the removed design (a claim as a key of its
    # own), written here once only to measure what keeping the claim in the status hash saves.
    removed_design = f"{keys.call(call_sid)}:claimed"
    real_redis.hset(removed_design, mapping=claim)
    own_key = usage(real_redis, removed_design)
    print(f"memory: context {prewarmed} B; a claim adds {claim_cost} B to the status hash "
          f"({before_claim} B before); the same claim as a key of its own: {own_key} B")
    assert prewarmed <= BUDGET
    assert claim_cost < own_key
