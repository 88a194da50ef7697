"""Retention by age (``SIP_EVENTS_RETENTION``) on real Redis: the next write trims entries older
than it, exactly, even below ``SIP_EVENTS_MAXLEN``; entries a group has not acknowledged stay."""

import time

import pytest

from burki_sip.calls.connection import is_cluster
from burki_sip.calls.consumer import Consumer
from burki_sip.calls.delivery import ConsumerSettings
from burki_sip.calls.keys import Keys
from burki_sip.calls.store import CallStore, Transition

pytestmark = pytest.mark.integration

KEYS = Keys()
STREAM, DEAD = KEYS.events("status"), KEYS.dead_letters("status")
HOUR_MS = 3600 * 1000


def old_entries(client, stream, count, age_ms=HOUR_MS):
    """``count`` entries as if written ``age_ms`` ago (their ids say when)."""
    start = int(time.time() * 1000) - age_ms
    return [client.xadd(stream, {"received_at": "then", "content_type": "application/json",
                                 "payload": '{"from": "+15550001111"}'}, id=f"{start + n}-0")
            for n in range(count)]


def store_on(client, retention=60):
    return CallStore(client, KEYS, events_maxlen=1000, events_retention=retention,
                     streams_in_script=not is_cluster(client))


def record(store, n):
    return store.record_event("status", {"n": n}, "application/json", f"call-{n}",
                              transition=Transition("ringing")).event_id


def ids(client, stream):
    return [entry_id for entry_id, _ in client.xrange(stream)]


def test_the_next_write_trims_older_entries_exactly_below_the_cap(topology):
    _, client = topology
    old = old_entries(client, STREAM, 250)  # several stream nodes, the last one partly old
    recent = [record(store_on(client, retention=None), n) for n in range(3)]
    assert ids(client, STREAM) == old + recent  # unset: by length only, as before

    newest = record(store_on(client), 3)
    assert ids(client, STREAM) == recent + [newest]


def test_entries_a_group_has_not_acknowledged_stay(topology):
    _, client = topology
    old = old_entries(client, STREAM, 30)
    client.xgroup_create(STREAM, "billing", "0")
    consumer = Consumer(client, KEYS, ConsumerSettings("status", "billing", "b1", batch=10,
                                                       block_ms=10))
    assert consumer.poll(lambda event: None) == 10  # the oldest ten acknowledged, the rest not

    newest = record(store_on(client), 0)
    assert ids(client, STREAM) == old[10:] + [newest]


def test_running_consumers_trim_their_dead_letters_by_age(real_redis):
    old_entries(real_redis, DEAD, 5)
    fresh = real_redis.xadd(DEAD, {"dead_entry_id": "1-0"})
    settings = ConsumerSettings("status", "billing", "b1", block_ms=10, dead_retention=60)
    Consumer(real_redis, KEYS, settings).run(lambda event: None, stop=iter([False, True]).__next__)
    assert ids(real_redis, DEAD) == [fresh]
