import pytest

from burki_sip import create_app, startup
from burki_sip.config import SERVER_SETTINGS, SETTINGS, check, defaults, from_env
from burki_sip.redact import without_password
from support import ROOT


def test_defaults_cover_every_setting():
    assert set(defaults()) == {setting.name for setting in SETTINGS}
    assert defaults()["SIP_PREWARM_TTL"] == 300
    assert defaults()["REDIS_KEY_PREFIX"] == "burki:sip"


def test_environment_is_read_by_name_and_parsed():
    config = {**defaults(), **from_env({"SIP_PREWARM_TTL": "60", "UNRELATED": "x"})}
    check(config)
    assert config["SIP_PREWARM_TTL"] == 60
    assert "UNRELATED" not in config


@pytest.mark.parametrize(("name", "value"), [
    ("SIP_PREWARM_TTL", "soon"),
    ("SIP_PREWARM_TTL", "0"),
    ("SIP_EVENTS_MAXLEN", "-5"),
    ("SIP_EVENTS_MAX_BACKLOG", "0"),
    ("SIP_EVENTS_MAX_BACKLOG", "lots"),
    ("MAX_CONTENT_LENGTH", "big"),
    ("REDIS_KEY_PREFIX", ""),
    ("REDIS_KEY_PREFIX", "a {b}"),
    ("REDIS_SOCKET_TIMEOUT", "-1"),
    ("REDIS_SOCKET_TIMEOUT", "0"),
    ("REDIS_SOCKET_TIMEOUT", "nan"),
    ("REDIS_SOCKET_TIMEOUT", "inf"),
])
def test_invalid_setting_is_named_at_startup(name, value, fake_redis):
    with pytest.raises(ValueError, match=name):
        create_app({name: value}, redis_client=fake_redis)


@pytest.mark.parametrize("backlog", ["500", "499"])
def test_a_backlog_limit_not_above_the_stream_cap_stops_the_start_with_one_line(
        monkeypatch, capsys, backlog):
    """A group whose lag Redis lost counts the whole stream, never trimmed below MAXLEN: with the
    limit at or below it, that group would refuse every write."""
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("SIP_EVENTS_MAXLEN", "500")
    monkeypatch.setenv("SIP_EVENTS_MAX_BACKLOG", backlog)
    assert startup.main() == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("Error: SIP_EVENTS_MAX_BACKLOG must be greater than SIP_EVENTS_MAXLEN")
    monkeypatch.setenv("SIP_EVENTS_MAX_BACKLOG", "501")
    assert startup.main() == 0


def test_create_app_reads_the_environment(monkeypatch, fake_redis):
    monkeypatch.setenv("SIP_PREWARM_TTL", "42")
    monkeypatch.setenv("REDIS_KEY_PREFIX", "staging:sip")
    app = create_app(redis_client=fake_redis)
    assert app.config["SIP_PREWARM_TTL"] == 42
    assert app.extensions["burki_sip"].keys.prefix == "staging:sip"


def shown_default(value) -> str:
    """A default as docs/configuration.md writes it."""
    if value is None:
        return "unset"
    return f"`{str(value).lower() if isinstance(value, bool) else format(value, 'g')}`" \
        if isinstance(value, (bool, int, float)) else f"`{value}`"


def test_the_configuration_doc_lists_every_setting_with_its_default_and_secrecy():
    doc = (ROOT / "docs" / "configuration.md").read_text()
    table = doc.split("## Settings")[1].split("\n## ")[0]
    rows = [line.split(" | ", 2) for line in table.splitlines() if line.startswith("| `")]
    documented = {name.strip("| `"): (default, meaning.startswith("Secret."))
                  for name, default, meaning in rows}
    assert documented == {setting.name: (shown_default(setting.default), setting.secret)
                          for setting in SETTINGS}
    others = doc.split("## Read by gunicorn")[1].split("\n## ")[0]
    assert all(f"| `{setting.name}` |" in others for setting in SERVER_SETTINGS)


def test_the_readme_points_to_the_configuration_doc():
    assert "(docs/configuration.md)" in (ROOT / "README.md").read_text()


def test_a_former_setting_is_a_warning_saying_what_replaced_it(monkeypatch, capsys):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("LIVEKIT_API_KEY", "APIkey")
    monkeypatch.setenv("SIP_CONSOLE_ENABLED", "false")
    assert startup.main() == 0
    assert capsys.readouterr().err.splitlines() == [
        "Warning: LIVEKIT_API_KEY is no longer read: LIVEKIT_API_KEYS (key:secret pairs)",
        "Warning: SIP_CONSOLE_ENABLED is no longer read: the console is on exactly when "
        "SIP_CONSOLE_USERS is set"]
    assert not set(startup.RETIRED) & {setting.name for setting in SETTINGS + SERVER_SETTINGS}


@pytest.mark.parametrize(("url", "shown"), [
    ("redis://:s3cret@host:6379/0", "redis://:[redacted]@host:6379/0"),
    ("rediss://user:s3cret@host:6380", "rediss://user:[redacted]@host:6380"),
    ("redis://host:6379/0", "redis://host:6379/0"),
    ("redis://user@host:6379/0", "redis://user@host:6379/0"),
    (300, 300),
])
def test_without_password(url, shown):
    assert without_password(url) == shown


def test_form_limits_follow_the_body_limit_and_are_not_settings(monkeypatch, fake_redis):
    monkeypatch.setenv("MAX_CONTENT_LENGTH", "1000")
    monkeypatch.setenv("MAX_FORM_PARTS", "5")  # a Flask config key now: the environment is not read
    app = create_app(redis_client=fake_redis)
    assert app.config["MAX_FORM_MEMORY_SIZE"] == 1000
    assert app.config["MAX_FORM_PARTS"] == 200
