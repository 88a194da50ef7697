"""Faults under load: Redis down, connections killed, a worker killed, concurrency, a full Redis.

Real gunicorn (as the Procfile runs it) and a real redis-server; load from a pool of threads, each
with its own requests.Session. Every loop is bounded in count and time.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests

from conftest import EVERY_WORKER_CLASS
from support import SEED_PREWARM, wait_until, worker_pids

# Each test's own redis-server is append-only with fsync, so a restart keeps what it had.
AOF_ALWAYS = ("--appendonly", "yes", "--appendfsync", "always")
pytestmark = [pytest.mark.integration, pytest.mark.timeout(90),
              pytest.mark.parametrize("own_redis_server", [AOF_ALWAYS], indirect=True,
                                      ids=["aof"])]


def context_key(call_sid: str) -> str:
    return f"burki:sip:call:{{{call_sid}}}:context"


def body_for(call_sid: str, number: int) -> dict:
    """The seed's body with fields of its own call, so mixed-up contexts would show."""
    return {**SEED_PREWARM, "call_sid": call_sid, "assistant_id": number,
            "agenda": f"agenda of {call_sid}", "variables": {"n": number}}


class Load:
    """POSTs prewarms from ``clients`` threads, each with its own session; keeps every answer."""

    def __init__(self, base_url: str, clients: int = 8) -> None:
        self.base_url = base_url
        self.clients = clients
        self.local = threading.local()
        self.answers: list[dict] = []
        self.lock = threading.Lock()

    def prewarm(self, call_sid: str, number: int) -> dict:
        """One prewarm; the answer's status, body, headers and time (or the client error)."""
        session = getattr(self.local, "session", None) or requests.Session()
        self.local.session = session
        answer = {"call_sid": call_sid, "number": number}
        try:
            response = session.post(f"{self.base_url}/sip-prewarm",
                                    json=body_for(call_sid, number), timeout=10)
        except requests.RequestException as exc:
            answer.update(status=None, error=repr(exc), at=time.monotonic())
        else:
            answer.update(status=response.status_code, content_type=response.headers.get(
                "Content-Type", ""), retry_after=response.headers.get("Retry-After"),
                text=response.text, at=time.monotonic())
        with self.lock:
            self.answers.append(answer)
        return answer

    def run(self, call_sids: list[str], before_each=None) -> list[dict]:
        """Send one prewarm per call_sid; ``before_each(index)`` may block to pace the stream."""
        def one(index: int) -> dict:
            if before_each is not None:
                before_each(index)
            return self.prewarm(call_sids[index], index)

        with ThreadPoolExecutor(self.clients) as pool:
            return list(pool.map(one, range(len(call_sids))))


def assert_json_error(answer: dict, status: int) -> None:
    assert answer["status"] == status, answer
    assert answer["content_type"].startswith("application/json"), answer
    assert json.loads(answer["text"])["error"], answer


def assert_stored(client, answers: list[dict]) -> None:
    """Every answered-200 prewarm's context is in Redis, with its own call's fields."""
    ok = [answer for answer in answers if answer["status"] == 200]
    with client.pipeline(transaction=False) as pipe:
        for answer in ok:
            pipe.get(context_key(answer["call_sid"]))
        stored = pipe.execute()
    missing = [answer["call_sid"] for answer, raw in zip(ok, stored) if raw is None]
    assert missing == []
    for answer, raw in zip(ok, stored):
        context = json.loads(raw)
        expected = body_for(answer["call_sid"], answer["number"])
        assert {name: context[name] for name in expected} == expected


def test_redis_stopped_mid_stream_gives_503_then_200_again(service, own_redis_server):
    call_sids = [f"outage-{n:04d}" for n in range(1000)]
    restarted = threading.Event()
    marks = {}

    def pace(index: int) -> None:
        if index == 300:  # the stream goes on while Redis stops under it
            threading.Thread(target=outage, daemon=True).start()
        if index >= 600:
            assert restarted.wait(30), "redis did not restart"

    def outage() -> None:
        own_redis_server.stop()
        marks["stopped"] = time.monotonic()
        time.sleep(1.0)
        own_redis_server.start()
        marks["restarted"] = time.monotonic()
        restarted.set()

    answers = Load(service.url).run(call_sids, before_each=pace)

    assert len(answers) == 1000
    for answer in answers:
        assert answer["status"] in (200, 503), answer
        if answer["status"] == 503:
            assert_json_error(answer, 503)
            assert answer["retry_after"], answer
    assert any(answer["status"] == 503 for answer in answers)
    first_ok_after = min(answer["at"] for answer in answers
                         if answer["status"] == 200 and answer["at"] > marks["restarted"])
    assert first_ok_after - marks["restarted"] < 5
    assert_stored(own_redis_server.client(), answers)


@EVERY_WORKER_CLASS
def test_connections_killed_by_redis_are_replaced(service, own_redis_server):
    load = Load(service.url)
    admin = own_redis_server.client()
    batches = itertools.count()  # bounded by the wait below

    def both_workers_connected() -> bool:
        # The kernel may hand every connection to one worker: warm up until both hold one.
        load.run([f"warm-{next(batches)}-{n}" for n in range(20)])
        return len(admin.client_list(_type="normal")) >= 3  # 2 workers and this admin client

    wait_until(both_workers_connected, timeout=30, interval=0, what="both workers connected")
    killed = admin.client_kill_filter(_type="normal", skipme=True)
    answers = [load.prewarm(f"after-kill-{n}", n) for n in range(100)]

    assert killed >= 2
    assert [answer["status"] for answer in answers] == [200] * 100
    assert_stored(admin, answers)


@EVERY_WORKER_CLASS
def test_worker_killed_under_load_is_replaced_and_200s_are_stored(service, own_redis_server):
    workers = wait_until(lambda: len(worker_pids(service.process.pid)) == 2
                         and worker_pids(service.process.pid), what="2 workers")
    victim = min(workers)

    def pace(index: int) -> None:
        if index == 200:
            os.kill(victim, signal.SIGKILL)

    answers = Load(service.url).run([f"kill-{n:04d}" for n in range(800)], before_each=pace)

    replaced = wait_until(lambda: (lambda now: len(now) == 2 and victim not in now)(
        worker_pids(service.process.pid)), what="the killed worker replaced")
    assert replaced
    failed = [answer for answer in answers if answer["status"] != 200]
    assert all(answer["status"] is None for answer in failed), failed  # cut connections only
    assert len(failed) <= 8  # at most the requests in flight on the killed worker
    assert_stored(own_redis_server.client(), answers)


@EVERY_WORKER_CLASS
def test_2000_concurrent_prewarms_are_all_stored_and_none_mixed_up(service, own_redis_server):
    call_sids = [f"many-{n:05d}" for n in range(2000)]

    answers = Load(service.url, clients=32).run(call_sids)

    assert [answer["status"] for answer in answers] == [200] * 2000
    client = own_redis_server.client()
    assert len(list(client.scan_iter("burki:sip:call:*:context", count=1000))) == 2000
    assert_stored(client, answers)


def fill_until_full(client, limit_bytes: int) -> None:
    """Set ``maxmemory`` just above what Redis uses, with noeviction, and fill it up.

    Once a write is refused, the limit is set 64 KiB under what Redis then uses: buffers that
    shrink afterwards must not let the next write slip in and make the test flaky.
    """
    client.config_set("maxmemory-policy", "noeviction")
    client.config_set("maxmemory", client.info("memory")["used_memory"] + limit_bytes)
    filler = "x" * 10_000
    for number in range(10 * limit_bytes // len(filler)):
        try:
            client.set(f"filler:{number}", filler)
        except redis.exceptions.OutOfMemoryError:
            client.config_set("maxmemory", client.info("memory")["used_memory"] - 65_536)
            return
    raise AssertionError("redis never reached maxmemory")


@pytest.mark.parametrize("route", ["/sip-prewarm", "/sip-webhook", "/sip-status"])
def test_full_redis_answers_503_json_and_recovers(service, own_redis_server, route):
    body = {"call_sid": "full-1", "status": "ringing", "event": "inbound_call"}
    admin = own_redis_server.client()
    fill_until_full(admin, 2_000_000)

    full = requests.post(f"{service.url}{route}", json=body, timeout=10)

    assert full.status_code == 503, full.text
    assert full.headers["Content-Type"].startswith("application/json")
    assert full.json()["error"] and full.headers["Retry-After"]
    admin.config_set("maxmemory", 0)  # memory freed (limit raised): writes work again
    again = requests.post(f"{service.url}{route}", json=body, timeout=10)
    assert again.status_code == 200, again.text


def test_full_redis_recovers_after_flush(service, own_redis_server, seed_prewarm):
    admin = own_redis_server.client()
    fill_until_full(admin, 2_000_000)
    assert requests.post(f"{service.url}/sip-prewarm", json=seed_prewarm,
                         timeout=10).status_code == 503

    admin.flushall()

    assert requests.post(f"{service.url}/sip-prewarm", json=seed_prewarm,
                         timeout=10).status_code == 200
    assert admin.exists(context_key(seed_prewarm["call_sid"])) == 1


def refuse_writes_full(client) -> None:
    fill_until_full(client, 2_000_000)


def refuse_writes_without_replicas(client) -> None:
    client.config_set("min-replicas-to-write", 1)  # no replica ever connects: writes refused


@pytest.mark.parametrize("refuse", [refuse_writes_full, refuse_writes_without_replicas],
                         ids=["maxmemory-noeviction", "min-replicas"])
def test_readyz_is_503_while_redis_answers_ping_but_refuses_writes(own_redis_server, refuse):
    from burki_sip import create_app

    client = create_app({"TESTING": True, "REDIS_URL": own_redis_server.url}).test_client()
    admin = own_redis_server.client()
    assert client.get("/readyz").status_code == 200
    refuse(admin)

    assert admin.ping()  # Redis still answers; only writes fail
    refused = client.get("/readyz")
    assert refused.status_code == 503 and refused.get_json()["error"], refused.text
    assert refused.headers["Retry-After"]
    admin.config_set("min-replicas-to-write", 0)
    admin.config_set("maxmemory", 0)
    assert client.get("/readyz").status_code == 200
    assert 0 < admin.pttl("burki:sip:health:readyz") <= 10_000
