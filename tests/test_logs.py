import json

import pytest

from burki_sip import create_app
from burki_sip.web.telemetry import request_id_of


def log_lines(capsys) -> list[dict]:
    """Every line the app wrote to stdout so far, each parsed as JSON (fails on any other line)."""
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def access_lines(capsys) -> list[dict]:
    return [line for line in log_lines(capsys) if line["logger"] == "burki_sip.access"]


def test_one_json_line_per_request(client, capsys, seed_prewarm):
    capsys.readouterr()
    response = client.post("/sip-prewarm", json=seed_prewarm)

    [line] = access_lines(capsys)
    assert line["message"] == "request"
    assert line["level"] == "info"
    assert (line["method"], line["path"], line["status"]) == ("POST", "/sip-prewarm", 200)
    assert line["time"].endswith("Z") and line["duration_ms"] >= 0
    assert line["call_sid"] == "sip-20260430-abc123"
    assert line["request_id"] == response.headers["X-Request-ID"]


def test_the_callers_request_id_is_kept_and_returned(client, capsys):
    capsys.readouterr()
    response = client.get("/healthz", headers={"X-Request-ID": "heroku-3f2a9c"})

    assert response.headers["X-Request-ID"] == "heroku-3f2a9c"
    assert access_lines(capsys)[0]["request_id"] == "heroku-3f2a9c"


@pytest.mark.parametrize("sent", ["", "has space", "x" * 129, "tab\there", "{braces}", '"q"'])
def test_an_unusable_request_id_is_replaced(client, sent):
    returned = client.get("/healthz", headers={"X-Request-ID": sent}).headers["X-Request-ID"]
    assert returned != sent and len(returned) == 36


def test_generated_request_ids_differ(client):
    ids = {client.get("/healthz").headers["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3
    assert request_id_of(None) != request_id_of(None)


def test_errors_carry_the_request_id_and_the_call_sid(client, capsys):
    capsys.readouterr()
    response = client.post("/sip-webhook", data={"CallSid": "CA9"},
                           headers={"X-Request-ID": "req-1"})
    not_found = client.get("/nope")

    assert response.status_code == 200 and not_found.status_code == 404
    webhook, missing = access_lines(capsys)
    assert (webhook["request_id"], webhook["call_sid"]) == ("req-1", "CA9")
    assert missing["status"] == 404 and "call_sid" not in missing
    assert not_found.headers["X-Request-ID"]


def test_app_lines_are_json_with_the_request_id(client, fake_redis, capsys, seed_prewarm):
    fake_redis.connection_pool.connection_kwargs["server"].connected = False
    capsys.readouterr()
    client.post("/sip-prewarm", json=seed_prewarm, headers={"X-Request-ID": "req-2"})

    lines = log_lines(capsys)
    [error] = [line for line in lines if line["level"] == "error"]
    assert error["logger"] == "burki_sip.web.errors"
    assert "redis unavailable" in error["message"]
    assert error["request_id"] == "req-2" and error["call_sid"] == "sip-20260430-abc123"


def test_bodies_and_headers_are_not_logged(client, capsys, seed_prewarm):
    capsys.readouterr()
    client.post("/sip-prewarm", json=seed_prewarm, headers={"Authorization": "Bearer s3cret"})
    client.post("/sip-webhook", data={"CallSid": "CA1", "From": "+15559876543"})

    out = capsys.readouterr().out
    assert "+1555" not in out and "s3cret" not in out and "Authorization" not in out


def test_log_level_setting_hides_the_access_line(fake_redis, capsys):
    app = create_app({"TESTING": True, "LOG_LEVEL": "warning"}, redis_client=fake_redis)
    capsys.readouterr()
    app.test_client().get("/healthz")
    assert capsys.readouterr().out == ""


def test_invalid_log_level_is_named_at_startup(fake_redis):
    with pytest.raises(ValueError, match="LOG_LEVEL"):
        create_app({"LOG_LEVEL": "chatty"}, redis_client=fake_redis)


def test_building_two_apps_does_not_double_the_lines(fake_redis, capsys):
    create_app({"TESTING": True}, redis_client=fake_redis)
    app = create_app({"TESTING": True}, redis_client=fake_redis)
    capsys.readouterr()
    app.test_client().get("/healthz")
    assert len(log_lines(capsys)) == 1
