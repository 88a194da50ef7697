"""Erasure on one server, a Redis Cluster and Sentinel: after it, a full SCAN of the keyspace and
XRANGE of every stream find no byte of the number and no key of its calls; other calls are as
they were; consumers learn of it from the ``erasure`` entry, after what they had not read."""

import json
import time

import pytest

from burki_sip.calls.erasure import Erasure
from burki_sip.calls.events import Event
from erasure_support import (KEYS, MINE, OTHER, STATUS, STREAMS, TRACE, World, dump, names,
                             text_of, untouched)
from providers_support import fields, fixture

pytestmark = pytest.mark.integration


@pytest.fixture
def world(topology):
    return World(topology[1])


def test_erasing_a_number_leaves_no_byte_of_it_nor_any_key_of_its_calls(world):
    before = dump(world.client)
    everything = text_of(before)
    for form in ("+14158675309", '\\"14158675309', "sip:14158675309@", "%2B14158675309",
                 "04158675309"):
        assert form in everything  # the number was stored in each of these forms
    assert any(key.endswith(":dead") and TRACE in value for key, value in before.items())

    erased = world.store.erase(Erasure(numbers=(MINE,)))

    after = dump(world.client)
    assert TRACE not in text_of(after)
    assert [key for key in after if KEYS.call_sid_of(key) in world.mine.calls] == []
    assert [entry for stream in STREAMS for entry in json.loads(after.get(stream, "[]"))
            if names(entry[1], world.mine.calls)] == []
    kept = untouched(before, world.mine.calls)
    assert untouched(after, world.mine.calls) == {
        **kept, STATUS: kept[STATUS] + [json.loads(after[STATUS])[-1]]}
    assert OTHER[1:] in text_of(after)

    [(event_id, fields)] = world.client.xrevrange(STATUS, count=1)
    event = Event.parse("status", event_id, fields)
    assert (event.type, event_id) == ("erasure", erased.event_id)
    assert set(event.erased_call_sids) == world.mine.calls == erased.calls
    assert event.payload == {"call_sids": sorted(erased.calls), "withheld_call_sids": 0,
                             "numbers": 1}

    survivors = set(json.loads(after[STATUS]) and dict(world.client.xrange(STATUS)))
    assert [event.id for event in world.read_on()] == [
        entry_id for entry_id in world.unread if entry_id in survivors] + [event_id]


def test_erasing_calls_leaves_nothing_of_them_and_everything_else(world):
    calls = {"other-bridge", "other-twilio"}
    before = dump(world.client)
    assert any(KEYS.call_sid_of(key) in calls for key in before)

    erased = world.store.erase(Erasure(call_sids=tuple(sorted(calls))))

    after = dump(world.client)
    assert [key for key in after if KEYS.call_sid_of(key) in calls] == []
    assert [entry for stream in STREAMS for entry in json.loads(after.get(stream, "[]"))
            if names(entry[1], calls)] == []
    unrelated = {key: value for key, value in before.items()
                 if key not in STREAMS and KEYS.call_sid_of(key) not in calls}
    assert {key: after[key] for key in unrelated} == unrelated
    assert TRACE in text_of(after) and OTHER[1:] in text_of(after)
    [(event_id, fields)] = world.client.xrevrange(STATUS, count=1)
    assert Event.parse("status", event_id, fields).erased_call_sids == tuple(sorted(calls))
    assert erased.calls == calls and erased.keys > 0


@pytest.mark.parametrize("topology", ["real"], indirect=True)
def test_a_dry_run_counts_what_the_erasure_then_erases_and_changes_nothing(world):
    before = dump(world.client)
    counted = world.store.erase(Erasure(numbers=(MINE,), dry_run=True))
    assert dump(world.client) == before and counted.event_id is None
    erased = world.store.erase(Erasure(numbers=(MINE,)))
    assert (counted.calls, counted.keys, counted.entries) == (
        erased.calls, erased.keys, erased.entries)
    again = world.store.erase(Erasure(numbers=(MINE,)))  # nothing left: it changes nothing more
    assert (again.calls, again.keys, sum(again.entries.values())) == (set(), 0, 0)


@pytest.mark.parametrize(("node_entries", "left"), [(100, True), (1, False)])
def test_erased_bytes_stay_in_a_stream_node_until_the_whole_node_is_gone(
        real_redis, node_entries, left):
    """XDEL only flags an entry: its bytes go with the last live entry of its node (DUMP, and
    so RDB files, show them until then). One entry per node frees them at once."""
    real_redis.config_set("stream-node-max-entries", node_entries)
    real_redis.config_set("rdbcompression", "no")  # so DUMP shows the bytes as they are
    try:
        world = World(real_redis)
        world.store.erase(Erasure(numbers=(MINE,)))
        dumped = b"".join(real_redis.dump(key) for key in dump(real_redis))
    finally:
        real_redis.config_set("stream-node-max-entries", 100)
        real_redis.config_set("rdbcompression", "yes")
    assert (TRACE.encode() in dumped) is left
    assert TRACE not in text_of(dump(real_redis))



def test_an_erasure_by_number_over_many_entries(real_redis, record_figure):
    """Its time, recorded (not asserted): the figure docs/privacy.md gives is for 100,000."""
    store, stream, count = World(real_redis).store, STATUS, 20_000
    callback = fields(fixture("twilio", "status-completed")[1])  # about 1 KB stored
    fill = real_redis.pipeline(transaction=False)
    for n in range(count):
        number = f"+1212{n:07d}"
        fill.xadd(stream, {"received_at": "t", "content_type": "application/json",
                           "payload": json.dumps({**callback, "From": number, "Caller": number}),
                           "call_sid": f"CA{n}"})
    fill.execute()
    started = time.perf_counter()
    erased = store.erase(Erasure(numbers=(MINE,)))
    seconds = time.perf_counter() - started
    assert erased.finished and TRACE not in text_of(dump(real_redis))
    assert real_redis.xlen(stream) >= count
    record_figure(f"erasure by number over {real_redis.xlen(stream):,} status entries and "
                  f"{real_redis.dbsize():,} keys: {seconds:.2f} s")
