import logging

import pytest
import redis

from burki_sip import create_app, devredis
from burki_sip.config import without_password
from support import free_port


def test_redis_url_wins_when_set(tmp_path):
    runtime_file = tmp_path / "redis-url"
    url = devredis.resolve_redis_url({"REDIS_URL": "redis://cache:6379/1"}, runtime_file=runtime_file)
    assert url == "redis://cache:6379/1"
    assert not runtime_file.exists()


def test_embedded_server_when_redis_url_is_unset(tmp_path, caplog, seed_prewarm):
    runtime_file = tmp_path / ".burki-sip" / "redis-url"
    with caplog.at_level(logging.WARNING):
        url = devredis.resolve_redis_url({}, runtime_file=runtime_file)

    # Never the machine's own Redis on 6379: a new server on a free port, announced in one line.
    assert url.startswith("redis://127.0.0.1:") and not url.endswith(":6379/0")
    [record] = caplog.records
    assert "NOT durable" in record.getMessage() and url in record.getMessage()
    assert runtime_file.read_text().strip() == url

    # The embedded server is a real TCP Redis: the app and redis-cli-style clients share it.
    app = create_app({"TESTING": True, "REDIS_URL": url})
    assert app.test_client().post("/sip-prewarm", json=seed_prewarm).status_code == 200
    other = redis.Redis.from_url(url, decode_responses=True)
    assert other.ttl("burki:sip:call:{sip-20260430-abc123}:context") > 0
    assert other.eval("return redis.call('PING')", 0) == "PONG"
    other.close()


def test_runtime_file_is_removed_only_if_it_is_ours(tmp_path):
    runtime_file = tmp_path / "redis-url"
    runtime_file.write_text("redis://127.0.0.1:1111/0\n")
    devredis.forget_embedded("redis://127.0.0.1:2222/0", runtime_file)  # a later make run's
    assert runtime_file.exists()
    devredis.forget_embedded("redis://127.0.0.1:1111/0", runtime_file)
    assert not runtime_file.exists()
    devredis.forget_embedded("redis://127.0.0.1:1111/0", runtime_file)  # gone already: fine


def test_cli_finds_the_development_server(tmp_path):
    runtime_file = tmp_path / "redis-url"
    with pytest.raises(ValueError, match=r"REDIS_URL is not set .*`make run`"):
        devredis.url_for_cli({}, runtime_file)
    runtime_file.write_text("redis://127.0.0.1:1234/0\n")
    assert devredis.url_for_cli({}, runtime_file)["REDIS_URL"] == "redis://127.0.0.1:1234/0"
    assert devredis.url_for_cli({"REDIS_URL": "redis://x:1/0"}, runtime_file)["REDIS_URL"] == \
        "redis://x:1/0"


def test_no_development_fallback_for_sentinel_or_cluster(tmp_path):
    runtime_file = tmp_path / "redis-url"
    assert devredis.resolve_redis_url({"REDIS_SENTINELS": "10.0.0.1:26379"},
                                      runtime_file=runtime_file) == ""
    assert devredis.resolve_redis_url({"REDIS_CLUSTER": "true"}, runtime_file=runtime_file) == ""
    assert not runtime_file.exists()


def test_unreachable_redis_is_one_warning_without_the_password(caplog):
    url = f"redis://:s3cret@127.0.0.1:{free_port()}/0"
    with caplog.at_level(logging.WARNING):
        assert devredis.warn_if_unreachable({"REDIS_URL": url}) is False
    [record] = caplog.records
    message = record.getMessage()
    assert "\n" not in message and "s3cret" not in message
    assert without_password(url) in message and "does not answer" in message


@pytest.mark.integration
def test_reachable_redis_gives_no_warning(redis_server, caplog):
    with caplog.at_level(logging.WARNING):
        assert devredis.warn_if_unreachable({"REDIS_URL": redis_server.url}) is True
    assert caplog.records == []
