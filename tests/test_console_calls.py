"""The console's reads (web/console/calls.py, flags.py) on fakeredis, one redis-server, a Cluster
and Sentinel: calls listed from the streams' newest entries, timelines read by reference."""

import time

from burki_sip.calls.store import Transition
from burki_sip.web.console.calls import call_summary, page_of_calls
from burki_sip.web.console.entries import calls_since, newest_entries
from burki_sip.web.console.flags import flags, matcher, status_group


def status(store, call_sid, word, **facts):
    return store.record_event("status", {"call_sid": call_sid, "status": word},
                              "application/json", call_sid, None, Transition(word, **facts))


def listed(store, **options):
    rows, _ = page_of_calls(store, 0, 50, **options)
    return [row.call_sid for row in rows]


def now_ms():
    return int(time.time() * 1000)


def test_calls_are_listed_by_their_newest_event_and_only_with_one(store):
    store.save_context({"call_sid": "quiet"})
    for call_sid in ("c1", "c2", "c3"):
        status(store, call_sid, "ringing")
    status(store, "c1", "in-progress")
    time.sleep(0.002)  # the streams are merged by entry id: in one millisecond, in any order
    store.record_event("webhook", {"event": "trunk.down"}, "application/json")  # no call
    assert listed(store) == ["c1", "c3", "c2"]
    assert [kind for kind, _, _ in newest_entries(store)] == ["webhook", "status", "status",
                                                               "status", "status"]


def test_pages_start_where_the_last_one_ended(store):
    for number in range(7):
        status(store, f"c{number}", "ringing")
    rows, looked = page_of_calls(store, 2, 3)
    assert [row.call_sid for row in rows] == ["c4", "c3", "c2"] and looked == 7


def heads(store):
    return {kind: store.last_event_id(kind) for kind in ("status", "webhook")}


def test_only_the_entries_recorded_since_are_read_for_the_poll(store):
    for call_sid in ("c1", "c2"):
        status(store, call_sid, "ringing")
    drawn = heads(store)
    status(store, "c1", "in-progress")
    time.sleep(0.002)  # the streams are merged by entry id: in one millisecond, in any order
    store.record_event("webhook", {"call_sid": "c3", "event": "x"}, "application/json", "c3")
    time.sleep(0.002)
    status(store, "c1", "completed")
    now = heads(store)
    status(store, "c4", "ringing")  # after the heads the answer names: the next poll's

    news = calls_since(store, drawn, now, limit=2)  # two new entries in the status stream
    assert [(call_sid, [f.get("status") for _, _, f in seen]) for call_sid, seen in news] == [
        ("c1", ["in-progress", "completed"]), ("c3", [None])]
    assert calls_since(store, drawn, now, limit=1) is None  # more than the bound: read in full
    assert calls_since(store, now, drawn, limit=2) is None  # a stream went back


def test_a_timeline_holds_the_calls_entries_of_both_streams_in_order(store):
    store.save_context({"call_sid": "c1", "from_number": "+15559876543"})
    store.record_event("webhook", {"call_sid": "c1", "event": "inbound_call"},
                       "application/json", "c1", None, Transition("initiated"))
    status(store, "other", "ringing")
    status(store, "c1", "ringing")
    status(store, "c1", "completed", sip_code=200)

    call = call_summary(store, "c1")
    assert [(kind, fields.get("status")) for kind, _, fields in call.events] == [
        ("webhook", "initiated"), ("status", "ringing"), ("status", "completed")]
    assert call.context["from_number"] == "+15559876543" and 0 < call.status_ttl
    assert call_summary(store, "nobody") is None


def test_find_by_number_suffix_call_sid_part_and_status(store):
    store.save_context({"call_sid": "alpha-1", "from_number": "+15559876543"})
    store.save_context({"call_sid": "beta-2", "to_number": "+4915112345678"})
    store.record_event("webhook", {"event": "x"}, "application/json", "alpha-1")
    status(store, "beta-2", "busy")

    def sids(query="", word=""):
        return listed(store, matches=matcher(query, word))

    assert sids("6543") == ["alpha-1"] and sids("5678") == ["beta-2"]
    assert sids("beta") == ["beta-2"]
    assert sids(word="busy") == ["beta-2"] and sids(word="ended") == ["beta-2"]
    assert sids(word="none") == ["alpha-1"] and sids("0000") == []


def test_flags_of_calls_an_operator_hunts(store, any_redis):
    store.save_context({"call_sid": "unclaimed"})
    status(store, "unclaimed", "completed")
    store.save_context({"call_sid": "claimed"})
    store.claim_context("claimed")
    store.record_event("webhook", {"event": "x"}, "application/json", "claimed")
    status(store, "gone", "ringing")
    for suffix in ("status", "events"):  # as when the status expired without an ending
        any_redis.delete(f"burki:sip:call:{{gone}}:{suffix}")
    rows = {row.call_sid: row for row in page_of_calls(store, 0, 10)[0]}

    assert flags(rows["unclaimed"], now_ms()) == ["unclaimed"]
    assert flags(rows["claimed"], now_ms()) == []  # just claimed: its status may still come
    assert flags(rows["claimed"], now_ms() + 60_000) == ["claimed_no_status"]
    assert status_group(rows["gone"]) == "gone" and flags(rows["gone"], now_ms()) == [
        "no_terminal"]


def test_callbacks_not_applied_are_refused_or_repeated_from_the_entries(store):
    for word in ("in-progress", "ringing", "in-progress", "completed", "busy", "completed"):
        status(store, "c1", word)
    assert flags(call_summary(store, "c1"), now_ms()) == ["refused", "duplicates"]


def test_the_provider_is_a_fact_of_the_call(store):
    status(store, "c1", "ringing", provider="twilio")
    assert call_summary(store, "c1").state["provider"] == "twilio"


def test_a_callback_s_provider_is_kept_with_its_transition(fake_redis):
    from burki_sip import create_app
    client = create_app({"TESTING": True}, redis_client=fake_redis).test_client()
    form = {"CallSid": "CA1", "CallStatus": "ringing", "AccountSid": "AC1"}
    assert client.post("/sip-status?provider=twilio", data=form).status_code == 200
    assert fake_redis.hget("burki:sip:call:{CA1}:status", "provider") == "twilio"
