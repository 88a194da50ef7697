"""The console's read API and its index, on fakeredis, one redis-server, a Cluster and Sentinel."""

import pytest

from burki_sip.calls.flags import flags, matcher, status_group
from burki_sip.calls.history import CallHistory
from burki_sip.calls.index import CallIndex, now_ms
from burki_sip.calls.keys import Keys
from burki_sip.calls.store import CallStore, Transition
from burki_sip.calls.connection import is_cluster

INDEX_KEY = "burki:sip:calls"


@pytest.fixture
def indexed(any_redis):
    """A store keeping an index of at most 5 calls."""
    keys = Keys()
    return CallStore(any_redis, keys, streams_in_script=not is_cluster(any_redis),
                     index=CallIndex(keys.calls(), size=5, horizon=3600))


def status(store, call_sid, word, **facts):
    return store.record_event("status", {"call_sid": call_sid, "status": word},
                              "application/json", call_sid, None, Transition(word, **facts))


def test_prewarm_and_first_callback_index_the_call_once(indexed, any_redis):
    indexed.save_context({"call_sid": "c1"})
    first = any_redis.zscore(INDEX_KEY, "c1")
    status(indexed, "c1", "ringing")
    status(indexed, "c2", "ringing")  # a call seen first through its callback

    assert any_redis.zscore(INDEX_KEY, "c1") == first  # NX: first-seen stays
    assert [sid for sid, _ in indexed.index.newest(any_redis, 0, 10)] == ["c2", "c1"]


def test_the_index_keeps_only_the_newest_calls(indexed, any_redis):
    for number in range(8):
        indexed.index.add(any_redis, f"c{number}", score=1_000_000 + number)
        indexed.save_context({"call_sid": f"p{number}"})
    assert any_redis.zcard(INDEX_KEY) == 5
    assert [sid for sid, _ in indexed.index.newest(any_redis, 0, 5)] == [
        "p7", "p6", "p5", "p4", "p3"]  # the old scores were trimmed by age as well


def test_without_the_console_nothing_is_indexed_or_counted(any_redis):
    store = CallStore(any_redis, Keys(), streams_in_script=not is_cluster(any_redis))
    store.save_context({"call_sid": "c1"})
    for word in ("completed", "ringing", "completed"):
        status(store, "c1", word)
    assert not any_redis.exists(INDEX_KEY)
    assert {"refused", "duplicates"}.isdisjoint(any_redis.hgetall("burki:sip:call:{c1}:status"))


def test_callbacks_not_applied_are_counted_as_refused_or_duplicated(indexed, any_redis):
    for word in ("in-progress", "ringing", "in-progress", "completed", "busy", "completed"):
        status(indexed, "c1", word)
    state = any_redis.hgetall("burki:sip:call:{c1}:status")
    # ringing (late) and busy (after the end) were refused; in-progress and completed repeated.
    assert (state["refused"], state["duplicates"]) == ("2", "2")


def test_a_timeline_holds_the_calls_entries_of_both_streams_in_order(indexed):
    indexed.save_context({"call_sid": "c1", "from_number": "+15559876543"})
    indexed.record_event("webhook", {"call_sid": "c1", "event": "inbound_call"},
                         "application/json", "c1", None, Transition("initiated"))
    status(indexed, "other", "ringing")
    status(indexed, "c1", "ringing")
    status(indexed, "c1", "completed", sip_code=200)

    timeline = CallHistory(indexed).timeline("c1")
    assert [(kind, fields.get("status")) for kind, _, fields in timeline.events] == [
        ("webhook", "initiated"), ("status", "ringing"), ("status", "completed")]
    assert timeline.summary.context["from_number"] == "+15559876543"
    assert 0 < timeline.summary.status_ttl and not timeline.truncated


def test_unknown_calls_and_entries_are_none(indexed):
    history = CallHistory(indexed)
    assert history.timeline("nobody") is None
    assert history.event("status", "1-0") is None


def test_a_page_of_recent_calls_and_its_total(indexed):
    for number in range(4):
        indexed.save_context({"call_sid": f"c{number}"})
    rows, total = CallHistory(indexed).recent(1, 2)
    assert [row.call_sid for row in rows] == ["c2", "c1"] and total == 4


def test_find_by_number_suffix_call_sid_part_and_status(indexed):
    indexed.save_context({"call_sid": "alpha-1", "from_number": "+15559876543"})
    indexed.save_context({"call_sid": "beta-2", "to_number": "+4915112345678"})
    status(indexed, "beta-2", "busy")
    history = CallHistory(indexed)

    def sids(query="", word=""):
        return [row.call_sid for row in history.find(matcher(query, word))[0]]

    assert sids("6543") == ["alpha-1"]
    assert sids("5678") == ["beta-2"]
    assert sids("beta") == ["beta-2"]
    assert sids(word="busy") == ["beta-2"] and sids(word="ended") == ["beta-2"]
    assert sids(word="none") == ["alpha-1"]
    assert sids("0000") == []


def test_flags_of_calls_an_operator_hunts(indexed, any_redis):
    old = now_ms() - 120_000
    indexed.save_context({"call_sid": "unclaimed"})
    status(indexed, "unclaimed", "completed")
    indexed.save_context({"call_sid": "claimed"})
    indexed.claim_context("claimed")
    indexed.index.add(any_redis, "gone", score=old)  # seen, then every key expired
    history = CallHistory(indexed)

    def flags_of(call_sid, now=now_ms()):
        return flags(history.summary(call_sid), now, indexed.index.horizon)

    assert flags_of("unclaimed") == ["unclaimed"]
    assert flags_of("claimed") == []  # just claimed: its status may still come
    assert flags_of("claimed", now_ms() + 60_000) == ["claimed_no_status"]
    assert flags_of("gone") == ["no_terminal"]
    assert status_group(history.summary("gone")) == "gone"


def test_the_provider_named_by_an_entry_is_kept_for_the_list(indexed):
    indexed.record_event("status", {"CallSid": "c1", "CallStatus": "ringing"}, "application/json",
                         "c1", None, Transition("ringing"), {"provider": "twilio"})
    indexed.record_event("status", {"call_sid": "c1", "status": "completed"}, "application/json",
                         "c1", None, Transition("completed"), {"provider": "other"})
    assert CallHistory(indexed).summary("c1").state["provider"] == "twilio"


def test_a_call_written_before_the_console_was_on_still_has_its_timeline(any_redis, indexed):
    plain = CallStore(any_redis, Keys(), streams_in_script=not is_cluster(any_redis))
    plain.save_context({"call_sid": "early"})
    status(plain, "early", "ringing")

    timeline = CallHistory(indexed).timeline("early")
    assert timeline.summary.first_seen_ms is None
    assert [fields["status"] for _, _, fields in timeline.events] == ["ringing"]


def test_a_retried_delivery_counts_as_a_duplicate_and_adds_nothing_else(indexed, any_redis):
    first = indexed.record_event("status", {"call_sid": "c1", "status": "ringing"},
                                 "application/json", "c1", "delivery-1", Transition("ringing"))
    again = indexed.record_event("status", {"call_sid": "c1", "status": "ringing"},
                                 "application/json", "c1", "delivery-1", Transition("ringing"))
    assert again.duplicate and again.event_id == first.event_id
    assert any_redis.hget("burki:sip:call:{c1}:status", "duplicates") == "1"
    assert any_redis.xlen("burki:sip:events:status") == 1
