"""Call lifecycle, duplicates and claims in the store, on fakeredis and on a real redis-server."""

import json
import random
from concurrent.futures import ThreadPoolExecutor

import pytest

from burki_sip.calls.keys import Keys
from burki_sip.calls.recording import RecordScript
from burki_sip.calls.store import CallStore, Lifetimes, Transition

LIFETIMES = Lifetimes(prewarm_ttl=300, dedupe_ttl=1000, idle_ttl=2000, retention=5000)
STATUS_KEY = "burki:sip:call:{c1}:status"
REFS = "burki:sip:call:{c1}:events"


# (Redis, streams inside the script?): both ways of writing wherever Redis allows both. A Redis
# Cluster allows only the split: its streams live in other slots than a call's keys.
WRITES = [
    pytest.param(("fake", True), id="fake-one-round-trip"),
    pytest.param(("fake", False), id="fake-cluster-split"),
    pytest.param(("real", True), id="real-one-round-trip", marks=pytest.mark.integration),
    pytest.param(("real", False), id="real-cluster-split", marks=pytest.mark.integration),
    pytest.param(("cluster", False), id="cluster", marks=pytest.mark.integration),
    pytest.param(("sentinel", True), id="sentinel", marks=pytest.mark.integration),
]


@pytest.fixture(params=WRITES)
def write_mode(request):
    return request.param


@pytest.fixture
def any_redis(request, write_mode):
    """This module's Redis kinds come with the way of writing each allows (``WRITES``)."""
    return request.getfixturevalue(f"{write_mode[0]}_redis")


@pytest.fixture
def store(any_redis, write_mode):
    """A ``CallStore`` writing the way ``write_mode`` says."""
    return CallStore(any_redis, Keys(), LIFETIMES, streams_in_script=write_mode[1])


def callback(store, status, call_sid="c1", delivery_id=None, **facts):
    return store.record_event("status", {"call_sid": call_sid, "status": status},
                              "application/json", call_sid, delivery_id,
                              Transition(status, **facts))


def test_a_call_walks_forward(store, any_redis):
    outcomes = [callback(store, status) for status in ("ringing", "in-progress", "completed")]

    assert [(o.applied, o.status) for o in outcomes] == [
        (True, "ringing"), (True, "in-progress"), (True, "completed")]
    state = any_redis.hgetall(STATUS_KEY)
    assert state["status"] == "completed" and state["rank"] == "5"
    assert {"ringing_at", "in-progress_at", "completed_at", "updated_at"} <= set(state)


@pytest.mark.parametrize(("sequence", "final"), [
    (["completed", "ringing"], "completed"),
    (["in-progress", "ringing", "completed"], "completed"),
    (["ringing", "initiated", "queued"], "ringing"),
    (["busy", "completed", "failed"], "busy"),
    (["early-media", "ringing", "in-progress", "early-media"], "in-progress"),
])
def test_out_of_order_callbacks_end_at_the_highest_rank(store, any_redis, sequence, final):
    for status in sequence:
        callback(store, status)
    assert any_redis.hget(STATUS_KEY, "status") == final


def test_late_callback_is_recorded_but_not_applied(store, any_redis):
    callback(store, "completed")
    late = callback(store, "ringing")

    assert (late.applied, late.status) == (False, "completed")
    assert "ringing_at" in any_redis.hgetall(STATUS_KEY)
    entries = any_redis.xrange("burki:sip:events:status")
    assert [(e["status"], e["applied"]) for _, e in entries] == [
        ("completed", "true"), ("ringing", "false")]


def test_a_second_ending_does_not_enter_the_timeline(store, any_redis):
    for status in ("in-progress", "completed", "busy", "hangup"):
        callback(store, status)
    state = any_redis.hgetall(STATUS_KEY)
    assert {name for name in state if name.endswith("_at") and name != "updated_at"} == {
        "in-progress_at", "completed_at"}


def test_exact_duplicate_changes_nothing_but_is_streamed(store, any_redis):
    callback(store, "completed", sip_code=200)
    before = any_redis.hgetall(STATUS_KEY)
    again = callback(store, "completed", sip_code=200)

    assert again.applied is False
    assert any_redis.hgetall(STATUS_KEY) == before
    assert any_redis.xlen("burki:sip:events:status") == 2


def test_sequence_orders_callbacks_of_equal_rank(store, any_redis):
    assert callback(store, "ringing", sequence=2).applied
    assert not callback(store, "ringing", sequence=1, reason="stale").applied
    assert callback(store, "ringing", sequence=3, reason="fresh").applied

    state = any_redis.hgetall(STATUS_KEY)
    assert state["sequence"] == "3" and state["reason"] == "fresh"


def test_late_callback_adds_facts_without_overwriting(store, any_redis):
    callback(store, "completed", sip_code=200)
    callback(store, "in-progress", sip_code=183, duration=42)

    state = any_redis.hgetall(STATUS_KEY)
    assert state["sip_code"] == "200"
    assert state["duration"] == "42"


@pytest.mark.parametrize(("before", "outcome"), [
    (["ringing", "in-progress"], "completed"),
    (["ringing"], "canceled"),
    ([], "canceled"),
])
def test_hangup_means_completed_only_after_in_progress(store, any_redis, before, outcome):
    for status in before:
        callback(store, status)
    assert callback(store, "hangup").status == outcome
    [(_, last)] = any_redis.xrevrange("burki:sip:events:status", count=1)
    assert last["status"] == outcome


def test_status_key_always_has_the_idle_ttl(store, any_redis):
    callback(store, "ringing")
    any_redis.expire(STATUS_KEY, 10)
    callback(store, "ringing")
    assert 1990 <= any_redis.ttl(STATUS_KEY) <= 2000


def test_terminal_status_gives_every_call_key_the_retention(store, any_redis):
    store.save_context({"call_sid": "c1"})
    assert store.claim_context("c1") is not None
    callback(store, "in-progress")
    callback(store, "completed")

    for suffix in ("status", "context", "events"):  # the claim lives in the status hash
        assert 4990 <= any_redis.ttl(f"burki:sip:call:{{c1}}:{suffix}") <= 5000
    callback(store, "completed")
    assert 4990 <= any_redis.ttl(STATUS_KEY) <= 5000


def test_repeated_delivery_is_dropped(store, any_redis):
    first = callback(store, "ringing", delivery_id="msg_1")
    again = callback(store, "ringing", delivery_id="msg_1")
    other = callback(store, "ringing", delivery_id="msg_2")

    assert (first.duplicate, again.duplicate, other.duplicate) == (False, True, False)
    assert again.status == "ringing"
    assert any_redis.xlen("burki:sip:events:status") == 2
    marker = "burki:sip:call:{c1}:delivery:status:msg_1"
    assert 990 <= any_redis.ttl(marker) <= 1000


def test_repeated_delivery_without_a_call_is_dropped(store, any_redis):
    for _ in range(3):
        store.record_event("webhook", {"event": "trunk.down"}, "application/json",
                           delivery_id="msg_9")
    assert any_redis.xlen("burki:sip:events:webhook") == 1
    assert any_redis.exists("burki:sip:delivery:webhook:{msg_9}") == 1


def test_claim_returns_the_context_once(store):
    store.save_context({"call_sid": "c1", "agenda": "a"})
    first = store.claim_context("c1")
    assert first["agenda"] == "a"
    assert store.claim_context("c1") is None
    assert store.claim_context("never") is None
    assert store.inspect_context("c1")[2] is True


@pytest.mark.integration
def test_concurrent_claims_hand_out_the_context_once(real_redis):
    store = CallStore(real_redis, Keys(), LIFETIMES)
    store.save_context({"call_sid": "c1"})
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda _: store.claim_context("c1"), range(64)))
    assert sum(result is not None for result in results) == 1


@pytest.mark.integration
def test_concurrent_callbacks_end_in_the_state_the_ranks_dictate(real_redis):
    store = CallStore(real_redis, Keys(), LIFETIMES)
    statuses = ["queued", "initiated", "ringing", "early-media", "in-progress"] * 39 + [
        "completed"] * 5
    random.Random(7).shuffle(statuses)
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda status: callback(store, status), statuses))

    assert real_redis.hget(STATUS_KEY, "status") == "completed"
    assert real_redis.xlen("burki:sip:events:status") == 200
    # Each rank is applied at most once: the state only moved forward.
    applied = [json.loads(e["payload"])["status"] for _, e in
               real_redis.xrange("burki:sip:events:status") if e["applied"] == "true"]
    assert len(applied) == len(set(applied)) and applied[-1] == "completed"
    assert sum(o.applied for o in outcomes) == len(applied)


def test_any_new_fact_is_applied_by_name_without_changing_the_script(store, any_redis):
    callback(store, "in-progress", dial_status="answered", media_codec="PCMU")
    callback(store, "ringing", dial_status="late", dial_sip_code=180)  # not applied: added only
    callback(store, "completed", dial_status="completed")
    state = any_redis.hgetall(STATUS_KEY)
    assert (state["dial_status"], state["media_codec"]) == ("completed", "PCMU")
    assert state["dial_sip_code"] == "180"


def test_event_facts_are_the_latest_events_whatever_the_status_does(store, any_redis):
    def dialled(status: str, outcome: str, leg: str):
        transition = Transition(status, event_facts={"dial_status": outcome,
                                                     "dial_call_sid": leg})
        return store.record_event("status", {}, "application/json", "c1", None, transition)

    assert dialled("in-progress", "busy", "leg-1").applied
    assert not dialled("in-progress", "completed", "leg-2").applied  # same rank: not applied
    state = any_redis.hgetall(STATUS_KEY)
    assert (state["status"], state["dial_status"], state["dial_call_sid"]) == (
        "in-progress", "completed", "leg-2")
    callback(store, "completed")
    assert any_redis.hget(STATUS_KEY, "dial_status") == "completed"


def test_every_entry_of_a_call_is_referenced_in_order_with_the_status_ttl(store, any_redis):
    webhook = store.record_event("webhook", {"event": "recording.ready"}, "application/json", "c1")
    ids = [callback(store, word).event_id for word in ("ringing", "ringing", "completed")]
    callback(store, "ringing", call_sid="other")
    assert any_redis.lrange(REFS, 0, -1) == [f"webhook:{webhook.event_id}"] + [
        f"status:{entry_id}" for entry_id in ids]
    assert abs(any_redis.ttl(REFS) - any_redis.ttl(STATUS_KEY)) <= 1
    assert any_redis.ttl(REFS) > 4900
    assert [ref.kind for ref, fields in store.call_events("c1") if fields] == [
        "webhook", "status", "status", "status"]


def test_a_call_without_status_keeps_its_references_for_the_idle_ttl(store, any_redis):
    store.record_event("webhook", {"event": "x"}, "application/json", "c1")
    assert 1990 <= any_redis.ttl(REFS) <= 2000 and not any_redis.exists(STATUS_KEY)


def test_a_dropped_retry_adds_no_reference(store, any_redis):
    first = callback(store, "ringing", delivery_id="d1")
    again = callback(store, "ringing", delivery_id="d1")
    assert again.duplicate and again.event_id == first.event_id
    assert any_redis.lrange(REFS, 0, -1) == [f"status:{first.event_id}"]


def test_a_call_keeps_only_its_newest_references(store, any_redis, monkeypatch):
    monkeypatch.setattr(RecordScript, "refs_kept", 3)
    ids = [callback(store, "ringing", sequence=number).event_id for number in range(5)]
    assert any_redis.lrange(REFS, 0, -1) == [f"status:{entry_id}" for entry_id in ids[2:]]


def test_a_failed_append_forgets_the_delivery_so_the_retry_counts(fake_redis):
    """Cluster's split: the call's part ran, the append failed (the stream is not a stream)."""
    store = CallStore(fake_redis, Keys(), LIFETIMES, streams_in_script=False,
                      events_max_backlog=None)
    fake_redis.set("burki:sip:events:status", "not a stream")
    with pytest.raises(Exception, match="WRONGTYPE"):
        callback(store, "ringing", delivery_id="d1")
    assert not fake_redis.exists("burki:sip:call:{c1}:delivery:status:d1")
    fake_redis.delete("burki:sip:events:status")
    retry = callback(store, "ringing", delivery_id="d1")
    assert not retry.duplicate and fake_redis.lrange(REFS, 0, -1) == [f"status:{retry.event_id}"]
