"""BridgeClient against a real HTTP server on loopback: the request, retries, timeouts, failures."""

from __future__ import annotations

import hashlib
import json
import logging
import time

import pytest
from marshmallow import ValidationError

from bridge_support import API_KEY, SYNC_PATH, silent_bridge, stalling_bridge, valid_config
from burki_sip import create_app
from burki_sip.bridge.client import BridgeClient, canonical_json
from burki_sip.bridge import BridgeConfigError, BridgeError
from burki_sip.bridge.organization import validate_organization
from support import free_port


@pytest.fixture
def make_client():
    """Build clients with tiny backoff and short timeouts; every one is closed afterwards."""
    clients = []

    def make(base_url, **options):
        options = {"connect_timeout": 1.0, "read_timeout": 2.0, "retries": 3, "backoff": 0.01,
                   **options}
        clients.append(BridgeClient(base_url, API_KEY, **options))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def bridge(httpserver, make_client):
    """A client of the pytest-httpserver bridge."""
    return make_client(httpserver.url_for("/"))


def expect_sync(httpserver):
    return httpserver.expect_ordered_request(SYNC_PATH, method="POST")


def test_sync_posts_the_validated_config_with_key_and_idempotency_key(httpserver, bridge):
    expect_sync(httpserver).respond_with_json({"synced": True, "trunks": 2})

    assert bridge.sync_organization(valid_config()) == {"synced": True, "trunks": 2}

    [(request, _)] = httpserver.log
    expected_body = canonical_json(validate_organization(valid_config()))
    assert request.url == httpserver.url_for(SYNC_PATH)
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Idempotency-Key"] == hashlib.sha256(expected_body).hexdigest()
    assert request.get_data() == expected_body
    assert json.loads(request.get_data())["trunks"][1]["port"] == 5061


def test_the_sync_path_is_added_to_a_base_url_with_a_path(httpserver, make_client):
    httpserver.expect_request("/bridge" + SYNC_PATH, method="POST").respond_with_json({})
    make_client(httpserver.url_for("/bridge/")).sync_organization(valid_config())
    assert len(httpserver.log) == 1


def test_idempotency_key_follows_the_content_not_its_spelling(httpserver, bridge):
    httpserver.expect_request(SYNC_PATH).respond_with_json({})
    reordered = dict(reversed(list(valid_config().items())))
    explicit = valid_config()
    explicit["trunks"][0].update(port=5060, enabled=True)
    other = valid_config()
    other["phone_numbers"][0]["assistant_id"] = 999
    for config in (valid_config(), reordered, explicit, other):
        bridge.sync_organization(config)
    keys = [request.headers["Idempotency-Key"] for request, _ in httpserver.log]
    assert keys[0] == keys[1] == keys[2] != keys[3]


def test_an_empty_answer_is_none(httpserver, bridge):
    expect_sync(httpserver).respond_with_data("", status=204)
    assert bridge.sync_organization(valid_config()) is None


def test_503_twice_then_200_succeeds_in_three_attempts(httpserver, bridge, caplog):
    caplog.set_level(logging.INFO, logger="burki_sip.bridge")
    expect_sync(httpserver).respond_with_json({"error": "reloading"}, status=503)
    expect_sync(httpserver).respond_with_data("Bad Gateway", status=502)
    expect_sync(httpserver).respond_with_json({"synced": True})

    assert bridge.sync_organization(valid_config()) == {"synced": True}

    assert len(httpserver.log) == 3
    assert len({request.headers["Idempotency-Key"] for request, _ in httpserver.log}) == 1
    assert "in 3 attempt(s)" in caplog.text


def test_always_503_gives_up_after_the_configured_attempts(httpserver, make_client):
    httpserver.expect_request(SYNC_PATH).respond_with_json({"error": "gateway reloading"},
                                                           status=503)
    client = make_client(httpserver.url_for("/"), retries=2)

    with pytest.raises(BridgeError) as info:
        client.sync_organization(valid_config())

    error = info.value
    assert len(httpserver.log) == 3
    assert (error.bridge_status, error.attempts, error.status_code) == (503, 3, 502)
    assert error.bridge_message == "gateway reloading"
    assert "HTTP 503 (3 attempts)" in error.message
    assert "bridge's status" in error.message


def test_zero_retries_means_one_attempt(httpserver, make_client):
    httpserver.expect_request(SYNC_PATH).respond_with_data("", status=504)
    with pytest.raises(BridgeError) as info:
        make_client(httpserver.url_for("/"), retries=0).sync_organization(valid_config())
    assert (info.value.attempts, len(httpserver.log)) == (1, 1)


def test_retry_after_is_honoured(httpserver, make_client):
    expect_sync(httpserver).respond_with_data("", status=429, headers={"Retry-After": "1"})
    expect_sync(httpserver).respond_with_json({"synced": True})
    client = make_client(httpserver.url_for("/"), backoff=0)

    started = time.monotonic()
    assert client.sync_organization(valid_config()) == {"synced": True}
    assert time.monotonic() - started >= 0.95  # only the bridge's Retry-After made it wait


def test_a_huge_retry_after_is_capped(httpserver, make_client):
    expect_sync(httpserver).respond_with_data("", status=503, headers={"Retry-After": "3600"})
    expect_sync(httpserver).respond_with_json({"synced": True})
    client = make_client(httpserver.url_for("/"), max_wait=0)
    started = time.monotonic()
    assert client.sync_organization(valid_config()) == {"synced": True}
    assert time.monotonic() - started < 60


def test_retries_use_urllib3_retry_on_the_session_adapter(bridge):
    retry = bridge.session.get_adapter(bridge.url).max_retries
    assert "POST" in retry.allowed_methods
    assert set(retry.status_forcelist) == {429, 502, 503, 504}
    assert (retry.total, retry.backoff_factor, retry.backoff_jitter) == (3, 0.01, 0.01)
    assert retry.respect_retry_after_header


def test_401_is_not_retried_and_names_the_key_setting(httpserver, bridge):
    httpserver.expect_request(SYNC_PATH).respond_with_json({"error": "invalid token"},
                                                           status=401)
    with pytest.raises(BridgeError) as info:
        bridge.sync_organization(valid_config())
    assert len(httpserver.log) == 1
    assert (info.value.bridge_status, info.value.attempts) == (401, 1)
    assert "check SIP_BRIDGE_API_KEY" in info.value.message
    assert "invalid token" in info.value.message


@pytest.mark.parametrize(("status", "fragment"), [
    (403, "check SIP_BRIDGE_API_KEY"),
    (404, "check SIP_BRIDGE_URL"),
    (422, "check the organization config"),
    (500, "check the bridge's status"),
])
def test_other_errors_are_not_retried_and_say_what_to_check(httpserver, bridge, status, fragment):
    httpserver.expect_request(SYNC_PATH).respond_with_data("nope", status=status)
    with pytest.raises(BridgeError) as info:
        bridge.sync_organization(valid_config())
    assert len(httpserver.log) == 1
    assert fragment in info.value.message and info.value.bridge_status == status


def test_a_redirect_is_reported_not_followed(httpserver, bridge):
    httpserver.expect_request(SYNC_PATH).respond_with_data(
        "", status=308, headers={"Location": "https://elsewhere.example/api"})
    with pytest.raises(BridgeError) as info:
        bridge.sync_organization(valid_config())
    assert len(httpserver.log) == 1
    assert "redirects to https://elsewhere.example/api" in info.value.message


def test_the_bridge_message_is_truncated(httpserver, bridge):
    httpserver.expect_request(SYNC_PATH).respond_with_json({"error": "x" * 5000}, status=400)
    with pytest.raises(BridgeError) as info:
        bridge.sync_organization(valid_config())
    assert info.value.bridge_message == "x" * 200 + "..."
    assert len(info.value.message) < 600


def test_a_2xx_answer_that_is_not_json_is_an_error(httpserver, bridge):
    httpserver.expect_request(SYNC_PATH).respond_with_data("<html>login</html>", status=200)
    with pytest.raises(BridgeError) as info:
        bridge.sync_organization(valid_config())
    assert "not with JSON" in info.value.message and info.value.bridge_status == 200


@pytest.mark.timeout(20)
def test_a_bridge_that_never_answers_times_out(make_client):
    with silent_bridge() as url:
        client = make_client(url, read_timeout=0.2, retries=1)
        started = time.monotonic()
        with pytest.raises(BridgeError) as info:
            client.sync_organization(valid_config())
    assert time.monotonic() - started >= 0.4  # two attempts, each waited out its read timeout
    assert info.value.attempts == 2 and info.value.bridge_status is None
    assert "did not answer within 0.2 s" in info.value.message
    assert "--read-timeout" in info.value.message


@pytest.mark.timeout(20)
def test_a_body_that_stalls_times_out_with_the_attempts_made(make_client):
    with stalling_bridge() as url:
        client = make_client(url, read_timeout=0.2, retries=0)
        with pytest.raises(BridgeError) as info:
            client.sync_organization(valid_config())
    assert info.value.attempts == 1
    assert "did not answer within 0.2 s" in info.value.message


def test_connection_refused_is_retried_then_reported(make_client):
    client = make_client(f"http://127.0.0.1:{free_port()}", retries=2)
    with pytest.raises(BridgeError) as info:
        client.sync_organization(valid_config())
    assert info.value.attempts == 3 and info.value.bridge_status is None
    assert "could not be connected to (3 attempts)" in info.value.message
    assert "check SIP_BRIDGE_URL" in info.value.message


@pytest.mark.parametrize("config", [
    {"trunks": [], "phone_numbers": []},
    {**valid_config(), "trunks": [{"id": 1, "name": "x", "host": "h", "port": 70000}]},
    {**valid_config(), "phone_numbers": [{"number": "+15550000000", "assistant_id": 1}] * 2},
    [],
])
def test_invalid_configs_are_rejected_before_any_request(httpserver, bridge, config):
    with pytest.raises(ValidationError):
        bridge.sync_organization(config)
    assert httpserver.log == []


def scenario_401_echoing_the_key(httpserver, make_client):
    httpserver.expect_request(SYNC_PATH).respond_with_json(
        {"error": f"bad token Bearer {API_KEY}"}, status=401)
    return make_client(httpserver.url_for("/"))


def scenario_always_503(httpserver, make_client):
    httpserver.expect_request(SYNC_PATH).respond_with_data(f"down ({API_KEY})", status=503)
    return make_client(httpserver.url_for("/"), retries=1)


def scenario_refused(httpserver, make_client):
    return make_client(f"http://127.0.0.1:{free_port()}", retries=1)


@pytest.mark.parametrize("scenario", [scenario_401_echoing_the_key, scenario_always_503,
                                      scenario_refused])
def test_the_api_key_never_reaches_a_message_or_a_log(httpserver, make_client, caplog, scenario):
    caplog.set_level(logging.DEBUG)
    client = scenario(httpserver, make_client)
    with pytest.raises(BridgeError) as info:
        client.sync_organization(valid_config())
    error = info.value
    for text in (str(error), repr(error), error.message, error.bridge_message or "",
                 repr(client), caplog.text):
        assert API_KEY not in text
    assert caplog.records  # the failure was logged, without the key


def test_the_key_is_absent_from_the_success_logs(httpserver, bridge, caplog):
    caplog.set_level(logging.DEBUG)
    httpserver.expect_request(SYNC_PATH).respond_with_json({"ok": True})
    bridge.sync_organization(valid_config())
    assert "synced" in caplog.text and API_KEY not in caplog.text


@pytest.mark.parametrize(("url", "key", "fragment"), [
    (None, API_KEY, "SIP_BRIDGE_URL is not set"),
    ("", API_KEY, "SIP_BRIDGE_URL is not set"),
    ("http://bridge.example", None, "SIP_BRIDGE_API_KEY is not set"),
    ("bridge.example", API_KEY, "http:// or https://"),
    ("ftp://bridge.example", API_KEY, "http:// or https://"),
    ("https://user:pw@bridge.example", API_KEY, "must not hold credentials"),
    ("http://bridge.example:99999", API_KEY, "not a valid URL"),
    ("http://[::1", API_KEY, "not a valid URL"),
])
def test_missing_or_bad_settings_are_a_clear_configuration_error(url, key, fragment, fake_redis):
    settings = {"SIP_BRIDGE_URL": url, "SIP_BRIDGE_API_KEY": key}
    config = create_app(settings, redis_client=fake_redis).config
    with pytest.raises(BridgeConfigError, match=fragment) as info:
        BridgeClient.from_config(config)
    assert API_KEY not in str(info.value)


def test_from_config_reads_the_bridge_from_the_environment(monkeypatch, fake_redis):
    monkeypatch.setenv("SIP_BRIDGE_URL", "http://bridge.example/")
    monkeypatch.setenv("SIP_BRIDGE_API_KEY", API_KEY)
    config = create_app(redis_client=fake_redis).config
    with BridgeClient.from_config(config, connect_timeout=1.5, retries=0) as client:
        assert client.url == "http://bridge.example/api/sync-organization"
        assert client.timeout == (1.5, 5.0)  # the read timeout at its default
        assert client.session.get_adapter(client.url).max_retries.total == 0


@pytest.mark.parametrize(("error", "status"), [
    (BridgeError("the SIP bridge answered HTTP 503", bridge_status=503, attempts=4), 502),
    (BridgeConfigError("SIP_BRIDGE_URL is not set"), 500),
])
def test_bridge_errors_in_a_request_become_json(error, status, fake_redis):
    app = create_app({"TESTING": False}, redis_client=fake_redis)

    @app.get("/needs-bridge")
    def needs_bridge():
        raise error

    response = app.test_client().get("/needs-bridge")
    assert response.status_code == status
    assert response.get_json() == {"error": error.message}


def test_a_short_key_does_not_garble_the_advice(make_client):
    client = BridgeClient(f"http://127.0.0.1:{free_port()}", "k", retries=0)
    with pytest.raises(BridgeError) as info, client:
        client.sync_organization(valid_config())
    assert "check SIP_BRIDGE_URL" in info.value.message


def sync_metrics():
    """Current values of the bridge sync counters (process-local registry)."""
    from prometheus_client import REGISTRY

    def value(name, **labels):
        return REGISTRY.get_sample_value(name, labels) or 0.0

    return (value("burki_sip_bridge_sync_attempts_total"),
            value("burki_sip_bridge_sync_failures_total", reason="retried"),
            value("burki_sip_bridge_sync_failures_total", reason="5xx"),
            value("burki_sip_bridge_sync_failures_total", reason="unreachable"))


def test_sync_attempts_and_failures_are_counted(httpserver, make_client):
    client = make_client(httpserver.url_for("/"), retries=2)
    before = sync_metrics()
    expect_sync(httpserver).respond_with_json({"error": "reloading"}, status=503)
    expect_sync(httpserver).respond_with_json({"synced": True})
    client.sync_organization(valid_config())
    httpserver.expect_request(SYNC_PATH).respond_with_json({"error": "down"}, status=503)
    with pytest.raises(BridgeError):
        client.sync_organization(valid_config())

    after = sync_metrics()
    assert [b - a for a, b in zip(before, after)] == [2 + 3, 1, 3, 0]
