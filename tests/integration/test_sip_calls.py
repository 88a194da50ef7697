"""Real SIP calls end to end: SIPp callers, the reference Kamailio bridge, a SIPp callee, and the
service under gunicorn on a redis-server of its own, every part on a free loopback port.

What each call ends as is read back over HTTP, as the media handler and operators read it.
"""

from __future__ import annotations

import json
import os
import re
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime

import pytest
import requests

from burki_sip.calls.keys import Keys
from sip_support import (Calls, finish, missing_tools, place, shared_memory, start_bridge,
                         start_callee)
from support import Gunicorn, free_port, wait_until

pytestmark = pytest.mark.integration

KEY = "bridge-key-for-sip-tests"
AUTH = {"X-API-Key": KEY}


@dataclass(frozen=True)
class Ending:
    """What a call of one scenario must end as (the status view's fields are text)."""

    status: str
    sip_code: str
    timeline: tuple[str, ...]
    duration: str | None = None
    reason: str | None = None


ENDINGS = {
    "caller-hangup": Ending("completed", "200", ("initiated", "ringing", "in-progress", "completed"),
                            "1", "caller hung up"),
    "callee-hangup": Ending("completed", "200",
                            ("initiated", "early-media", "in-progress", "completed"), "1",
                            "callee hung up"),
    "busy": Ending("busy", "486", ("initiated", "busy")),
    "busy-everywhere": Ending("busy", "600", ("initiated", "busy")),
    "no-answer": Ending("no-answer", "408", ("initiated", "ringing", "no-answer")),
    "unavailable": Ending("no-answer", "480", ("initiated", "ringing", "no-answer")),
    "terminated": Ending("no-answer", "487", ("initiated", "ringing", "no-answer")),
    "cancel": Ending("canceled", "487", ("initiated", "ringing", "canceled"), None,
                     "caller canceled"),
    "failure": Ending("failed", "404", ("initiated", "failed")),
    # Not even a 100 Trying: the bridge gives up after its fr_timer (5 s), the longest scenario.
    "no-reply": Ending("failed", "408", ("initiated", "failed"), None,
                       "no reply from the callee"),
    "reinvite": Ending("completed", "200", ("initiated", "ringing", "in-progress", "completed"),
                       "1", "caller hung up"),
}


@pytest.fixture(scope="module")
def sip_tools():
    """Skip, saying what to install, where kamailio or sipp is missing (make test installs them)."""
    reason = missing_tools()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def sip_service(sip_tools, module_redis_server):
    """The service as deployed, with the bridge's key required."""
    server = Gunicorn(module_redis_server.url, workers=2, SIP_BRIDGE_API_KEY=KEY).start()
    # Listening is not serving: a worker still booting would make the bridge's first posts time
    # out (1 s), and the bridge then stops waiting for the service, as it should.
    requests.get(f"{server.url}/readyz", timeout=30).raise_for_status()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def callee(sip_tools, tmp_path_factory):
    process, port = start_callee(tmp_path_factory.mktemp("callee"))
    yield port
    process.stop()


@pytest.fixture(scope="module")
def bridge(sip_service, callee, tmp_path_factory):
    """The bridge in front of the callee, posting to the service; its SIP port."""
    process, port = start_bridge(sip_service.url, callee, KEY, tmp_path_factory.mktemp("bridge"))
    yield port
    assert process.stop() == 0, process.output()


def call_sid(calls: Calls, call_id: str) -> str:
    """The call_sid the bridge announces: the caller's X-Call-SID when it sends one."""
    return f"carrier-{call_id}" if calls.scenario == "caller-hangup" else call_id


def place_all(batches: list[Calls], bridge_port: int, cwd) -> None:
    """Place every batch at once and wait until SIPp saw each call go as its scenario says."""
    callers = [place(calls, bridge_port, cwd) for calls in batches]
    statuses = finish(callers)
    assert statuses == [0] * len(callers), [caller.output()[-2000:] for caller in callers]


def ended(service: Gunicorn, sid: str) -> dict:
    """The call's status view once terminal (the bridge posts asynchronously)."""
    def terminal():
        response = requests.get(f"{service.url}/sip-status/{sid}", headers=AUTH, timeout=5)
        return response.status_code == 200 and response.json()["terminal"] and response.json()
    return wait_until(terminal, timeout=15, interval=0.1, what=f"call {sid} terminal")


def assert_ended(view: dict, ending: Ending) -> None:
    facts = {name: view.get(name) for name in ("status", "sip_code", "duration", "reason")}
    assert facts == {"status": ending.status, "sip_code": ending.sip_code,
                     "duration": ending.duration, "reason": ending.reason}, view
    assert sorted(view["timeline"], key=view["timeline"].get) == list(ending.timeline), view


@pytest.fixture(scope="module")
def one_call_each(bridge, tmp_path_factory):
    """One call of every scenario, all at once: scenario -> its Calls."""
    token = uuid.uuid4().hex[:8]
    batches = {name: Calls(name, 1, f"{token}-{name}") for name in ENDINGS}
    place_all(list(batches.values()), bridge, tmp_path_factory.mktemp("callers"))
    return batches


@pytest.mark.parametrize("scenario", ENDINGS)
def test_a_real_call_ends_as_its_sip_says(one_call_each, sip_service, scenario):
    calls = one_call_each[scenario]
    view = ended(sip_service, call_sid(calls, calls.call_ids()[0]))
    assert_ended(view, ENDINGS[scenario])


def test_the_invite_prewarms_the_context(one_call_each, sip_service):
    calls = one_call_each["caller-hangup"]
    sid = call_sid(calls, calls.call_ids()[0])
    response = requests.get(f"{sip_service.url}/sip-prewarm/{sid}", headers=AUTH, timeout=5)
    assert response.status_code == 200, response.text
    context = response.json()["context"]
    # X-Customer-ID is on the bridge's allow-list; X-Internal-Route, also sent, is not.
    assert {name: context.get(name) for name in ("from_number", "to_number", "outbound",
                                                 "variables")} == {
        "from_number": "+15559876543", "to_number": "answer", "outbound": False,
        "variables": {"customer_id": "cust-1"}}


def posts_of(server, kind: str, sid: str) -> list[dict]:
    """The bodies the bridge posted about one call, in the order the service recorded them."""
    with server.client() as client:
        entries = client.xrange(Keys().events(kind))
    return [json.loads(fields["payload"]) for _, fields in entries if fields.get("call_sid") == sid]


@pytest.mark.parametrize("scenario", ENDINGS)
def test_each_call_is_announced_once_and_its_posts_numbered_in_order(
        one_call_each, sip_service, module_redis_server, scenario):
    calls = one_call_each[scenario]
    sid = call_sid(calls, calls.call_ids()[0])
    ended(sip_service, sid)
    webhooks = posts_of(module_redis_server, "webhook", sid)
    assert [post["event"] for post in webhooks] == ["inbound_call"]
    statuses = posts_of(module_redis_server, "status", sid)
    assert [post["sequence"] for post in statuses] == list(range(1, len(statuses) + 1)), statuses
    times = [datetime.fromisoformat(post["timestamp"]) for post in statuses]
    assert times == sorted(times), statuses
    assert len(statuses) == len(ENDINGS[scenario].timeline) - 1  # initiated is the webhook's


def answer_first_invite(uas: socket.socket, code: str) -> tuple[str, tuple]:
    """Wait for an INVITE on ``uas`` (a bare UDP socket standing in for the callee); its Call-ID,
    and a final ``code`` answer to it sent back to where it came from."""
    while True:
        data, sender = uas.recvfrom(65535)
        lines = data.decode().split("\r\n\r\n", 1)[0].split("\r\n")
        if lines[0].startswith("INVITE "):
            break
    kept = [line for line in lines[1:]
            if line.split(":", 1)[0].lower() in ("via", "from", "to", "call-id", "cseq")]
    reply = [f"SIP/2.0 {code}"] + [line + ";tag=callee" if line.lower().startswith("to:")
                                   else line for line in kept] + ["Content-Length: 0", "", ""]
    call_id = next(line.split(":", 1)[1].strip() for line in kept
                   if line.lower().startswith("call-id:"))
    return call_id, ("\r\n".join(reply).encode(), sender)


def test_the_call_is_open_before_the_callee_sees_the_invite(sip_service, module_redis_server,
                                                            tmp_path):
    """The bridge posts the prewarm and the webhook, and waits for their answers, before it
    relays the INVITE: when the callee receives it, the service has recorded both."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as uas:
        uas.bind(("127.0.0.1", 0))
        uas.settimeout(20)
        bridge, port = start_bridge(sip_service.url, uas.getsockname()[1], KEY, tmp_path)
        try:
            caller = place(Calls("busy", 1, f"{uuid.uuid4().hex[:8]}-first"), port, tmp_path)
            sid, (busy, sender) = answer_first_invite(uas, "486 Busy Here")
            # Read while the INVITE is unanswered: what the service had when the callee got it.
            webhooks = posts_of(module_redis_server, "webhook", sid)
            prewarm = requests.get(f"{sip_service.url}/sip-prewarm/{sid}", headers=AUTH,
                                   timeout=5)
            uas.sendto(busy, sender)
            assert finish([caller]) == [0], caller.output()[-2000:]
            view = ended(sip_service, sid)  # before the bridge stops: its last post is queued
        finally:
            assert bridge.stop() == 0
    assert [post["event"] for post in webhooks] == ["inbound_call"], bridge.output()[-3000:]
    assert prewarm.status_code == 200, prewarm.text
    assert_ended(view, ENDINGS["busy"])


def test_fifty_concurrent_calls_of_mixed_scenarios_all_end_right(bridge, sip_service,
                                                                  tmp_path):
    token = uuid.uuid4().hex[:8]
    batches = [Calls(name, 10 if name == "caller-hangup" else 4, f"{token}-{name}")
               for name in ENDINGS]
    assert sum(calls.count for calls in batches) == 50
    place_all(batches, bridge, tmp_path)
    for calls in batches:
        for call_id in calls.call_ids():
            assert_ended(ended(sip_service, call_sid(calls, call_id)), ENDINGS[calls.scenario])


@pytest.fixture(params=["stopped", "hanging"])
def unavailable_service(request):
    """A service URL where nothing answers: no one listening, or a listener that never reads."""
    port = free_port()
    if request.param == "stopped":
        yield f"http://127.0.0.1:{port}"
        return
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen(512)
        yield f"http://127.0.0.1:{port}"


def test_calls_complete_through_the_bridge_while_the_service_is_away(
        unavailable_service, callee, tmp_path):
    bridge, port = start_bridge(unavailable_service, callee, KEY, tmp_path)
    try:
        token = uuid.uuid4().hex[:8]
        place_all([Calls(name, 3, f"{token}-{name}") for name in ENDINGS], port, tmp_path)
    finally:
        assert bridge.stop() == 0
    log = bridge.output()
    assert re.search(rf"POST /sip-prewarm of call {token}-\S+ failed", log)
    # After the first prewarm that timed out or was refused, new calls stop waiting for theirs.
    assert "no answer from the service; calls do not wait for it for 10 s" in log


def test_the_bridge_stops_on_sigterm_and_leaves_nothing_behind(callee, tmp_path):
    segments = shared_memory()
    bridge, _ = start_bridge(f"http://127.0.0.1:{free_port()}", callee, KEY, tmp_path)
    uid = bridge.uid()
    if os.getuid() == 0:
        assert uid != 0  # started as root, it dropped to an unprivileged user
    assert bridge.stop() == 0
    assert bridge.group_gone()  # no process of its own left
    assert list(tmp_path.iterdir()) == []  # no file in its working directory or TMPDIR
    assert shared_memory(uid) - segments == set()  # no shared memory segment
