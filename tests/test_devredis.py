import logging
import signal
import subprocess

import pytest
import redis

from burki_sip import create_app, devredis
from burki_sip.redact import without_password
from settings_support import clean_env
from support import BIN, ROOT, free_port, port_open, wait_until


def test_redis_url_wins_when_set(tmp_path):
    runtime_file = tmp_path / "redis-url"
    url = devredis.resolve_redis_url({"REDIS_URL": "redis://cache:6379/1"}, runtime_file=runtime_file)
    assert url == "redis://cache:6379/1"
    assert not runtime_file.exists()


@pytest.mark.integration
def test_embedded_server_when_redis_url_is_unset(tmp_path, caplog, seed_prewarm):
    runtime_file = tmp_path / ".burki-sip" / "redis-url"
    with caplog.at_level(logging.WARNING):
        url = devredis.resolve_redis_url({}, runtime_file=runtime_file)
    try:
        # Never the machine's own Redis on 6379: a new server on a free port, announced in one line.
        assert url.startswith("redis://127.0.0.1:") and not url.endswith(":6379/0")
        [record] = caplog.records
        assert "NOT durable" in record.getMessage() and url in record.getMessage()
        assert runtime_file.read_text().strip() == url

        # A real redis-server that keeps nothing on disk, shared by the app and redis-cli-style
        # clients.
        app = create_app({"TESTING": True, "REDIS_URL": url})
        assert app.test_client().post("/sip-prewarm", json=seed_prewarm).status_code == 200
        other = redis.Redis.from_url(url, decode_responses=True)
        assert other.ttl("burki:sip:call:{sip-20260430-abc123}:context") > 0
        assert other.info("server")["executable"].endswith("redis-server")
        assert other.config_get("save") == {"save": ""}
        assert other.config_get("appendonly") == {"appendonly": "no"}
        other.close()
    finally:
        devredis.stop_embedded(url, runtime_file)
    assert not runtime_file.exists() and not port_open(int(url.rsplit(":", 1)[1].split("/")[0]))


@pytest.mark.integration
def test_a_consumer_restarted_under_its_name_works_on_the_development_server(tmp_path):
    """The development default runs what production runs: here group.lua on a consumer's restart,
    which the former in-process fake could not answer (the consumer looped on a closed
    connection)."""
    url = devredis.start_embedded()
    handled = tmp_path / "handled"
    consume = [str(BIN / "burki-sip"), "events", "consume", "status", "--group", "billing",
               "--consumer", "billing-1", "--from-start", "--exec", f"cat >> {handled}"]
    client = create_app({"TESTING": True, "REDIS_URL": url}).test_client()
    try:
        for call_sid in ("first", "second"):
            client.post("/sip-status", json={"call_sid": call_sid, "status": "ringing"})
            consumer = subprocess.Popen(consume, env=clean_env(REDIS_URL=url),
                                        stderr=subprocess.PIPE, text=True)
            try:
                wait_until(lambda: handled.exists() and call_sid in handled.read_text(),
                           timeout=20, what=f"the event of {call_sid} handled")
            finally:
                consumer.send_signal(signal.SIGTERM)
                _, errors = consumer.communicate(timeout=20)
            assert consumer.returncode == 0 and "Connection closed" not in errors, errors
    finally:
        devredis.stop_embedded(url)


def test_a_missing_redis_server_is_one_error_naming_the_package():
    with pytest.raises(devredis.EmbeddedRedisError, match="install the package redis-server"):
        devredis.start_embedded("redis-server-that-is-not-installed")


def test_runtime_file_is_removed_only_if_it_is_ours(tmp_path):
    runtime_file = tmp_path / "redis-url"
    runtime_file.write_text("redis://127.0.0.1:1111/0\n")
    devredis.stop_embedded("redis://127.0.0.1:2222/0", runtime_file)  # a later make run's
    assert runtime_file.exists()
    devredis.stop_embedded("redis://127.0.0.1:1111/0", runtime_file)
    assert not runtime_file.exists()
    devredis.stop_embedded("redis://127.0.0.1:1111/0", runtime_file)  # gone already: fine


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


def test_gunicorn_without_redis_server_or_redis_url_stops_with_one_line():
    port = free_port()
    env = clean_env(HOST="127.0.0.1", PORT=str(port), PATH=str(BIN))  # no redis-server on PATH
    finished = subprocess.run([str(BIN / "gunicorn"), "wsgi:app"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
    assert finished.returncode == 1 and "Traceback" not in finished.stderr
    [line] = [line for line in finished.stderr.splitlines() if line.startswith("Error")]
    assert line == f"Error: {devredis.MISSING}"
    assert not port_open(port)
