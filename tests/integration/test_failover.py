"""Nothing answered 200 is lost when Sentinel fails the primary over: 200 requests/s through gunicorn.

Each case has a topology of its own (``redis_failover``: one primary, two replicas, three
Sentinels). The primary is SIGKILLed (a crash), SIGTERMed (a restart) or switched by ``SENTINEL
FAILOVER`` (maintenance) under load; every answer is kept, and each 200 looked for on the
promoted server afterwards. The figures are in docs/scaling.md ("What a 200 guarantees").
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from burki_sip.calls import open_store
from burki_sip import create_app
from conftest import worker_class_env
from failover_support import (ClaimLoad, Forwarder, Load, Sent, answers_after, claims_missing,
                              failing_window, lost, replicas_online, switch)
from support import Gunicorn, RedisServer

pytestmark = pytest.mark.integration

# How long after a promotion a write may still reach the old primary with REDIS_ACK_REPLICAS=0:
# Sentinel notices the promotion within a second (it reads the replica's INFO once a second),
# and the service asks the Sentinels again within following.FOLLOW_INTERVAL of that.
FOLLOWED_WITHIN = 1.5
# "200s again within seconds" after a crash: Sentinel's down-after-milliseconds here is 1 s.
BACK_WITHIN = 8.0


@dataclass
class Phase:
    """One switch under load: every answer, the servers, and when the switch and promotion were."""

    answered: list[Sent]
    old: RedisServer
    new: RedisServer
    switched_at: float
    promoted_at: float


def serve(topology, **env: str) -> Gunicorn:
    settings = dict(topology.settings)
    return Gunicorn(settings.pop("REDIS_URL"), workers=2, **settings, **env).start()


def under_load(topology, how: str, settle: float = 30, after: float = 0, **env: str) -> Phase:
    """The service under load from a second of 200s before the switch (its workers' first
    connections made) until a second of 200s after it, at least ``after`` s after the promotion."""
    service = serve(topology, **env)
    try:
        load = Load(service.port, how)
        load.wait_all_ok(since=load.started, timeout=15)
        switched_at = time.monotonic()
        old, new, promoted_at = switch(topology, how)
        try:
            load.wait_all_ok(since=promoted_at + after, timeout=settle)
        finally:
            answered = load.stop()
    finally:
        service.stop()
    return Phase(answered, old, new, switched_at, promoted_at)


def check_answers(phase: Phase, record_figure, label: str) -> float:
    """Every answer 200, or 503 with Retry-After (never a 500, never none); the seconds from the
    first answer that was not 200 to the last one."""
    statuses = {sent.status for sent in phase.answered}
    assert statuses <= {200, 503}, statuses
    assert all(sent.retry_after for sent in phase.answered if sent.status == 503)
    window = failing_window(answers_after(phase.answered, phase.switched_at))
    refused = sum(sent.status == 503 for sent in phase.answered)
    record_figure(f"failover {label}: {len(phase.answered)} requests, {refused} answered 503 "
                  f"within {window:.1f} s; promoted {phase.promoted_at - phase.switched_at:.1f} s "
                  f"after the switch")
    return window


@pytest.mark.parametrize("how, acks", [("kill", "1"), ("term", "1"), ("kill", "0"), ("term", "0")])
def test_a_crash_or_a_restart_of_the_primary_loses_nothing_answered_200(redis_failover, how, acks,
                                                                        record_figure):
    phase = under_load(redis_failover, how, REDIS_ACK_REPLICAS=acks)

    window = check_answers(phase, record_figure, f"{how}, REDIS_ACK_REPLICAS={acks}")
    assert window < BACK_WITHIN
    assert lost(phase.answered, phase.new.client()) == []


def test_every_replica_acknowledging_loses_nothing_in_a_planned_failover(redis_failover,
                                                                          record_figure):
    # 200s again once Sentinel has made the old primary a replica of the new one (~10 s).
    phase = under_load(redis_failover, "failover", settle=40, REDIS_ACK_REPLICAS="2")

    check_answers(phase, record_figure, "planned, REDIS_ACK_REPLICAS=2")
    assert lost(phase.answered, phase.new.client()) == []
    assert replicas_online(phase.new) == 2


# The follower is a greenlet under gevent (the default), a thread of its own under sync.
@pytest.mark.parametrize("worker_class", ["gevent", "sync"])
def test_by_default_a_planned_failover_loses_only_writes_sent_before_the_service_followed(
        redis_failover, worker_class, record_figure):
    # A media-stream handler claims calls prewarmed before, on the asyncio store, meanwhile.
    calls = [f"media-{index}" for index in range(800)]
    writer = open_store(redis_failover.settings)
    for call_sid in calls:
        writer.save_context({"call_sid": call_sid})
    writer.client.wait(2, 5000)
    claims = ClaimLoad(redis_failover.settings, calls)
    try:
        # Long enough that writes the old primary still takes would show (it does for ~10 s).
        phase = under_load(redis_failover, "failover", after=2, **worker_class_env(worker_class))
    finally:
        claimed = claims.stop()

    label = f"planned, REDIS_ACK_REPLICAS=0, {worker_class}"
    check_answers(phase, record_figure, label)
    missing = lost(phase.answered, phase.new.client())
    late = [sent.sent_at - phase.promoted_at for sent in missing]
    record_figure(f"failover {label}: {len(missing)} answered 200 and lost, the last sent "
                  f"{max(late, default=0):.2f} s after the promotion")
    assert max(late, default=0) <= FOLLOWED_WITHIN
    followed = answers_after(claimed, phase.promoted_at + FOLLOWED_WITHIN)
    assert followed and {claim.outcome for claim in followed} == {"claimed"}
    assert claims_missing(followed, phase.new.client()) == []
    assert max(claim.seconds for claim in claimed) < 5


def test_a_managed_endpoint_that_moves_to_the_promoted_replica_is_followed():
    old, new = RedisServer().start(), RedisServer().start()
    endpoint = Forwarder(old.port)
    try:
        client = create_app({"TESTING": True, "REDIS_URL": endpoint.url}).test_client()
        assert client.post("/sip-prewarm", json={"call_sid": "before"}).status_code == 200
        # The provider promotes the replica and points its DNS name there; the old primary
        # stays up as a replica, answering READONLY on the connections pooled before.
        old.client().replicaof("127.0.0.1", new.port)
        endpoint.target = new.port

        after = client.post("/sip-prewarm", json={"call_sid": "after"})

        assert after.status_code == 200
        assert new.client().exists("burki:sip:call:{after}:context") == 1
    finally:
        endpoint.close()
        old.stop()
        new.stop()
