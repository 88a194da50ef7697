"""The service on a real Redis Cluster and on a real Sentinel-managed primary, through gunicorn."""

import json
import random
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from burki_sip import create_app
from burki_sip.calls.keys import Keys
from burki_sip.calls import open_store
from burki_sip.calls.store import CallStore, Transition
from support import Gunicorn

pytestmark = pytest.mark.integration

CALL = "sip-20260430-abc123"


# The topologies gunicorn runs on here (one redis-server is every other test's).
CLUSTER_AND_SENTINEL = pytest.mark.parametrize("topology", ["cluster", "sentinel"], indirect=True)


@pytest.fixture
def service(topology):
    """gunicorn wsgi:app with 2 workers on the topology's Redis."""
    settings = dict(topology[0].settings)
    server = Gunicorn(settings.pop("REDIS_URL"), workers=2, **settings).start()
    yield server
    server.stop()


@CLUSTER_AND_SENTINEL
def test_seed_prewarm_and_callbacks_over_http(service, topology, seed_prewarm):
    _, client = topology
    prewarm = requests.post(f"{service.url}/sip-prewarm", json=seed_prewarm, timeout=5)
    webhook = requests.post(f"{service.url}/sip-webhook", timeout=5, headers={"webhook-id": "m1"},
                            json={"event": "inbound_call", "call_sid": CALL, "from": "+1", "to": "+2"})
    retry = requests.post(f"{service.url}/sip-webhook", timeout=5, headers={"webhook-id": "m1"},
                          json={"event": "inbound_call", "call_sid": CALL, "from": "+1", "to": "+2"})
    status = requests.post(f"{service.url}/sip-status", data={"CallSid": CALL,
                                                              "CallStatus": "ringing"}, timeout=5)

    assert prewarm.json() == {"call_sid": CALL, "prewarmed": True}
    assert webhook.status_code == retry.status_code == status.status_code == 200
    assert retry.json()["duplicate"] is True
    assert status.json()["status"] == "ringing" and status.json()["applied"] is True
    stored = json.loads(client.get(f"burki:sip:call:{{{CALL}}}:context"))
    assert {name: stored[name] for name in seed_prewarm} == seed_prewarm
    assert client.hget(f"burki:sip:call:{{{CALL}}}:status", "status") == "ringing"
    assert client.xlen("burki:sip:events:webhook") == client.xlen("burki:sip:events:status") == 1
    timeline = requests.get(f"{service.url}/sip-status/{CALL}", timeout=5).json()["timeline"]
    assert set(timeline) == {"initiated", "ringing"}


@CLUSTER_AND_SENTINEL
def test_ready_when_the_topology_answers(service):
    assert requests.get(f"{service.url}/readyz", timeout=5).json() == {"status": "ready"}


@CLUSTER_AND_SENTINEL
def test_media_handler_claims_what_the_service_wrote(service, topology):
    server, _ = topology
    requests.post(f"{service.url}/sip-prewarm", json={"call_sid": CALL, "agenda": "a"}, timeout=5)

    media = open_store(server.settings)
    assert media.claim_context(CALL)["agenda"] == "a"
    assert media.claim_context(CALL) is None


def test_every_key_of_a_call_shares_one_cluster_slot(cluster_redis, redis_cluster):
    app = create_app({"TESTING": True, **redis_cluster.settings})
    client = app.test_client()
    client.post("/sip-prewarm", json={"call_sid": CALL})
    client.post("/sip-status", json={"call_sid": CALL, "status": "ringing"},
                headers={"Idempotency-Key": "k1"})
    app.extensions["burki_sip"].claim_context(CALL)

    names = list(cluster_redis.scan_iter(f"burki:sip:call:{{{CALL}}}:*"))
    assert len(names) == 4  # context, status (with the claim), its events, delivery marker
    assert {cluster_redis.keyslot(name) for name in names} == {cluster_redis.keyslot(CALL)}
    # ...while the streams hash elsewhere, which is why cluster mode appends them separately.
    assert cluster_redis.keyslot(Keys().events("status")) != cluster_redis.keyslot(CALL)


def test_app_picks_the_write_path_from_the_client(redis_cluster, redis_sentinel):
    cluster = create_app(redis_cluster.settings)
    sentinel = create_app(redis_sentinel.settings)

    assert cluster.extensions["burki_sip"].streams_in_script is False
    assert sentinel.extensions["burki_sip"].streams_in_script is True


def test_service_follows_a_sentinel_failover(redis_replicated):
    client = create_app({"TESTING": True, **redis_replicated.settings}).test_client()
    assert client.post("/sip-prewarm", json={"call_sid": "before"}).status_code == 200
    # The replica has the write before it is promoted.
    redis_replicated.primary.client().wait(1, 5000)

    new_port = redis_replicated.lose_primary()

    # The pooled connection to the lost primary breaks; the retry asks the Sentinel again.
    after = client.post("/sip-prewarm", json={"call_sid": "after"})
    assert after.status_code == 200
    assert client.get("/sip-prewarm/before").status_code == 200
    [promoted] = redis_replicated.replicas
    assert promoted.port == new_port
    assert promoted.client().exists("burki:sip:call:{after}:context") == 1


def test_concurrent_callbacks_on_a_cluster_apply_each_rank_once(cluster_redis):
    store = CallStore(cluster_redis, Keys(), streams_in_script=False)
    statuses = ["queued", "initiated", "ringing", "early-media", "in-progress"] * 39 + [
        "completed"] * 5
    random.Random(7).shuffle(statuses)

    def send(status):
        return store.record_event("status", {"status": status}, "application/json", "c1",
                                  transition=Transition(status))

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(send, statuses))

    assert cluster_redis.hget("burki:sip:call:{c1}:status", "status") == "completed"
    entries = [entry for _, entry in cluster_redis.xrange("burki:sip:events:status")]
    assert len(entries) == 200
    # Stream order may differ from the order of the updates here; what each entry says may not.
    applied = [json.loads(e["payload"])["status"] for e in entries if e["applied"] == "true"]
    assert len(applied) == len(set(applied)) == sum(o.applied for o in outcomes)
    assert "completed" in applied
