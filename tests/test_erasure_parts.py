"""Erasure's parts: the forms of a number and the one rule for finding them (in Python and in
sweep.lua alike), what may be erased, the erasure entry, ``burki-sip erase`` and
``/sip-erasures``. The whole erasure on real Redis: integration/test_erasure*.py."""

import io
import json
import threading

import pytest
import redis

from burki_sip.calls.erasure import MAX_CALL_SIDS, MAX_NUMBERS, Erased, Erasure
from burki_sip.calls.erasure import RECORD_TTL, RUNNING, STALE_SECONDS, record_fields
from burki_sip.calls.erasure_run import BATCH
from burki_sip.calls.events import Event
from burki_sip.calls.keys import Keys
from burki_sip.calls.numbers import MIN_NATIONAL_DIGITS, NumberMatch, forms
from burki_sip.calls.store import CallStore, Transition
from burki_sip.calls.sweeps import PAGE_ENTRIES, PAGE_KEYS, StreamPage
from burki_sip.erase_cli import Progress
from burki_sip.web import erasure_jobs, erasures
from support import ROOT, wait_until

NUMBER = "+14158675309"
TEXTS = {  # text -> whether it holds NUMBER
    "+14158675309": True, "14158675309": True, "%2B14158675309": True,
    "sip:+14158675309@pbx.example": True, "<tel:14158675309>": True, "4158675309": True,
    "04158675309": True, "0014158675309": True, '{"from":"14158675309"}': True,
    "call-_+14158675309_abcd": True, "141586753091": False, "24158675309": False,
    "+1 415 867 5309": False, "94105": False, "": False, "no number": False,
}


def test_the_forms_of_a_number():
    assert forms(NUMBER) == ("14158675309", "0014158675309", "01114158675309", "04158675309",
                             "4158675309")
    assert forms("+447700900123")[-2:] == ("07700900123", "7700900123")
    assert forms("+50012345") == ("50012345", "0050012345", "01150012345")  # national: too short
    for bad in ("14158675309", "+0123456789", "+1 415", "+1234567890123456", "+1415867530x"):
        with pytest.raises(ValueError, match="E.164"):
            forms(bad)


@pytest.mark.parametrize(("text", "holds"), TEXTS.items())
def test_a_number_is_found_where_a_form_stands_between_non_digits(text, holds):
    assert NumberMatch.of([NUMBER]).found_in(text) is holds
    assert NumberMatch().found_in(text) is False


def test_sweep_lua_finds_a_number_exactly_where_python_does(any_redis):
    stream = Keys().events("status")
    ids = {any_redis.xadd(stream, {"payload": text, "call_sid": f"c{n}"}): text
           for n, text in enumerate(TEXTS)}
    page = StreamPage(stream, "-", "+", NumberMatch.of([NUMBER]), frozenset({"c1"}), True)
    store = CallStore(any_redis, Keys())
    following, read, members, found = store._run(page.work())
    assert (following, read) == ("", len(TEXTS))
    assert {ids[entry_id] for entry_id, _, _ in found} == {
        text for text, holds in TEXTS.items() if holds}
    assert members == 0  # c1 holds the number: left for the end of the erasure


@pytest.mark.parametrize(("named", "problem"), [
    ({}, "at least one"),
    ({"call_sids": ("",)}, "empty"),
    ({"call_sids": ("c",) * (MAX_CALL_SIDS + 1)}, f"at most {MAX_CALL_SIDS}"),
    ({"numbers": (NUMBER,) * (MAX_NUMBERS + 1)}, f"{MAX_NUMBERS} numbers"),
    ({"numbers": ("4158675309",)}, "E.164"),
])
def test_what_an_erasure_may_name(named, problem):
    with pytest.raises(ValueError, match=problem):
        Erasure(**named)


def test_keys_of_a_call_and_the_pattern_of_all():
    keys = Keys("a*b?[c]")
    assert keys.every() == r"a\*b\?\[c\]:*"
    assert keys.call_sid_of(keys.status("CA1")) == "CA1"
    assert keys.call_sid_of(keys.delivery("status", "d1", "CA1")) == "CA1"
    assert keys.call_sid_of(keys.delivery("status", "d1")) is None
    assert keys.call_sid_of(keys.events("status")) is None


@pytest.fixture
def recorded(app):
    """A call of NUMBER and one of another number, each with a status callback."""
    store = app.extensions["burki_sip"]
    for call, number in (("mine", NUMBER), ("other", "+14155550100")):
        store.save_context({"call_sid": call, "from_number": number})
        store.record_event("status", {"CallSid": call, "From": number, "CallStatus": "ringing"},
                           "application/json", call, transition=Transition("ringing"))
    return store


def test_the_erasure_entry_is_an_event_consumers_read(recorded):
    erased = recorded.erase(Erasure(numbers=(NUMBER,), request_id="req-1"))
    [(entry_id, fields)] = recorded.client.xrevrange(recorded.keys.events("status"), count=1)
    event = Event.parse("status", entry_id, fields)
    assert (event.id, event.type, event.erased_call_sids) == (erased.event_id, "erasure",
                                                              ("mine",))
    assert (event.schema, event.call_sid, event.request_id) == ("1", None, "req-1")
    assert event.as_dict()["type"] == "erasure" and event.extra == {}
    [(first_id, first)] = recorded.client.xrange(recorded.keys.events("status"), count=1)
    assert Event.parse("status", first_id, first).type is None


def test_erase_prints_counts_never_the_number(recorded, runner):
    counted = runner.invoke(args=["erase", "number", NUMBER, "--dry-run", "--json"])
    assert json.loads(counted.output) == {"dry_run": True, "calls": 1, "keys": 3, "entries": {
        "burki:sip:events:webhook": 0, "burki:sip:events:webhook:dead": 0,
        "burki:sip:events:status": 1, "burki:sip:events:status:dead": 0}, "event_id": None}
    result = runner.invoke(args=["erase", "number", NUMBER])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("erased 1 call(s): 3 key(s), 1 stream entries (")
    assert "erasure entry" in result.output and "4158675309" not in result.output
    assert runner.invoke(args=["erase", "call", "other"]).output.startswith("erased 1 call(s)")
    assert not recorded.client.exists(recorded.keys.status("other"))


@pytest.mark.parametrize(("args", "message"), [
    (["erase", "number", "4158675309"], "a number must be E.164"),
    (["erase", "call"], "Missing argument 'CALL_SIDS...'"),
])
def test_erase_refuses_what_it_cannot_erase(runner, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code == 2 and message in result.output


def test_an_erasure_that_did_not_finish_says_so_and_fails(recorded, runner, monkeypatch):
    def fail(*args, **kwargs):
        raise redis.ConnectionError("connection lost")
    monkeypatch.setattr(recorded.client, "evalsha", fail)  # the first script run, a sweep
    result = runner.invoke(args=["erase", "call", "mine"])
    assert result.exit_code == 1
    assert "did not finish (ConnectionError: connection lost); run the same command again" \
        in result.output


def test_progress_is_shown_on_a_terminal_only():
    class Terminal(io.StringIO):
        def isatty(self):
            return True
    shown, hidden = Progress(Terminal()), Progress(io.StringIO())
    for progress in (shown, hidden):
        progress("erase keys", 1000, None)
        progress.clear()
    assert shown.stream.getvalue().startswith("\rerase keys: 1,000")
    assert hidden.stream.getvalue() == ""


def test_post_answers_the_result_when_it_is_done(client, recorded):
    answer = client.post("/sip-erasures", json={"call_sids": ["mine"]})
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["state"], body["calls"], body["dry_run"]) == ("finished", 1, False)
    assert body["event_id"] and sum(body["entries"].values()) == 1
    assert client.get(f"/sip-erasures/{body['id']}").get_json() == body


def test_post_answers_202_and_where_to_look_when_it_takes_longer(client, recorded, monkeypatch):
    monkeypatch.setattr(erasure_jobs, "WAIT_SECONDS", 0.01)
    slow, run = threading.Event(), erasure_jobs.Job._run
    monkeypatch.setattr(erasure_jobs.Job, "_run", lambda job: (slow.wait(10), run(job)))
    answer = client.post("/sip-erasures", json={"numbers": [NUMBER], "dry_run": True})
    assert answer.status_code == 202 and answer.get_json()["state"] == RUNNING
    location = answer.headers["Location"]
    assert location == f"/sip-erasures/{answer.get_json()['id']}"
    slow.set()
    wait_until(lambda: client.get(location).get_json()["state"] != RUNNING, what="the end")
    body = client.get(location).get_json()
    assert (body["state"], body["dry_run"], body["calls"]) == ("finished", True, 1)
    assert recorded.client.exists(recorded.keys.status("mine"))  # a dry run


def test_a_record_no_longer_written_reads_interrupted(client, recorded):
    fields = {**record_fields(Erasure(call_sids=("x",)), Erased(), RUNNING),
              "updated_at": "2020-01-01T00:00:00.000Z"}
    recorded.save_erasure_record("a" * 32, fields, created=True)
    assert client.get("/sip-erasures/" + "a" * 32).get_json()["state"] == "interrupted"
    assert STALE_SECONDS < 3600
    assert client.get("/sip-erasures/" + "b" * 32).status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({}, "call_sids"),
    ({"call_sids": ["a"], "numbers": [NUMBER]}, "call_sids"),
    ({"numbers": ["4158675309"]}, "numbers"),
    ({"numbers": [NUMBER] * (MAX_NUMBERS + 1)}, "numbers"),
    ({"call_sids": ["a b"]}, "call_sids"),
    ({"call_sids": "a"}, "call_sids"),
])
def test_post_refuses_a_bad_request_and_erases_nothing(client, recorded, body, field):
    before = recorded.client.xlen(recorded.keys.events("status"))
    answer = client.post("/sip-erasures", json=body)
    assert answer.status_code == 400 and list(answer.get_json()["fields"]) == [field]
    assert all(isinstance(text, str) for text in answer.get_json()["fields"][field])
    assert recorded.client.xlen(recorded.keys.events("status")) == before


def test_a_worker_runs_a_few_erasures_at_once(client, recorded, monkeypatch):
    monkeypatch.setattr(erasure_jobs, "_running", erasure_jobs.threading.BoundedSemaphore(1))
    erasure_jobs._running.acquire()
    answer = client.post("/sip-erasures", json={"call_sids": ["mine"]})
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "10"
    assert recorded.client.exists(recorded.keys.status("mine"))


def test_the_pages_give_the_limits_the_code_has():
    privacy, contract = (" ".join((ROOT / "docs" / name).read_text().split())
                         for name in ("privacy.md", "contract.md"))
    for text in (f"At most {MAX_CALL_SIDS} call_sids or {MAX_NUMBERS} numbers",
                 f"within {erasure_jobs.WAIT_SECONDS} s", f"at most {erasure_jobs.MAX_RUNNING} "
                 "erasures", f"{RECORD_TTL} s)", f"for {STALE_SECONDS} s",
                 f"{PAGE_ENTRIES} entries at a time", f"`COUNT` {PAGE_KEYS}", f"{BATCH} ids",
                 f"at least {MIN_NATIONAL_DIGITS} digits",
                 f"Retry-After: {erasures.BUSY_RETRY_AFTER_SECONDS}"):
        assert text in privacy
    for text in (f"(1 to {MAX_CALL_SIDS})", f"(1 to {MAX_NUMBERS}, E.164)",
                 f"within {erasure_jobs.WAIT_SECONDS} s", f"runs {erasure_jobs.MAX_RUNNING} "
                 "erasures", f"for {STALE_SECONDS} s",
                 f"Retry-After: {erasures.BUSY_RETRY_AFTER_SECONDS}"):
        assert text in contract
