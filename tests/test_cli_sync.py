"""``burki-sip sync-organization``: exit codes, what it prints, and the masked dry run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge_support import API_KEY, SYNC_PATH, valid_config
from burki_sip.cli import main
from support import free_port


# One quick retry: the options of the command, not settings of the service.
QUICK = ("--retries", "1", "--backoff", "0", "--read-timeout", "2", "--connect-timeout", "1")


def settings_for(httpserver, **env: str) -> dict:
    """The command's environment: the loopback bridge, and no reachable Redis."""
    return {
        # Nothing listens here: the command must not need Redis.
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "SIP_BRIDGE_URL": httpserver.url_for("/"), "SIP_BRIDGE_API_KEY": API_KEY, **env,
    }


@pytest.fixture
def run(httpserver, tmp_path):
    """Run the real ``burki-sip`` group against the loopback bridge; Redis is never reachable."""

    def invoke(*args, stdin=None, **env):
        return CliRunner().invoke(main, ["sync-organization", *QUICK, *args], input=stdin,
                                  env=settings_for(httpserver, **env))

    return invoke


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "org.json"
    path.write_text(json.dumps(valid_config()))
    return str(path)


def test_sync_prints_the_bridge_answer_and_exits_0(httpserver, run, config_file):
    httpserver.expect_request(SYNC_PATH, method="POST").respond_with_json({"synced": True})
    result = run(config_file)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"synced": True}
    [(request, _)] = httpserver.log
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert json.loads(request.get_data())["organization_id"] == 42


def test_dash_reads_standard_input(httpserver, run):
    httpserver.expect_request(SYNC_PATH, method="POST").respond_with_json({"synced": True})
    result = run("-", stdin=json.dumps(valid_config()))
    assert result.exit_code == 0, result.output
    assert len(httpserver.log) == 1


@pytest.mark.parametrize(("text", "fragments"), [
    (json.dumps({**valid_config(), "organization_id": "x"}), ["organization_id:"]),
    (json.dumps({**valid_config(), "trunks": [{"id": 1, "name": "a", "host": "h", "port": 0},
                                              {"id": 2, "name": "b", "host": "h", "port": 99999}]}),
     ["trunks[0].port:", "trunks[1].port:"]),
    ("{not json", ["is not valid JSON"]),
    ('{"organization_id": NaN}', ["is not valid JSON"]),
    ("[]", ["(root): must be a JSON object"]),
])
def test_an_invalid_config_exits_2_and_sends_nothing(httpserver, run, text, fragments):
    result = run("-", stdin=text)
    assert result.exit_code == 2
    for fragment in fragments:
        assert fragment in result.stderr
    assert "Traceback" not in result.output
    assert httpserver.log == []


def test_a_failing_bridge_exits_1_with_what_to_check(httpserver, run, config_file):
    httpserver.expect_request(SYNC_PATH).respond_with_json({"error": "bad key"}, status=401)
    result = run(config_file)
    assert result.exit_code == 1
    assert "check SIP_BRIDGE_API_KEY" in result.stderr and "bad key" in result.stderr
    assert API_KEY not in result.output
    assert result.stdout == ""


def test_an_unreachable_bridge_exits_1(run, config_file):
    result = run(config_file, SIP_BRIDGE_URL=f"http://127.0.0.1:{free_port()}")
    assert result.exit_code == 1
    assert "could not be connected to (2 attempts)" in result.stderr


@pytest.mark.parametrize(("env", "fragment"), [
    ({"SIP_BRIDGE_URL": None}, "SIP_BRIDGE_URL is not set"),
    ({"SIP_BRIDGE_API_KEY": None}, "SIP_BRIDGE_API_KEY is not set"),
])
def test_missing_bridge_settings_exit_1_with_a_clear_message(httpserver, run, config_file, env,
                                                             fragment):
    result = run(config_file, **env)
    assert result.exit_code == 1
    assert fragment in result.stderr
    assert isinstance(result.exception, SystemExit)  # a clean exit, not a traceback
    assert httpserver.log == []


def test_dry_run_prints_the_config_with_passwords_masked_and_sends_nothing(httpserver, run):
    config = valid_config()
    config["trunks"][1]["extra"] = {"auth_token": "tok-123", "note": "kept"}
    result = run("--dry-run", "-", stdin=json.dumps(config))
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["trunks"][0]["password"] == "********"
    assert shown["trunks"][0]["username"] == "acme"
    assert shown["trunks"][1]["extra"] == {"auth_token": "********", "note": "kept"}
    assert shown["trunks"][1]["port"] == 5061  # what would be sent, defaults filled in
    assert "s3cret-pw" not in result.output and "tok-123" not in result.output
    assert "nothing was sent" in result.stderr
    assert httpserver.log == []


def test_dry_run_needs_no_bridge_settings(run, config_file):
    result = run("--dry-run", config_file, SIP_BRIDGE_URL=None, SIP_BRIDGE_API_KEY=None)
    assert result.exit_code == 0, result.output
    assert "SIP_BRIDGE_URL, which is not set" in result.stderr


@pytest.mark.parametrize(("option", "value"), [
    ("--connect-timeout", "0"), ("--read-timeout", "nan"), ("--retries", "-1"),
    ("--retries", "two"), ("--backoff", "-0.5"),
])
def test_a_bad_option_is_one_error_and_sends_nothing(httpserver, run, config_file, option, value):
    result = run(option, value, config_file)
    assert result.exit_code == 2
    assert f"Invalid value for '{option}': '{value}' is invalid" in result.stderr
    assert httpserver.log == []


def test_dry_run_of_an_invalid_config_exits_2(run):
    result = run("--dry-run", "-", stdin=json.dumps({"organization_id": 1}))
    assert result.exit_code == 2
    assert "trunks: Missing data" in result.stderr


def test_a_failing_bridge_is_reported_once_on_stderr(httpserver, config_file):
    """The real console script: the failure reaches the operator once, not as a log line and again
    as the command's error."""
    httpserver.expect_request(SYNC_PATH).respond_with_json({"error": "bad key"}, status=401)
    console_script = Path(sys.executable).with_name("burki-sip")
    finished = subprocess.run([str(console_script), "sync-organization", *QUICK, config_file],
                              env={**os.environ, **settings_for(httpserver)},
                              capture_output=True, text=True, timeout=60)
    assert finished.returncode == 1
    assert finished.stderr.count("bad key") == 1, finished.stderr
    assert "check SIP_BRIDGE_API_KEY" in finished.stderr
