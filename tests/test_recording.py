"""record.lua's inputs by name (RecordScript), generic facts, and what each call keeps of its events.

The store tests run each write both ways wherever Redis allows both: one script (one server) and
one script per slot (the split a Redis Cluster needs); ``cluster`` runs on a real one.
"""

import pytest

from burki_sip.calls.keys import Keys
from burki_sip.calls.lifecycle import Transition
from burki_sip.calls.lifetimes import Lifetimes
from burki_sip.calls.record_script import RecordScript
from burki_sip.calls.store import CallStore

LIFETIMES = Lifetimes(prewarm_ttl=300, dedupe_ttl=1000, idle_ttl=2000, retention=5000)
STATUS, REFS = "burki:sip:call:{c1}:status", "burki:sip:call:{c1}:events"
WRITES = [
    pytest.param(("fake", True), id="fake-one-round-trip"),
    pytest.param(("fake", False), id="fake-cluster-split"),
    pytest.param(("real", True), id="real-one-round-trip", marks=pytest.mark.integration),
    pytest.param(("real", False), id="real-cluster-split", marks=pytest.mark.integration),
    pytest.param(("cluster", False), id="cluster", marks=pytest.mark.integration),
]


@pytest.fixture(params=WRITES)
def split(request):
    """(a Redis client, a store writing the way the parameter says)."""
    kind, in_script = request.param
    client = request.getfixturevalue(f"{kind}_redis")
    return client, CallStore(client, Keys(), LIFETIMES, streams_in_script=in_script)


def status(store, word, call_sid="c1", delivery_id=None, **facts):
    return store.record_event("status", {"call_sid": call_sid, "status": word},
                              "application/json", call_sid, delivery_id,
                              Transition(word, **facts))


def test_the_arguments_are_laid_out_by_name():
    script = RecordScript("status", "2026-04-30T12:00:00.000Z", LIFETIMES,
                          status_key="s", refs_key="r", stream_key="x",
                          transition=Transition("ringing", 3, sip_code=180),
                          maxlen=100, entry={"payload": "{}"})
    assert script.keys() == ["s", "r", "x"]
    args = script.args()
    assert args[:15] == ["status refs stream", "status", "2026-04-30T12:00:00.000Z", 1000,
                         "ringing", 2, 3, 5, 2000, 5000, 100, "", "", 1000, 1]
    assert args[15:] == ["sip_code", "180", "payload", "{}"]


def test_a_fact_may_not_take_a_lifecycle_field():
    for name in ("rank", "updated_at", "claim_token", "ringing_at"):
        with pytest.raises(ValueError, match="not a fact"):
            Transition("ringing", **{name: "x"})
    assert Transition("ringing", reason=None, sip_code="").facts == {}


def test_any_new_fact_is_applied_by_name_without_changing_the_script(split):
    client, store = split
    status(store, "in-progress", dial_status="answered", claim_waited_ms=12)
    status(store, "ringing", dial_status="late", dial_sip_code=180)  # not applied: added only
    status(store, "completed", dial_status="completed")
    state = client.hgetall(STATUS)
    assert (state["dial_status"], state["claim_waited_ms"]) == ("completed", "12")
    assert state["dial_sip_code"] == "180"


def test_every_entry_of_a_call_is_referenced_in_order_with_the_status_ttl(split):
    client, store = split
    webhook = store.record_event("webhook", {"event": "recording.ready"}, "application/json", "c1")
    ids = [status(store, word).event_id for word in ("ringing", "ringing", "completed")]
    status(store, "ringing", call_sid="other")
    assert client.lrange(REFS, 0, -1) == [f"webhook:{webhook.event_id}"] + [
        f"status:{entry_id}" for entry_id in ids]
    assert abs(client.ttl(REFS) - client.ttl(STATUS)) <= 1 and client.ttl(REFS) > 4900
    assert [ref.kind for ref, fields in store.call_events("c1") if fields] == [
        "webhook", "status", "status", "status"]


def test_a_call_without_status_keeps_its_references_for_the_idle_ttl(split):
    client, store = split
    store.record_event("webhook", {"event": "x"}, "application/json", "c1")
    assert 1990 <= client.ttl(REFS) <= 2000 and not client.exists(STATUS)


def test_a_dropped_retry_adds_no_reference(split):
    client, store = split
    first = status(store, "ringing", delivery_id="d1")
    again = status(store, "ringing", delivery_id="d1")
    assert again.duplicate and again.event_id == first.event_id
    assert client.lrange(REFS, 0, -1) == [f"status:{first.event_id}"]


def test_a_call_keeps_only_its_newest_references(split, monkeypatch):
    client, store = split
    monkeypatch.setattr(RecordScript, "refs_kept", 3)
    ids = [status(store, "ringing", sequence=number).event_id for number in range(5)]
    assert client.lrange(REFS, 0, -1) == [f"status:{entry_id}" for entry_id in ids[2:]]


def test_a_failed_append_forgets_the_delivery_so_the_retry_counts(fake_redis):
    """Cluster's split: the call's part ran, the append failed (the stream is not a stream)."""
    store = CallStore(fake_redis, Keys(), LIFETIMES, streams_in_script=False,
                      events_max_backlog=None)
    fake_redis.set("burki:sip:events:status", "not a stream")
    with pytest.raises(Exception, match="WRONGTYPE"):
        status(store, "ringing", delivery_id="d1")
    assert not fake_redis.exists("burki:sip:call:{c1}:delivery:status:d1")
    fake_redis.delete("burki:sip:events:status")
    retry = status(store, "ringing", delivery_id="d1")
    assert not retry.duplicate and fake_redis.lrange(REFS, 0, -1) == [f"status:{retry.event_id}"]
