"""The service as the Procfile runs it: real gunicorn, real redis-server, real HTTP."""

import json

import pytest
import requests

from conftest import EVERY_WORKER_CLASS
from support import wait_until

pytestmark = pytest.mark.integration


@EVERY_WORKER_CLASS
def test_seed_prewarm_over_http(service, own_redis_server, seed_prewarm):
    response = requests.post(f"{service.url}/sip-prewarm", json=seed_prewarm, timeout=5)

    assert response.status_code == 200
    assert response.json() == {"call_sid": "sip-20260430-abc123", "prewarmed": True}
    client = own_redis_server.client()
    key = "burki:sip:call:{sip-20260430-abc123}:context"
    stored = json.loads(client.get(key))
    assert {name: stored[name] for name in seed_prewarm} == seed_prewarm
    assert 290 <= client.ttl(key) <= 300


def test_events_over_http(service, own_redis_server):
    form = requests.post(f"{service.url}/sip-webhook",
                         data={"CallSid": "CA1", "From": "+15559876543"}, timeout=5)
    status = requests.post(f"{service.url}/sip-status",
                           json={"call_sid": "CA1", "status": "ringing"}, timeout=5)

    assert form.status_code == status.status_code == 200
    client = own_redis_server.client()
    assert client.xlen("burki:sip:events:webhook") == 1
    assert client.xlen("burki:sip:events:status") >= 1


@EVERY_WORKER_CLASS
def test_errors_are_json_under_gunicorn(service):
    not_found = requests.get(f"{service.url}/nope", timeout=5)
    too_large = requests.post(f"{service.url}/sip-webhook", json={"pad": "x" * 70_000}, timeout=5)

    assert not_found.status_code == 404 and "error" in not_found.json()
    assert too_large.status_code == 413 and "too large" in too_large.json()["error"]


def post_prewarm(url, call_sid):
    return requests.post(f"{url}/sip-prewarm", json={"call_sid": call_sid}, timeout=10)


@EVERY_WORKER_CLASS
def test_redis_outage_gives_503_then_service_recovers(service, own_redis_server):
    assert post_prewarm(service.url, "before").status_code == 200

    own_redis_server.stop()
    during = [post_prewarm(service.url, f"during-{n}") for n in range(5)]
    assert {response.status_code for response in during} == {503}
    assert all(response.json()["error"] and response.headers["Retry-After"] for response in during)

    own_redis_server.start()
    wait_until(lambda: post_prewarm(service.url, "after").status_code == 200, timeout=10,
               interval=0.2, what="prewarm succeeding again")
    assert own_redis_server.client().exists("burki:sip:call:{after}:context") == 1


@EVERY_WORKER_CLASS
def test_concurrent_copies_of_one_delivery_are_recorded_once(service, own_redis_server):
    from concurrent.futures import ThreadPoolExecutor

    def deliver(_):
        return requests.post(f"{service.url}/sip-status", timeout=10,
                             json={"call_sid": "CA9", "status": "ringing"},
                             headers={"webhook-id": "msg_same_delivery"})

    with ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(deliver, range(50)))

    assert {response.status_code for response in responses} == {200}
    duplicates = [response.json().get("duplicate", False) for response in responses]
    assert duplicates.count(False) == 1
    assert own_redis_server.client().xlen("burki:sip:events:status") == 1


@pytest.mark.parametrize(("path", "body"), [
    ("/sip-prewarm", {"call_sid": "rt1"}),
    ("/sip-webhook", {"event": "inbound_call", "call_sid": "rt2"}),
    ("/sip-status", {"call_sid": "rt3", "status": "ringing"}),
])
def test_each_write_is_one_redis_round_trip(redis_server, real_redis, path, body):
    from burki_sip import create_app

    # The production client (from REDIS_URL), warmed up so its script is loaded and connected.
    client = create_app({"TESTING": True, "REDIS_URL": redis_server.url}).test_client()
    headers = {"webhook-id": "warm-up"}
    assert client.post(path, json=body, headers=headers).status_code == 200

    before = real_redis.info("stats")["total_reads_processed"]
    assert client.post(path, json=body, headers={"webhook-id": "measured"}).status_code == 200
    after = real_redis.info("stats")["total_reads_processed"]
    # Redis counts one read per command (or pipeline) a client sends; the second INFO is one.
    assert after - before - 1 == 1
