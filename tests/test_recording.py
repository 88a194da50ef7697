"""record.lua's inputs by name: RecordScript lays them out, Transition holds generic facts.

What the script does with them is tested through the store (test_store_lifecycle.py).
"""

import pytest

from burki_sip.calls.lifecycle import Transition
from burki_sip.calls.keys import Lifetimes
from burki_sip.calls.recording import RecordScript

LIFETIMES = Lifetimes(prewarm_ttl=300, dedupe_ttl=1000, idle_ttl=2000, retention=5000)


def test_the_arguments_are_laid_out_by_name():
    script = RecordScript("status", "2026-04-30T12:00:00.000Z", LIFETIMES,
                          status_key="s", refs_key="r", stream_key="x",
                          transition=Transition("ringing", 3, sip_code=180),
                          maxlen=100, max_age=600, entry={"payload": "{}"})
    assert script.keys() == ["s", "r", "x"]
    args = script.args()
    assert args[:17] == ["status refs stream", "status", "2026-04-30T12:00:00.000Z", 1000,
                         "ringing", 2, 3, 5, 2000, 5000, 100, "", "", 1000, 600, 1, 0]
    assert args[17:] == ["sip_code", "180", "payload", "{}"]


def test_event_facts_follow_the_facts():
    transition = Transition("in-progress", sip_code=200).with_facts({"dial_status": "busy"})
    script = RecordScript("status", "t", LIFETIMES, status_key="s", transition=transition,
                          entry={"payload": "{}"})
    assert script.args()[15:] == [1, 1, "sip_code", "200", "dial_status", "busy", "payload", "{}"]
    assert transition.with_facts(reason="x").event_facts == {"dial_status": "busy"}


def test_a_fact_may_not_take_a_lifecycle_field():
    for name in ("rank", "updated_at", "claim_token", "ringing_at"):
        with pytest.raises(ValueError, match="not a fact"):
            Transition("ringing", **{name: "x"})
    assert Transition("ringing", reason=None, sip_code="").facts == {}
    with pytest.raises(ValueError, match="not a fact"):
        Transition("ringing", event_facts={"status": "x"})
