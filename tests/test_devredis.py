import logging

import pytest
import redis

from burki_sip import create_app, devredis
from support import free_port


def test_redis_url_wins_when_set():
    assert devredis.resolve_redis_url({"REDIS_URL": "redis://cache:6379/1"}) == "redis://cache:6379/1"


@pytest.mark.integration
def test_local_redis_is_used_when_it_answers(redis_server, monkeypatch):
    monkeypatch.setattr(devredis, "LOCAL_URL", redis_server.url)
    assert devredis.resolve_redis_url({}) == redis_server.url


def test_embedded_server_when_nothing_answers(monkeypatch, caplog, seed_prewarm):
    monkeypatch.setattr(devredis, "LOCAL_URL", f"redis://127.0.0.1:{free_port()}/0")
    with caplog.at_level(logging.WARNING):
        url = devredis.resolve_redis_url({})

    assert url.startswith("redis://127.0.0.1:")
    [record] = caplog.records
    assert "NOT durable" in record.getMessage()

    # The embedded server is a real TCP Redis: the app and redis-cli-style clients share it.
    app = create_app({"TESTING": True, "REDIS_URL": url})
    assert app.test_client().post("/sip-prewarm", json=seed_prewarm).status_code == 200
    other = redis.Redis.from_url(url, decode_responses=True)
    assert other.ttl("burki:sip:call:{sip-20260430-abc123}:context") > 0
    assert other.eval("return redis.call('PING')", 0) == "PONG"
    other.close()


@pytest.mark.integration
def test_no_development_fallback_for_sentinel_or_cluster(monkeypatch, redis_server):
    # Even with a Redis answering on the local URL: a Sentinel or Cluster setup never uses it.
    monkeypatch.setattr(devredis, "LOCAL_URL", redis_server.url)
    assert devredis.resolve_redis_url({"REDIS_SENTINELS": "10.0.0.1:26379"}) == ""
    assert devredis.resolve_redis_url({"REDIS_CLUSTER": "true"}) == ""
    assert devredis.resolve_redis_url({"REDIS_CLUSTER": "false"}) == redis_server.url
