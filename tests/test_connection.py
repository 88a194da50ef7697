"""Which Redis client the settings give, and the settings that must go together."""

import threading
import time

import pytest
import redis

from burki_sip import create_app
from burki_sip.calls.connection import MAX_CONNECTIONS, client_from_config
from burki_sip.config import check, defaults
from support import free_port


@pytest.mark.parametrize(("settings", "named"), [
    ({"REDIS_SSL_CERT_REQS": "maybe"}, "REDIS_SSL_CERT_REQS"),
    ({"REDIS_SENTINELS": "10.0.0.1"}, "REDIS_SENTINELS"),
    ({"REDIS_SENTINELS": "10.0.0.1:port"}, "REDIS_SENTINELS"),
    ({"REDIS_SENTINELS": "10.0.0.1:26379"}, "REDIS_SENTINEL_MASTER"),
    ({"REDIS_SENTINELS": "10.0.0.1:26379", "REDIS_SENTINEL_MASTER": "m", "REDIS_CLUSTER": "true"},
     "REDIS_CLUSTER"),
    ({"REDIS_CLUSTER": "perhaps"}, "REDIS_CLUSTER"),
])
def test_bad_redis_settings_stop_the_start(settings, named, fake_redis):
    with pytest.raises(ValueError, match=named):
        create_app(settings, redis_client=fake_redis)


def test_a_cluster_needs_a_node_to_start_from():
    with pytest.raises(ValueError, match="REDIS_URL is required with REDIS_CLUSTER"):
        create_app({"REDIS_CLUSTER": "true"})


def test_sentinel_addresses_are_parsed():
    config = {**defaults(), "REDIS_SENTINELS": " s1:26379, 10.0.0.2:26380,[::1]:26381 ",
              "REDIS_SENTINEL_MASTER": "mymaster"}
    check(config)
    assert config["REDIS_SENTINELS"] == (("s1", 26379), ("10.0.0.2", 26380), ("::1", 26381))


def test_cert_reqs_is_case_insensitive_and_defaults_to_required():
    config = {**defaults(), "REDIS_SSL_CERT_REQS": "NONE"}
    check(config)
    assert config["REDIS_SSL_CERT_REQS"] == "none"
    assert defaults()["REDIS_SSL_CERT_REQS"] == "required"


def test_no_sentinel_answering_is_a_503_not_a_crash():
    app = create_app({"TESTING": True, "REDIS_SENTINELS": f"127.0.0.1:{free_port()}",
                      "REDIS_SENTINEL_MASTER": "mymaster", "REDIS_SOCKET_TIMEOUT": "0.5"})
    started = time.monotonic()
    response = app.test_client().post("/sip-prewarm", json={"call_sid": "c1"})

    assert response.status_code == 503
    assert response.json["error"] == "storage unavailable, retry later"
    # Promptly: with redis-py's default retry the Sentinel lookup alone backs off for ~10 s.
    assert time.monotonic() - started < 5


@pytest.mark.integration
def test_tls_settings_do_not_disturb_a_plain_url(redis_server, real_redis):
    app = create_app({"TESTING": True, "REDIS_URL": redis_server.url,
                      "REDIS_SSL_CERT_REQS": "none", "REDIS_SSL_CA_CERTS": "/nonexistent.pem"})
    assert app.test_client().post("/sip-prewarm", json={"call_sid": "c1"}).status_code == 200
    assert real_redis.exists("burki:sip:call:{c1}:context") == 1


@pytest.mark.integration
def test_a_process_holds_at_most_max_connections_and_waits_for_a_free_one(redis_server):
    client = client_from_config({**defaults(), "REDIS_URL": redis_server.url})
    admin = redis.Redis.from_url(redis_server.url)
    threads = MAX_CONNECTIONS + 30
    ready = threading.Barrier(threads)
    answers = []

    def wait_on_redis():
        ready.wait()
        answers.append(client.blpop(["nothing-here"], timeout=0.2))

    workers = [threading.Thread(target=wait_on_redis) for _ in range(threads)]
    others = len(admin.client_list())  # this test's admin, and any another test left open
    try:
        for worker in workers:
            worker.start()
        time.sleep(0.1)
        connected = len(admin.client_list()) - others
        for worker in workers:
            worker.join(timeout=30)
    finally:
        client.close()
        admin.close()
    assert answers == [None] * threads  # the last 30 waited for a connection, none failed
    assert connected <= MAX_CONNECTIONS
