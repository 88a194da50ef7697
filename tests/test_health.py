import socket
import time

import pytest
from prometheus_client import REGISTRY

from burki_sip import create_app
from support import free_port, wait_until


def redis_errors(error: str) -> float:
    return REGISTRY.get_sample_value("burki_sip_redis_errors_total", {"error": error}) or 0.0


@pytest.fixture
def redis_down(fake_redis):
    """The fake Redis stops answering: every command raises ConnectionError."""
    fake_redis.connection_pool.connection_kwargs["server"].connected = False
    return fake_redis


def test_healthz_answers_without_redis(client, redis_down):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_answers_when_redis_pings(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready"}


def test_readyz_is_503_json_when_redis_is_down(client, redis_down):
    before = redis_errors("ConnectionError")
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["error"]
    assert response.headers["Retry-After"]
    assert redis_errors("ConnectionError") == before + 1


@pytest.mark.integration
def test_readyz_on_a_real_redis(redis_server):
    app = create_app({"TESTING": True, "REDIS_URL": redis_server.url})
    assert app.test_client().get("/readyz").status_code == 200


def test_readyz_gives_up_after_the_health_timeout_not_the_request_timeout():
    # A socket that accepts connections but never answers: PING can only time out.
    silent = socket.create_server(("127.0.0.1", 0))
    port = silent.getsockname()[1]
    app = create_app({"TESTING": True, "REDIS_URL": f"redis://127.0.0.1:{port}/0",
                      "REDIS_SOCKET_TIMEOUT": 30})
    try:
        started = time.monotonic()
        response = app.test_client().get("/readyz")
        elapsed = time.monotonic() - started
    finally:
        silent.close()

    assert response.status_code == 503 and response.get_json()["error"]
    assert elapsed < 10  # the request timeout (30 s) would be far past this


def test_readyz_when_nothing_listens():
    app = create_app({"TESTING": True, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert set(response.get_json()) == {"error"}


@pytest.mark.parametrize(("replicas", "status"), [(0, 200), (1, 503)])
def test_readyz_waits_for_the_replicas_writes_wait_for(fake_redis, replicas, status):
    # fakeredis has no replica: WAIT answers 0, as a primary whose replica is gone would.
    app = create_app({"TESTING": True, "REDIS_ACK_REPLICAS": replicas}, redis_client=fake_redis)
    response = app.test_client().get("/readyz")
    assert response.status_code == status
    assert fake_redis.exists("burki:sip:health:readyz")


@pytest.mark.integration
def test_readyz_is_ready_when_the_replicas_acknowledge(redis_replicated):
    client = redis_replicated.client()  # the primary, with one replica
    try:
        one, two = (create_app({"TESTING": True, "REDIS_ACK_REPLICAS": replicas},
                               redis_client=client).test_client() for replicas in (1, 2))
        # Probed again as a load balancer would: on a loaded machine one probe may meet a
        # replica slower than the probe's 0.25 s.
        wait_until(lambda: one.get("/readyz").status_code == 200, what="/readyz ready")
        assert two.get("/readyz").status_code == 503  # one replica can never be two
    finally:
        client.close()
