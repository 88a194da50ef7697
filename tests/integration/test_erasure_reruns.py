"""An erasure cut short anywhere is finished by running it again, and one run while callbacks for
the same number keep arriving erases everything recorded before it; the next run, the rest."""

import json
import threading

import pytest

from burki_sip import create_app
from burki_sip.calls.erasure import Erased, Erasure
from burki_sip.calls.events import Event
from burki_sip.calls.store import CallStore
from erasure_support import (KEYS, MINE, OTHER, STATUS, STREAMS, TRACE, Traffic, World, dump,
                             names, text_of, untouched)

pytestmark = pytest.mark.integration


class Crash(Exception):
    """The process running the erasure stopped here."""


def crash_after(steps: int):
    """A progress callback that stops the run at its ``steps``-th report (after a page)."""
    count = iter(range(steps, 0, -1))

    def progress(stage, done, total):
        if next(count) == 1:
            raise Crash(stage)
    return progress


def told(client) -> set[str]:
    """Every call an ``erasure`` entry of the status stream names."""
    return {call for entry_id, fields in client.xrange(STATUS)
            for call in Event.parse("status", entry_id, fields).erased_call_sids}


def assert_all_erased(client, calls: set[str], kept: dict) -> None:
    after = dump(client)
    assert TRACE not in text_of(after)
    assert [key for key in after if KEYS.call_sid_of(key) in calls] == []
    assert [entry for stream in STREAMS for entry in json.loads(after.get(stream, "[]"))
            if names(entry[1], calls)] == []
    survivors = untouched(after, calls)
    survivors[STATUS] = [entry for entry in survivors[STATUS] if "erasure" not in entry[1].values()]
    assert survivors == kept


@pytest.mark.parametrize("topology", ["real"], indirect=True)
def test_a_run_cut_short_after_any_page_is_finished_by_the_next(topology):
    _, client = topology
    steps = []
    World(client).store.erase(Erasure(numbers=(MINE,)),
                              progress=lambda *report: steps.append(report))
    stages = [stage for stage, _, _ in steps]
    assert {"find keys", "erase keys", "delete keys", "erase arrivals"} <= set(stages)
    # The first and the last page of every step (each page is a bounded command or pipeline).
    cuts = sorted({n + 1 for n, stage in enumerate(stages)
                   if n in (0, len(stages) - 1) or stage != stages[n - 1]
                   or stage != stages[n + 1]})
    for cut in cuts:
        client.flushdb()
        world = World(client)
        kept = untouched(dump(client), world.mine.calls)
        partial = Erased()
        try:
            world.store.erase(Erasure(numbers=(MINE,)), partial, crash_after(cut))
        except Crash:
            assert not partial.finished
        assert world.store.erase(Erasure(numbers=(MINE,))).finished
        assert_all_erased(client, world.mine.calls, kept)
        assert told(client) == world.mine.calls, f"cut after {cut} pages"


@pytest.mark.parametrize("topology", ["real", "cluster"], indirect=True)
def test_callbacks_arriving_during_a_run_are_left_for_the_next(topology):
    _, client = topology
    world = World(client)
    filler = client.pipeline(transaction=False)
    for n in range(6000):  # so the run lasts long enough for callbacks to arrive during it
        filler.xadd(STATUS, {"received_at": "t", "content_type": "application/json",
                             "payload": json.dumps({"n": n}), "call_sid": f"filler-{n}"})
    filler.execute()
    kept = untouched(dump(client), world.mine.calls)
    live = Traffic(create_app({"TESTING": True}, redis_client=client).test_client(), MINE, "live")
    stop, started = threading.Event(), threading.Event()

    def callbacks():
        n = 0
        while not stop.is_set():
            n += 1
            live.post("/sip-status", {"CallSid": f"live-{n % 3}", "From": MINE,
                                      "CallStatus": "ringing"}, query="?provider=twilio")
            live.calls.add(f"live-{n % 3}")
            started.set()

    sender = threading.Thread(target=callbacks)
    sender.start()
    started.wait(10)
    newest_before = client.xrevrange(STATUS, count=1)[0][0]
    try:
        first = world.store.erase(Erasure(numbers=(MINE,)))
    finally:
        stop.set()
        sender.join()
    assert first.finished and world.mine.calls <= first.calls
    before = [entry for entry_id, entry in client.xrange(STATUS, max=newest_before)]
    assert [entry for entry in before if TRACE in json.dumps(entry)] == []
    assert [key for key in dump(client) if KEYS.call_sid_of(key) in world.mine.calls] == []
    assert live.delivery > 1, "no callback arrived during the run"

    world.store.erase(Erasure(numbers=(MINE,)))
    calls = world.mine.calls | live.calls
    assert_all_erased(client, calls, {**kept, STATUS: [
        entry for entry in kept[STATUS] if not entry[1].get("call_sid", "").startswith("live")]})
    assert calls <= told(client)
    assert OTHER[1:] in text_of(dump(client))


def test_an_entry_recorded_between_the_stream_and_the_key_sweeps_is_erased(real_redis):
    store = CallStore(real_redis, KEYS)
    call = {"CallSid": "between", "CallStatus": "ringing"}
    store.record_event("status", call, "application/json", call_sid="between")
    late = []

    def progress(stage, done, total):
        # Reported as the run goes, between its Redis operations: here the status stream's
        # sweep has read its last entry (its dead letters are empty), and the key sweep is next.
        if stage == f"erase {STATUS}" and done == total and not late:
            late.append(store.record_event("status", call, "application/json",
                                           call_sid="between").event_id)

    assert store.erase(Erasure(call_sids=("between",)), progress=progress).finished
    assert late, "the status stream was not swept"
    assert [(stream, entry_id) for stream in STREAMS
            for entry_id, fields in real_redis.xrange(stream)
            if fields.get("call_sid") == "between"] == []
    assert [key for key in dump(real_redis) if KEYS.call_sid_of(key) == "between"] == []


def test_a_calls_entries_before_its_number_came_are_erased_too(real_redis):
    """A call whose number first arrives once the find step is over is found by the stream sweep
    at the entry holding the number: its earlier entries, passed while the call was not yet
    known, are erased through the call's list of entries."""
    store = CallStore(real_redis, KEYS)
    store.record_event("status", {"CallSid": "later", "CallStatus": "ringing"},
                       "application/json", call_sid="later")
    numbered = []

    def progress(stage, done, total):
        # The status stream was the last to be searched (the others are empty): the find step
        # is over, and the erase step's sweep of it is next.
        if stage == f"find {STATUS}" and done == total and not numbered:
            numbered.append(store.record_event(
                "status", {"CallSid": "later", "CallStatus": "in-progress", "From": MINE},
                "application/json", call_sid="later").event_id)

    assert store.erase(Erasure(numbers=(MINE,)), progress=progress).finished
    assert numbered, "the run reported no erase stage"
    assert [(stream, entry_id) for stream in STREAMS
            for entry_id, fields in real_redis.xrange(stream)
            if fields.get("call_sid") == "later"] == []
    assert [key for key in dump(real_redis) if KEYS.call_sid_of(key) == "later"] == []
