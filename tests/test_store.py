"""CallStore on fakeredis and on a real redis-server (every test here runs on both)."""

import json

import pytest
import redis

from burki_sip.calls.keys import Keys
from burki_sip.calls.store import CallStore, Lifetimes


def test_context_is_json_text_with_its_ttl(store, any_redis, seed_prewarm):
    store.save_context(seed_prewarm)

    key = "burki:sip:call:{sip-20260430-abc123}:context"
    assert any_redis.type(key) == "string"
    stored = json.loads(any_redis.get(key))
    assert stored["variables"] == {"customer_id": "cust_123"}
    assert 295 <= any_redis.ttl(key) <= 300
    assert store.load_context("sip-20260430-abc123") == stored


def test_saving_again_restarts_the_ttl(store, any_redis):
    key = "burki:sip:call:{c1}:context"
    store.save_context({"call_sid": "c1"})
    any_redis.expire(key, 5)
    store.save_context({"call_sid": "c1", "agenda": "again"})
    assert any_redis.ttl(key) > 290
    assert store.load_context("c1")["agenda"] == "again"


def test_absent_context_loads_as_none(store):
    assert store.load_context("never-prewarmed") is None


def test_event_entry_has_its_fields(store, any_redis):
    recorded = store.record_event("status", {"CallSid": "CA1", "CallStatus": "ringing"},
                                  "application/x-www-form-urlencoded", call_sid="CA1")

    [(entry_id, entry)] = any_redis.xrange("burki:sip:events:status")
    assert entry_id == recorded.event_id
    assert set(entry) == {"schema", "call_sid", "received_at", "content_type", "payload"}
    assert entry["schema"] == "1"
    assert json.loads(entry["payload"]) == {"CallSid": "CA1", "CallStatus": "ringing"}


def test_prefix_separates_deployments(any_redis):
    one = CallStore(any_redis, Keys("one:sip"))
    two = CallStore(any_redis, Keys("two:sip"))
    one.save_context({"call_sid": "c1", "agenda": "one"})
    assert two.load_context("c1") is None
    assert one.load_context("c1")["agenda"] == "one"


@pytest.mark.integration
def test_stream_stays_capped_on_real_redis(real_redis):
    # Approximate trimming frees whole macro-nodes (100 entries by default), so the cap only
    # shows on real Redis and with more entries than a node holds.
    store = CallStore(real_redis, Keys(), events_maxlen=1000)
    for number in range(5000):
        store.record_event("webhook", {"n": number}, "application/json")
    assert 1000 <= real_redis.xlen("burki:sip:events:webhook") <= 1100
    [(_, newest)] = real_redis.xrevrange("burki:sip:events:webhook", count=1)
    assert json.loads(newest["payload"]) == {"n": 4999}


@pytest.mark.integration
def test_saving_a_context_is_one_set_and_its_announcement_in_one_round_trip(real_redis,
                                                                          seed_prewarm):
    store = CallStore(real_redis, Keys())
    store.save_context(seed_prewarm)  # the pool's connection exists from here on
    before = real_redis.info("all")

    store.save_context(seed_prewarm)

    after = real_redis.info("all")
    calls = {name: after[name]["calls"] - before.get(name, {"calls": 0})["calls"]
             for name in after if name.startswith("cmdstat_")}
    assert {name: count for name, count in calls.items() if count} == {
        "cmdstat_set": 1, "cmdstat_spublish": 1, "cmdstat_info": 1}
    # one read of the prewarm's commands, one of the second INFO
    assert after["total_reads_processed"] - before["total_reads_processed"] == 2


@pytest.mark.integration
def test_connection_killed_by_the_server_is_replaced(real_redis, redis_server):
    store = CallStore(real_redis, Keys())
    store.save_context({"call_sid": "c1"})
    admin = redis_server.client()
    assert admin.client_kill_filter(_type="normal", skipme=True) >= 1

    store.save_context({"call_sid": "c2"})

    assert store.load_context("c2")["call_sid"] == "c2"
    admin.close()


@pytest.mark.integration
def test_error_reply_is_raised_and_the_connection_stays_usable(real_redis):
    refused = CallStore(real_redis, Keys(), Lifetimes(prewarm_ttl=-1))  # Redis refuses it

    with pytest.raises(redis.ResponseError):
        refused.save_context({"call_sid": "c1"})
    store = CallStore(real_redis, Keys())
    store.save_context({"call_sid": "c1"})
    assert store.load_context("c1")["call_sid"] == "c1"
