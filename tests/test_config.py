import pytest

from burki_sip import create_app
from burki_sip.config import SETTINGS, check, defaults, from_env, without_password


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
    ("REDIS_HEALTH_TIMEOUT", "inf"),
])
def test_invalid_setting_is_named_at_startup(name, value, fake_redis):
    with pytest.raises(ValueError, match=name):
        create_app({name: value}, redis_client=fake_redis)


def test_create_app_reads_the_environment(monkeypatch, fake_redis):
    monkeypatch.setenv("SIP_PREWARM_TTL", "42")
    monkeypatch.setenv("REDIS_KEY_PREFIX", "staging:sip")
    app = create_app(redis_client=fake_redis)
    assert app.config["SIP_PREWARM_TTL"] == 42
    assert app.extensions["burki_sip"].keys.prefix == "staging:sip"


def test_readme_documents_every_setting():
    from support import ROOT

    readme = (ROOT / "README.md").read_text()
    missing = [setting.name for setting in SETTINGS if f"`{setting.name}`" not in readme]
    assert missing == []


@pytest.mark.parametrize(("url", "shown"), [
    ("redis://:s3cret@host:6379/0", "redis://:[redacted]@host:6379/0"),
    ("rediss://user:s3cret@host:6380", "rediss://user:[redacted]@host:6380"),
    ("redis://host:6379/0", "redis://host:6379/0"),
    ("redis://user@host:6379/0", "redis://user@host:6379/0"),
    (300, 300),
])
def test_without_password(url, shown):
    assert without_password(url) == shown
