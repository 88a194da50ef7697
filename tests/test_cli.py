import json
import subprocess
from itertools import islice

import pytest

from burki_sip.calls.store import Transition
from support import BIN


@pytest.fixture
def known_call(app, seed_prewarm):
    """The seed call, prewarmed and walked to in-progress."""
    store = app.extensions["burki_sip"]
    store.save_context(seed_prewarm)
    for status in ("ringing", "in-progress"):
        store.record_event("status", {"call_sid": seed_prewarm["call_sid"], "status": status},
                           "application/json", seed_prewarm["call_sid"],
                           transition=Transition(status, sip_code=200))
    return seed_prewarm["call_sid"]


def test_call_shows_context_status_and_timeline(runner, known_call):
    result = runner.invoke(args=["call", known_call])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "call sip-20260430-abc123"
    assert lines[1].startswith("  context (expires in ") and lines[1].endswith(" s):")
    assert '    variables: {"customer_id": "cust_123"}' in lines
    assert any(line.startswith("  status: in-progress (kept ") for line in lines)
    timeline = lines[lines.index("  timeline:") + 1:]
    assert [line.split()[-1] for line in timeline] == ["ringing", "in-progress"]


def test_call_as_json(runner, known_call):
    result = runner.invoke(args=["call", known_call, "--json"])
    call = json.loads(result.output)
    assert call["context"]["assistant_id"] == 123
    assert call["status"]["status"] == "in-progress"
    assert call["claimed"] is False


def test_unknown_call_fails_clearly(runner):
    result = runner.invoke(args=["call", "nobody"])
    assert result.exit_code == 1
    assert "nothing stored for call nobody" in result.output


def test_events_prints_newest_oldest_first(runner, app):
    store = app.extensions["burki_sip"]
    for number in range(5):
        store.record_event("webhook", {"n": number}, "application/json", f"c{number % 2}")

    lines = runner.invoke(args=["events", "webhook", "--count", "3"]).output.splitlines()
    assert [json.loads(line.split(" ", 3)[3])["n"] for line in lines] == [2, 3, 4]

    lines = runner.invoke(args=["events", "webhook", "--call", "c1"]).output.splitlines()
    assert [json.loads(line.split(" ", 3)[3])["n"] for line in lines] == [1, 3]


def test_status_events_say_whether_they_applied(runner, known_call, app):
    app.extensions["burki_sip"].record_event(
        "status", {"call_sid": known_call, "status": "ringing"}, "application/json",
        known_call, transition=Transition("ringing"))
    lines = runner.invoke(args=["events", "status"]).output.splitlines()
    assert " ringing (not applied) " in lines[-1]
    assert " in-progress " in lines[-2]


def test_follow_yields_new_entries_as_they_arrive(store):
    store.record_event("webhook", {"n": 1}, "application/json")
    store.record_event("webhook", {"n": 2}, "application/json")
    followed = islice(store.follow_events("webhook", after="0-0", block_ms=100), 2)
    assert [json.loads(fields["payload"])["n"] for _, fields in followed] == [1, 2]


@pytest.mark.integration
def test_console_script_reads_the_service_settings(real_redis, redis_server, seed_prewarm):
    from burki_sip.calls.keys import Keys
    from burki_sip.calls.store import CallStore

    CallStore(real_redis, Keys("other:sip")).save_context(seed_prewarm)
    env = {"REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": "other:sip", "PATH": str(BIN)}
    result = subprocess.run([str(BIN / "burki-sip"), "call", seed_prewarm["call_sid"], "--json"],
                            env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["context"]["agenda"] == "Customer support intake"
