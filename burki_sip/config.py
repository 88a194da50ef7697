"""Every setting of the service: default, parser, secrecy (meanings in docs/configuration.md)."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

from . import credentials, parsers
from .redact import without_password


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, parser and default."""

    name: str
    parse: Callable[[Any], Any]
    default: Any
    # Secret settings are never echoed, not even in the start-up error about a bad value.
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting("REDIS_URL", parsers.redis_url, None),
    Setting("REDIS_KEY_PREFIX", parsers.prefix, "burki:sip"),
    Setting("REDIS_SOCKET_TIMEOUT", parsers.seconds, 2.0),
    Setting("REDIS_SSL_CERT_REQS", parsers.cert_reqs, "required"),
    Setting("REDIS_SSL_CA_CERTS", parsers.stripped, None),
    Setting("REDIS_CLUSTER", parsers.boolean, False),
    Setting("REDIS_SENTINELS", parsers.addresses, None),
    Setting("REDIS_SENTINEL_MASTER", parsers.stripped, None),
    Setting("REDIS_SENTINEL_PASSWORD", parsers.stripped, None, secret=True),
    Setting("REDIS_ACK_REPLICAS", parsers.non_negative_int, 0),
    Setting("SIP_PREWARM_TTL", parsers.positive_int, 300),
    Setting("SIP_EVENTS_MAXLEN", parsers.positive_int, 100_000),
    Setting("SIP_EVENTS_MAX_BACKLOG", parsers.positive_int, 200_000),
    Setting("SIP_EVENTS_RETENTION", parsers.positive_int, None),
    Setting("SIP_CALL_IDLE_TTL", parsers.positive_int, 6 * 3600),
    Setting("SIP_CALL_RETENTION", parsers.positive_int, 86400),
    Setting("SIP_DEDUPE_TTL", parsers.positive_int, 72 * 3600),
    Setting("MAX_CONTENT_LENGTH", parsers.positive_int, 64 * 1024),
    Setting("SIP_INBOUND_API_KEYS", credentials.tokens, None, secret=True),
    Setting("SIP_WEBHOOK_SECRETS", parsers.webhook_secrets, None, secret=True),
    Setting("SIP_ALLOWED_IPS", parsers.allowed_ips, None),
    Setting("TRUSTED_PROXY_COUNT", parsers.non_negative_int, 0),
    Setting("SIP_PUBLIC_URL", credentials.public_url, None),
    Setting("SIP_BASIC_AUTH", credentials.pairs, None, secret=True),
    Setting("TWILIO_AUTH_TOKEN", credentials.tokens, None, secret=True),
    Setting("SIGNALWIRE_SIGNING_KEY", credentials.tokens, None, secret=True),
    Setting("TELNYX_PUBLIC_KEY", credentials.public_keys, None),
    Setting("JAMBONZ_WEBHOOK_SECRET", credentials.tokens, None, secret=True),
    Setting("VONAGE_SIGNATURE_SECRET", credentials.tokens, None, secret=True),
    Setting("PLIVO_AUTH_TOKEN", credentials.tokens, None, secret=True),
    Setting("LIVEKIT_API_KEYS", credentials.pairs, None, secret=True),
    Setting("SIP_BRIDGE_URL", parsers.stripped, None),
    Setting("SIP_BRIDGE_API_KEY", parsers.stripped, None, secret=True),
    Setting("LOG_LEVEL", parsers.log_level, "INFO"),
    Setting("SIP_CONSOLE_USERS", credentials.pairs, None, secret=True),
)

def defaults() -> dict[str, Any]:
    """Every setting at its default value."""
    return {setting.name: setting.default for setting in SETTINGS}


def from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read every known setting that is present in ``environ`` (default ``os.environ``)."""
    environ = os.environ if environ is None else environ
    return {s.name: environ[s.name] for s in SETTINGS if s.name in environ}


def load(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Every setting: the defaults, then ``environ`` (default ``os.environ``), checked."""
    config = {**defaults(), **from_env(environ)}
    check(config)
    return config


def _texts(value: Any) -> Iterator[str]:
    """A parsed secret as a log could show it: a pair's secret, a webhook secret in base64."""
    for item in (value,) if isinstance(value, (str, bytes)) else value or ():
        item = item[-1] if isinstance(item, tuple) else item
        yield base64.b64encode(item).decode("ascii") if isinstance(item, bytes) else item


def secret_values(config: Mapping[str, Any]) -> frozenset[str]:
    """The values of the ``secret`` settings in ``config`` (checked), to cut out of logs."""
    # Shorter values are left: they would match inside ordinary words.
    return frozenset(text for setting in SETTINGS if setting.secret
                     for text in _texts(config.get(setting.name)) if len(text) >= 4)


class SettingError(ValueError):
    """A setting is invalid: the message is one line, naming it, the problem and the form."""


def _parse(settings: tuple[Setting, ...], values: dict[str, Any]) -> None:
    """Parse each of ``settings`` set in ``values``, in place; ``SettingError`` names a bad one."""
    for setting in settings:
        value = values.get(setting.name)
        if value is None:
            continue
        try:
            values[setting.name] = setting.parse(value)
        except (TypeError, ValueError) as exc:
            shown = f"{setting.name} (value not shown: secret)" if setting.secret \
                else f"{setting.name}={without_password(value)!r}"
            raise SettingError(f"{shown} is invalid: {exc}; expected {setting.parse.accepts}") \
                from None


def check(config: dict[str, Any]) -> None:
    """Parse every known setting in place; raise ``SettingError`` naming the first bad one."""
    _parse(SETTINGS, config)
    if config.get("REDIS_SENTINELS") and config.get("REDIS_CLUSTER"):
        raise SettingError("REDIS_SENTINELS and REDIS_CLUSTER=true are exclusive: choose one")
    if config.get("REDIS_SENTINELS") and not config.get("REDIS_SENTINEL_MASTER"):
        raise SettingError("REDIS_SENTINEL_MASTER is required with REDIS_SENTINELS: the name "
                           "the Sentinels monitor the primary under")
    # WAIT counts the replicas of the connection's own server; the cluster client sends it to
    # every primary on other connections, where it would count nothing of the write.
    if config.get("REDIS_ACK_REPLICAS") and config.get("REDIS_CLUSTER"):
        raise SettingError("REDIS_ACK_REPLICAS applies to one primary (REDIS_URL or "
                           "REDIS_SENTINELS), not to REDIS_CLUSTER=true: set it to 0")
    # Trimming keeps at least MAXLEN entries, and a group whose lag Redis lost counts the whole
    # stream as its backlog: at or below MAXLEN, such a group would refuse every write.
    if config["SIP_EVENTS_MAX_BACKLOG"] <= config["SIP_EVENTS_MAXLEN"]:
        raise SettingError("SIP_EVENTS_MAX_BACKLOG must be greater than SIP_EVENTS_MAXLEN "
                           f"({config['SIP_EVENTS_MAX_BACKLOG']} <= "
                           f"{config['SIP_EVENTS_MAXLEN']}): e.g. twice it")


# Read by gunicorn.conf.py, not by the app: checked with the others before any port is bound.
SERVER_SETTINGS: tuple[Setting, ...] = (
    Setting("PORT", parsers.port, 8000),
    Setting("WEB_CONCURRENCY", parsers.positive_int, 2),
)


def startup_problem(environ: Mapping[str, str] | None = None) -> str | None:
    """The one line saying what is wrong with the service's settings, or ``None`` if nothing is."""
    environ = os.environ if environ is None else environ
    try:
        load(environ)
        _parse(SERVER_SETTINGS, {setting.name: environ.get(setting.name)
                                 for setting in SERVER_SETTINGS})
    except SettingError as exc:
        return str(exc)
    return None
