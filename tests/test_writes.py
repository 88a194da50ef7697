"""Every store write can wait for replicas in its own round trip (``drivers.Acks``, REDIS_ACK_REPLICAS)."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis
from prometheus_client import REGISTRY

from burki_sip import create_app
from burki_sip.calls import AsyncCallStore, CallStore, Keys, Transition
from burki_sip.calls.drivers import ACK_TIMEOUT_MS, Acks, NotAcknowledgedError, pipelined, written
from burki_sip.calls.store import store_from_config
from burki_sip.config import SettingError, load

CALL = "c1"


def writes_and_reads(store: CallStore, call_sid: str = CALL) -> None:
    """One call of each write path, and the reads between them."""
    store.save_context({"call_sid": call_sid})
    store.record_event("status", {"status": "ringing"}, "application/json", call_sid,
                       transition=Transition("ringing"))
    claim = store.claim(call_sid, owner="stream-1")
    store.load_context(call_sid)
    store.load_status(call_sid)
    assert store.release(call_sid, claim.token)


def command_calls(client: redis.Redis, name: str) -> int:
    return client.info("commandstats").get(f"cmdstat_{name}", {}).get("calls", 0)


def test_without_replicas_to_wait_for_an_operation_is_sent_as_it_is():
    operation = written(lambda client: client.set("k", "v"))
    assert Acks().applied(operation) == (operation, None)
    read = pipelined(lambda pipe: pipe.get("k"))
    assert Acks(2).applied(read) == (read, None)  # a read never waits


def test_the_wait_is_bounded_by_half_the_socket_timeout():
    assert Acks.from_config(load({})) == Acks(0, ACK_TIMEOUT_MS)
    assert Acks.from_config(load({"REDIS_ACK_REPLICAS": "2", "REDIS_SOCKET_TIMEOUT": "0.2"})) \
        == Acks(2, 100)


@pytest.mark.parametrize("environ", [{"REDIS_ACK_REPLICAS": "-1"},
                                     {"REDIS_ACK_REPLICAS": "1", "REDIS_CLUSTER": "true",
                                      "REDIS_URL": "redis://node:6379"}])
def test_bad_ack_settings_stop_the_start(environ):
    with pytest.raises(SettingError, match="REDIS_ACK_REPLICAS"):
        load(environ)


@pytest.mark.integration
def test_each_write_waits_for_its_replica_in_the_same_round_trip(redis_replicated):
    primary, [replica] = redis_replicated.primary.client(), redis_replicated.replicas
    store = CallStore(primary, Keys(), acks=Acks(1, 5_000))  # 5 s: a loaded machine must not flake
    writes_and_reads(store, "first")  # the server loads each script on its first NOSCRIPT
    primary.config_resetstat()

    writes_and_reads(store)

    # One WAIT per write (prewarm, status, claim, release), none for the reads; no SCRIPT EXISTS
    # round trip before a script, as redis-py's Script in a pipeline would send.
    assert command_calls(primary, "wait") == 4
    assert command_calls(primary, "script|exists") == 0
    assert replica.client().hget(f"burki:sip:call:{{{CALL}}}:status", "claimed_by") == "stream-1"


@pytest.mark.integration
def test_a_server_without_the_script_loads_it_and_runs_it_again(redis_replicated):
    primary = redis_replicated.primary.client()
    store = CallStore(primary, Keys(), acks=Acks(1, 5_000))
    primary.script_flush()  # as after a restart, or on a replica just promoted

    recorded = store.record_event("status", {}, "application/json", CALL,
                                  transition=Transition("ringing"))

    assert recorded.applied and recorded.status == "ringing"


@pytest.mark.integration
def test_too_few_replicas_refuses_every_write_path(real_redis):
    store = CallStore(real_redis, Keys(), acks=Acks(1, 50))  # a server without replicas
    for write in (lambda: store.save_context({"call_sid": CALL}),
                  lambda: store.record_event("status", {}, "application/json", CALL),
                  lambda: store.claim(CALL, owner="stream-1"),
                  lambda: store.release(CALL, "token")):
        started = time.monotonic()
        with pytest.raises(NotAcknowledgedError, match="0 of 1 replicas"):
            write()
        assert time.monotonic() - started < 1
    assert store.load_context(CALL) is not None  # reads go on; the write is on the primary only


@pytest.mark.integration
def test_the_asyncio_store_waits_for_replicas_too(redis_server, real_redis):
    async def claim():
        client = redis_server.async_client()
        try:
            async with AsyncCallStore(client, Keys(), acks=Acks(1, 50)) as store:
                return await store.claim(CALL, owner="stream-1")
        finally:
            await client.aclose()

    CallStore(real_redis, Keys()).save_context({"call_sid": CALL})
    with pytest.raises(NotAcknowledgedError):
        asyncio.run(claim())


@pytest.mark.integration
def test_too_few_replicas_is_a_503_with_retry_after_and_counted(real_redis):
    config = {"TESTING": True, "REDIS_ACK_REPLICAS": 1, "REDIS_SOCKET_TIMEOUT": 0.1}
    client = create_app(config, redis_client=real_redis).test_client()
    labels = {"error": "NotAcknowledgedError"}
    before = REGISTRY.get_sample_value("burki_sip_redis_errors_total", labels) or 0

    response = client.post("/sip-prewarm", json={"call_sid": CALL})

    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert response.get_json() == {"error": "storage unavailable, retry later"}
    assert REGISTRY.get_sample_value("burki_sip_redis_errors_total", labels) == before + 1


def test_the_app_store_takes_its_acks_from_the_settings(fake_redis):
    store = store_from_config(fake_redis, load({"REDIS_ACK_REPLICAS": "2"}))
    assert store.acks == Acks(2)
