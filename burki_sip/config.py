"""Every setting of the service: its default, how it is read from the environment, and its check."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

from . import credentials, parsers
from .redact import REDACTED
from .signatures import TOLERANCE_SECONDS

@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, parser, default and meaning."""

    name: str
    parse: Callable[[Any], Any]
    default: Any
    help: str
    # Secret settings are never echoed, not even in the start-up error about a bad value.
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting("REDIS_URL", parsers.redis_url, None,
            "Redis to use (`redis://`, `rediss://`, `unix://`). Unset: `make run` starts a "
            "redis-server of its own on a free loopback port (development only, in memory, "
            "stopped with the service) and writes its URL to `.burki-sip/redis-url`, where "
            "`burki-sip` finds it; a Redis on localhost:6379 is never used unless named here."),
    Setting("REDIS_KEY_PREFIX", parsers.prefix, "burki:sip",
            "Prefix of every Redis key, so several deployments can share one Redis."),
    Setting("REDIS_SOCKET_TIMEOUT", parsers.seconds, 2.0,
            "Seconds to wait for Redis to connect or answer before the request is answered 503."),
    Setting("REDIS_SSL_CERT_REQS", parsers.cert_reqs, "required",
            "With `rediss://`: check the server's certificate (`required`), or not (`none`, for "
            "managed Redis with a self-signed certificate such as Heroku Data for Redis)."),
    Setting("REDIS_SSL_CA_CERTS", parsers.stripped, None,
            "With `rediss://`: a PEM file of the CA certificates to trust instead of the system's, "
            "so a private CA's certificate is checked rather than accepted blindly."),
    Setting("REDIS_CLUSTER", parsers.boolean, False,
            "`true`: `REDIS_URL` names one node of a Redis Cluster; the client finds the others."),
    Setting("REDIS_SENTINELS", parsers.addresses, None,
            "Redis Sentinel addresses, `host:port,host:port`; the primary is asked of them. "
            "`REDIS_URL` then gives only the scheme, credentials and db, not the host."),
    Setting("REDIS_SENTINEL_MASTER", parsers.stripped, None,
            "The name the Sentinels monitor the primary under (with `REDIS_SENTINELS`)."),
    Setting("REDIS_SENTINEL_PASSWORD", parsers.stripped, None,
            "Password of the Sentinels themselves (their `requirepass`), if they have one.",
            secret=True),
    Setting("SIP_PREWARM_TTL", parsers.positive_int, 300,
            "Seconds a prewarmed call context lives in Redis; a repeated prewarm restarts it."),
    Setting("SIP_EVENTS_MAXLEN", parsers.positive_int, 100_000,
            "Approximate cap on the entries of each event stream (trimmed by the same `XADD`); "
            "while a stream has consumer groups, only entries every group acknowledged are "
            "trimmed ([docs/events.md](docs/events.md))."),
    Setting("SIP_EVENTS_MAX_BACKLOG", parsers.positive_int, 200_000,
            "Entries a stream's slowest consumer group may leave unacknowledged; at this many, "
            "webhooks and status callbacks are answered 503 with `Retry-After` and nothing is "
            "written, until the group catches up. No effect on a stream without groups."),
    Setting("SIP_EVENTS_CLAIM_IDLE", parsers.seconds, 60.0,
            "Seconds an event may stay unacknowledged by its consumer before another consumer of "
            "the group takes it over (`burki-sip events consume`, `XAUTOCLAIM`)."),
    Setting("SIP_CALL_IDLE_TTL", parsers.positive_int, 6 * 3600,
            "Seconds a call's status lives after its latest callback while no terminal status "
            "has arrived (refreshed by each callback)."),
    Setting("SIP_CALL_RETENTION", parsers.positive_int, 86400,
            "Seconds every key of a call is kept once the call reaches a terminal status."),
    Setting("SIP_DEDUPE_TTL", parsers.positive_int, 72 * 3600,
            "Seconds a delivery's `webhook-id` or `Idempotency-Key` is remembered; a retry "
            "within it is answered `\"duplicate\": true` and recorded nowhere."),
    Setting("MAX_CONTENT_LENGTH", parsers.positive_int, 64 * 1024,
            "Largest request body in bytes, and of a multipart form's text field; larger ones "
            "are answered 413 (chunked bodies too)."),
    Setting("SIP_INBOUND_API_KEYS", credentials.tokens, None,
            "Keys accepted on every SIP route, comma-separated (several during a rotation), "
            "as `Authorization: Bearer <key>` or `X-API-Key: <key>`. Unset: `SIP_BRIDGE_API_KEY` "
            "is the one key. No key at all: the routes are open (a warning at every start).",
            secret=True),
    Setting("SIP_WEBHOOK_SECRETS", parsers.webhook_secrets, None,
            "Standard Webhooks secrets (`whsec_...`, comma- or space-separated for rotation); "
            "`/sip-webhook` and `/sip-status` then also accept a request signed with one.",
            secret=True),
    Setting("SIP_ALLOWED_IPS", parsers.allowed_ips, None,
            "Addresses and CIDR ranges (comma- or space-separated) allowed to call the SIP routes; "
            "others are answered 403. Unset: any address."),
    Setting("TRUSTED_PROXY_COUNT", parsers.non_negative_int, 0,
            "How many proxies in front of the service append to `X-Forwarded-For` (Heroku: 1). "
            "0: the header is ignored and the client address is the TCP peer."),
    Setting("SIP_PUBLIC_URL", credentials.public_url, None,
            "Base URL providers call (e.g. `https://api.burki.dev`): the URL they sign is it plus "
            "the path and query. Unset: the URL the request arrived at (scheme and host from "
            "`X-Forwarded-*` only as deep as `TRUSTED_PROXY_COUNT`)."),
    Setting("SIP_BASIC_AUTH", credentials.pairs, None,
            "`user:password` pairs (comma-separated, for rotation) accepted as HTTP Basic "
            "credentials on `/sip-webhook` and `/sip-status` (a callback URL's `user:password@`).",
            secret=True),
    Setting("TWILIO_AUTH_TOKEN", credentials.tokens, None,
            "Twilio auth tokens (comma-separated): `X-Twilio-Signature` is then verified.",
            secret=True),
    Setting("SIGNALWIRE_SIGNING_KEY", credentials.tokens, None,
            "SignalWire signing keys (comma-separated): `X-SignalWire-Signature` is then verified.",
            secret=True),
    Setting("TELNYX_PUBLIC_KEY", credentials.public_keys, None,
            "Telnyx public keys (base64, comma-separated): `telnyx-signature-ed25519` is then "
            f"verified, its `telnyx-timestamp` within {TOLERANCE_SECONDS} s."),
    Setting("JAMBONZ_WEBHOOK_SECRET", credentials.tokens, None,
            "jambonz webhook secrets (comma-separated): `Jambonz-Signature` is then verified, its "
            f"`t=` within {TOLERANCE_SECONDS} s.", secret=True),
    Setting("VONAGE_SIGNATURE_SECRET", credentials.tokens, None,
            "Vonage signature secrets (comma-separated): the signed webhook JWT (HS256, "
            f"`payload_hash`, `iat` within {TOLERANCE_SECONDS} s) is then verified.", secret=True),
    Setting("PLIVO_AUTH_TOKEN", credentials.tokens, None,
            "Plivo auth tokens (comma-separated; a main account's too): `X-Plivo-Signature-V3` "
            "(and `-Ma-V3`) with its nonce is then verified.", secret=True),
    Setting("LIVEKIT_API_KEYS", credentials.pairs, None,
            "LiveKit API keys with their secrets, `key:secret` comma-separated: the webhook JWT "
            "(HS256, issued by the key, signed with its secret, body `sha256` claim) is then "
            "verified.", secret=True),
    Setting("SIP_BRIDGE_URL", parsers.stripped, None,
            "Base URL of the SIP bridge's API, for `POST {SIP_BRIDGE_URL}/api/sync-organization`."),
    Setting("SIP_BRIDGE_API_KEY", parsers.stripped, None,
            "Shared secret sent to the bridge as `Authorization: Bearer ...`; also the inbound key "
            "when `SIP_INBOUND_API_KEYS` is unset.", secret=True),
    Setting("LOG_LEVEL", parsers.log_level, "INFO",
            "Least severe log level written to stdout (DEBUG, INFO, WARNING, ERROR, CRITICAL); "
            "the per-request line is INFO."),
    Setting("SIP_CONSOLE_USERS", credentials.pairs, None,
            "Operator logins, `user:password` comma-separated: set, the operator console is "
            "served at `/console` (calls and their timelines, read-only) behind these logins "
            "(HTTP Basic, separate from the bridge's keys); unset, `/console` is 404.",
            secret=True),
    Setting("SIP_CONSOLE_CALLS", parsers.positive_int, 10_000,
            "Most calls the console's index keeps (the oldest are dropped first; a call also "
            "leaves it the longer of `SIP_CALL_RETENTION` and `SIP_CALL_IDLE_TTL` after it was "
            "first seen)."),
    Setting("SIP_BENCH_NOOP", parsers.boolean, False,
            "Benchmarks only: serve `POST /bench/noop` and `/bench/set`, the floors `make bench` "
            "compares with. Leave unset in production: the routes do not exist then."),
)

BY_NAME = {setting.name: setting for setting in SETTINGS}


# Variables an older release read, and what replaced each: an environment that still sets one is
# warned at start-up rather than silently ignored (docs/configuration.md, "Former settings").
RETIRED = {
    "LIVEKIT_API_KEY": "LIVEKIT_API_KEYS (key:secret pairs)",
    "LIVEKIT_API_SECRET": "LIVEKIT_API_KEYS (key:secret pairs)",
    "SIP_CONSOLE_ENABLED": "the console is on exactly when SIP_CONSOLE_USERS is set",
    "SIP_BRIDGE_CONNECT_TIMEOUT": "burki-sip sync-organization --connect-timeout",
    "SIP_BRIDGE_READ_TIMEOUT": "burki-sip sync-organization --read-timeout",
    "SIP_BRIDGE_RETRIES": "burki-sip sync-organization --retries",
    "SIP_BRIDGE_BACKOFF": "burki-sip sync-organization --backoff",
    "REDIS_HEALTH_TIMEOUT": "a constant (0.5 s)",
    "MAX_FORM_MEMORY_SIZE": "MAX_CONTENT_LENGTH",
    "MAX_FORM_PARTS": "a constant (200)",
}


def retired(environ: Mapping[str, str]) -> list[str]:
    """One line for each former setting ``environ`` still sets, saying what replaced it."""
    return [f"{name} is no longer read: {RETIRED[name]}" for name in RETIRED if name in environ]


def defaults() -> dict[str, Any]:
    """Return every setting at its default value."""
    return {setting.name: setting.default for setting in SETTINGS}


def from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read every known setting that is present in ``environ`` (default ``os.environ``)."""
    environ = os.environ if environ is None else environ
    return {name: environ[name] for name in BY_NAME if name in environ}


def load(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Every setting: the defaults, then ``environ`` (default ``os.environ``), checked."""
    config = {**defaults(), **from_env(environ)}
    check(config)
    return config


def _texts(value: Any) -> Iterator[str]:
    """A parsed secret as text that could appear in a log: each key; of a ``name:secret`` pair
    the secret; a webhook secret's bytes as base64, as it is configured."""
    for item in (value,) if isinstance(value, (str, bytes)) else value or ():
        item = item[-1] if isinstance(item, tuple) else item
        yield base64.b64encode(item).decode("ascii") if isinstance(item, bytes) else item


def secret_values(config: Mapping[str, Any]) -> frozenset[str]:
    """The values of the settings marked ``secret`` in ``config`` (checked), to cut out of logs.

    Shorter values are left: they would match inside ordinary words.
    """
    return frozenset(text for setting in SETTINGS if setting.secret
                     for text in _texts(config.get(setting.name)) if len(text) >= 4)


class SettingError(ValueError):
    """A setting is invalid: the message is one line, naming it, the problem and the form."""


def without_password(value: Any) -> Any:
    """A URL-like value with the password of its ``user:password@`` part replaced by the log
    redaction marker; any other value as it is."""
    if not isinstance(value, str) or "://" not in value or "@" not in value:
        return value
    scheme, _, rest = value.partition("://")
    credentials, _, host = rest.rpartition("@")
    user, colon, _ = credentials.partition(":")
    return f"{scheme}://{user}{':' + REDACTED if colon else ''}@{host}"


def problem(setting: Setting, value: Any, exc: Exception) -> str:
    """The one line about a bad value; a secret's value is never shown, not even in part."""
    shown = f"{setting.name} (value not shown: secret)" if setting.secret \
        else f"{setting.name}={without_password(value)!r}"
    form = getattr(setting.parse, "accepts", None)
    return f"{shown} is invalid: {exc}" + (f"; expected {form}" if form else "")


def check(config: dict[str, Any]) -> None:
    """Parse every known setting in place; raise ``SettingError`` naming the first bad one."""
    for name, setting in BY_NAME.items():
        if name not in config or config[name] is None:
            continue
        try:
            config[name] = setting.parse(config[name])
        except (TypeError, ValueError) as exc:
            raise SettingError(problem(setting, config[name], exc)) from None
    _check_topology(config)


def _check_topology(config: dict[str, Any]) -> None:
    """One Redis topology at a time, and a Sentinel setup names its primary."""
    if config.get("REDIS_SENTINELS") and config.get("REDIS_CLUSTER"):
        raise SettingError("REDIS_SENTINELS and REDIS_CLUSTER=true are exclusive: choose one")
    if config.get("REDIS_SENTINELS") and not config.get("REDIS_SENTINEL_MASTER"):
        raise SettingError("REDIS_SENTINEL_MASTER is required with REDIS_SENTINELS: the name "
                           "the Sentinels monitor the primary under")


# Read by gunicorn.conf.py, not by the app: checked with the others before any port is bound.
SERVER_SETTINGS: tuple[Setting, ...] = (
    Setting("PORT", parsers.port, 8000, "Port gunicorn listens on."),
    Setting("WEB_CONCURRENCY", parsers.positive_int, 2, "Number of gunicorn worker processes."),
)


def startup_problem(environ: Mapping[str, str] | None = None) -> str | None:
    """The one line saying what is wrong with the service's settings, or ``None`` if nothing is."""
    environ = os.environ if environ is None else environ
    try:
        load(environ)
        check_server(environ)
    except SettingError as exc:
        return str(exc)
    return None


def check_server(environ: Mapping[str, str]) -> dict[str, Any]:
    """The gunicorn settings (``SERVER_SETTINGS``) from ``environ``, parsed; ``SettingError``."""
    server = {}
    for setting in SERVER_SETTINGS:
        value = environ.get(setting.name)
        try:
            server[setting.name] = setting.default if value is None else setting.parse(value)
        except (TypeError, ValueError) as exc:
            raise SettingError(problem(setting, value, exc)) from None
    return server
