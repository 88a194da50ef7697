"""Every setting of the service: its default, how it is read from the environment, and its check."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from . import credentials
from .redact import REDACTED
from .signatures import TOLERANCE_SECONDS

# The table's parsers, under the short private names its rows use.
from .parsers import (  # noqa: F401  (_optional, accepts: for parsers added next to the table)
    positive_int as _positive_int,
    non_negative_int as _non_negative_int,
    non_negative_float as _non_negative_float,
    seconds as _seconds,
    boolean as _boolean,
    prefix as _prefix,
    log_level as _log_level,
    stripped as _stripped,
    redis_url as _redis_url,
    key_list as _key_list,
    optional as _optional,
    cert_reqs as _cert_reqs,
    addresses as _addresses,
    port as _port,
    webhook_secrets as _webhook_secrets,
    allowed_ips as _allowed_ips,
    logins as _logins,
    accepts,
)


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
    Setting("REDIS_URL", _redis_url, None,
            "Redis to use (`redis://`, `rediss://`, `unix://`). Unset: `make run` starts an "
            "embedded in-memory server (development only, not durable) and writes its URL to "
            "`.burki-sip/redis-url`, where `burki-sip` finds it; a Redis on localhost:6379 is "
            "never used unless named here."),
    Setting("REDIS_KEY_PREFIX", _prefix, "burki:sip",
            "Prefix of every Redis key, so several deployments can share one Redis."),
    Setting("REDIS_SOCKET_TIMEOUT", _seconds, 2.0,
            "Seconds to wait for Redis to connect or answer before the request is answered 503."),
    Setting("REDIS_SSL_CERT_REQS", _cert_reqs, "required",
            "With `rediss://`: check the server's certificate (`required`), or not (`none`, for "
            "managed Redis with a self-signed certificate such as Heroku Data for Redis)."),
    Setting("REDIS_SSL_CA_CERTS", _stripped, None,
            "With `rediss://`: a PEM file of the CA certificates to trust instead of the system's, "
            "so a private CA's certificate is checked rather than accepted blindly."),
    Setting("REDIS_CLUSTER", _boolean, False,
            "`true`: `REDIS_URL` names one node of a Redis Cluster; the client finds the others."),
    Setting("REDIS_SENTINELS", _addresses, None,
            "Redis Sentinel addresses, `host:port,host:port`; the primary is asked of them. "
            "`REDIS_URL` then gives only the scheme, credentials and db, not the host."),
    Setting("REDIS_SENTINEL_MASTER", _stripped, None,
            "The name the Sentinels monitor the primary under (with `REDIS_SENTINELS`)."),
    Setting("REDIS_SENTINEL_PASSWORD", _stripped, None,
            "Password of the Sentinels themselves (their `requirepass`), if they have one.",
            secret=True),
    Setting("REDIS_HEALTH_TIMEOUT", _seconds, 0.5,
            "Seconds `GET /readyz` waits for Redis to connect and take its health write before "
            "answering 503."),
    Setting("SIP_PREWARM_TTL", _positive_int, 300,
            "Seconds a prewarmed call context lives in Redis; a repeated prewarm restarts it."),
    Setting("SIP_EVENTS_MAXLEN", _positive_int, 100_000,
            "Approximate cap on the entries of each event stream (trimmed by the same `XADD`); "
            "while a stream has consumer groups, only entries every group acknowledged are "
            "trimmed ([docs/events.md](docs/events.md))."),
    Setting("SIP_EVENTS_MAX_BACKLOG", _positive_int, 200_000,
            "Entries a stream's slowest consumer group may leave unacknowledged; at this many, "
            "webhooks and status callbacks are answered 503 with `Retry-After` and nothing is "
            "written, until the group catches up. No effect on a stream without groups."),
    Setting("SIP_EVENTS_CLAIM_IDLE", _seconds, 60.0,
            "Seconds an event may stay unacknowledged by its consumer before another consumer of "
            "the group takes it over (`burki-sip events consume`, `XAUTOCLAIM`)."),
    Setting("SIP_CALL_IDLE_TTL", _positive_int, 6 * 3600,
            "Seconds a call's status lives after its latest callback while no terminal status "
            "has arrived (refreshed by each callback)."),
    Setting("SIP_CALL_RETENTION", _positive_int, 86400,
            "Seconds every key of a call is kept once the call reaches a terminal status."),
    Setting("SIP_DEDUPE_TTL", _positive_int, 72 * 3600,
            "Seconds a delivery's `webhook-id` or `Idempotency-Key` is remembered; a retry "
            "within it is answered `\"duplicate\": true` and recorded nowhere."),
    Setting("MAX_CONTENT_LENGTH", _positive_int, 64 * 1024,
            "Largest request body in bytes; larger ones are answered 413 (chunked bodies too)."),
    Setting("MAX_FORM_MEMORY_SIZE", _positive_int, 64 * 1024,
            "Largest text field of a `multipart/form-data` body in bytes; larger is answered 413. "
            "werkzeug applies it to what it buffers at once too: keep it at least as large as "
            "the largest multipart body to accept."),
    Setting("MAX_FORM_PARTS", _positive_int, 200,
            "Most fields (parts) a form body may have, multipart or URL-encoded; more is "
            "answered 413."),
    Setting("SIP_INBOUND_API_KEYS", _key_list, None,
            "Keys accepted on every SIP route, comma-separated (several during a rotation), "
            "as `Authorization: Bearer <key>` or `X-API-Key: <key>`. Unset: `SIP_BRIDGE_API_KEY` "
            "is the one key. No key at all: the routes are open (a warning at every start).",
            secret=True),
    Setting("SIP_WEBHOOK_SECRETS", _webhook_secrets, None,
            "Standard Webhooks secrets (`whsec_...`, comma- or space-separated for rotation); "
            "`/sip-webhook` and `/sip-status` then also accept a request signed with one.",
            secret=True),
    Setting("SIP_ALLOWED_IPS", _allowed_ips, None,
            "Addresses and CIDR ranges (comma- or space-separated) allowed to call the SIP routes; "
            "others are answered 403. Unset: any address."),
    Setting("TRUSTED_PROXY_COUNT", _non_negative_int, 0,
            "How many proxies in front of the service append to `X-Forwarded-For` (Heroku: 1). "
            "0: the header is ignored and the client address is the TCP peer."),
    Setting("SIP_PUBLIC_URL", credentials.public_url, None,
            "Base URL providers call (e.g. `https://api.burki.dev`): the URL they sign is it plus "
            "the path and query. Unset: the URL the request arrived at (scheme and host from "
            "`X-Forwarded-*` only as deep as `TRUSTED_PROXY_COUNT`)."),
    Setting("SIP_BASIC_AUTH", credentials.basic_credentials, None,
            "`user:password` pairs (comma-separated, for rotation) accepted as HTTP Basic "
            "credentials on `/sip-webhook` and `/sip-status` (a callback URL's `user:password@`).",
            secret=True),
    Setting("TWILIO_AUTH_TOKEN", credentials.secret_list, None,
            "Twilio auth tokens (comma-separated): `X-Twilio-Signature` is then verified.",
            secret=True),
    Setting("SIGNALWIRE_SIGNING_KEY", credentials.secret_list, None,
            "SignalWire signing keys (comma-separated): `X-SignalWire-Signature` is then verified.",
            secret=True),
    Setting("TELNYX_PUBLIC_KEY", credentials.public_keys, None,
            "Telnyx public keys (base64, comma-separated): `telnyx-signature-ed25519` is then "
            f"verified, its `telnyx-timestamp` within {TOLERANCE_SECONDS} s."),
    Setting("JAMBONZ_WEBHOOK_SECRET", credentials.secret_list, None,
            "jambonz webhook secrets (comma-separated): `Jambonz-Signature` is then verified, its "
            f"`t=` within {TOLERANCE_SECONDS} s.", secret=True),
    Setting("VONAGE_SIGNATURE_SECRET", credentials.secret_list, None,
            "Vonage signature secrets (comma-separated): the signed webhook JWT (HS256, "
            f"`payload_hash`, `iat` within {TOLERANCE_SECONDS} s) is then verified.", secret=True),
    Setting("PLIVO_AUTH_TOKEN", credentials.secret_list, None,
            "Plivo auth tokens (comma-separated; a main account's too): `X-Plivo-Signature-V3` "
            "(and `-Ma-V3`) with its nonce is then verified.", secret=True),
    Setting("LIVEKIT_API_KEY", credentials.secret_list, None,
            "LiveKit API keys (comma-separated, paired by position with `LIVEKIT_API_SECRET`): "
            "the webhook JWT's issuer."),
    Setting("LIVEKIT_API_SECRET", credentials.secret_list, None,
            "LiveKit API secrets (comma-separated, one per `LIVEKIT_API_KEY`): the webhook JWT "
            "(HS256, body `sha256` claim) is then verified.", secret=True),
    Setting("SIP_BRIDGE_URL", _stripped, None,
            "Base URL of the SIP bridge's API, for `POST {SIP_BRIDGE_URL}/api/sync-organization`."),
    Setting("SIP_BRIDGE_API_KEY", _stripped, None,
            "Shared secret sent to the bridge as `Authorization: Bearer ...`; also the inbound key "
            "when `SIP_INBOUND_API_KEYS` is unset.", secret=True),
    Setting("SIP_BRIDGE_CONNECT_TIMEOUT", _seconds, 3.0,
            "Seconds to wait for a TCP connection to the bridge, per attempt."),
    Setting("SIP_BRIDGE_READ_TIMEOUT", _seconds, 5.0,
            "Seconds to wait for the bridge to answer (between bytes), per attempt."),
    Setting("SIP_BRIDGE_RETRIES", _non_negative_int, 3,
            "Retries after the first attempt on connection errors, timeouts, 429 and 502/503/504."),
    Setting("SIP_BRIDGE_BACKOFF", _non_negative_float, 0.5,
            "Backoff factor in seconds: retries wait 0, 2x, 4x, ... it, plus up to 1x of jitter "
            "(a `Retry-After` from the bridge wins)."),
    Setting("LOG_LEVEL", _log_level, "INFO",
            "Least severe log level written to stdout (DEBUG, INFO, WARNING, ERROR, CRITICAL); "
            "the per-request line is INFO."),
    Setting("PROMETHEUS_MULTIPROC_DIR", _stripped, None,
            "Directory where gunicorn's workers keep their metric files (read by "
            "prometheus_client). Unset under gunicorn: a temporary one is made; it is emptied "
            "when gunicorn starts."),
    Setting("SIP_CONSOLE_ENABLED", _boolean, False,
            "`true`: serve the operator console at `/console` (calls and their timelines, "
            "read-only) and keep its index of recent calls in Redis. Off: `/console` is 404."),
    Setting("SIP_CONSOLE_USERS", _logins, None,
            "Operator logins of the console, `user:password` comma-separated, checked with HTTP "
            "Basic; separate from the bridge's keys. Required when the console is enabled.",
            secret=True),
    Setting("SIP_CONSOLE_CALLS", _positive_int, 10_000,
            "Most calls the console's index keeps (the oldest are dropped first; a call also "
            "leaves it the longer of `SIP_CALL_RETENTION` and `SIP_CALL_IDLE_TTL` after it was "
            "first seen)."),
)

BY_NAME = {setting.name: setting for setting in SETTINGS}


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
    if config.get("SIP_CONSOLE_ENABLED") and not config.get("SIP_CONSOLE_USERS"):
        raise SettingError("SIP_CONSOLE_USERS is required with SIP_CONSOLE_ENABLED=true: "
                         "the console never runs without its own logins")
    _check_livekit(config)


def _check_livekit(config: dict[str, Any]) -> None:
    """LiveKit's keys and secrets come in pairs, matched by position."""
    keys, secrets = config.get("LIVEKIT_API_KEY") or (), config.get("LIVEKIT_API_SECRET") or ()
    if len(keys) != len(secrets):
        raise SettingError(f"LIVEKIT_API_KEY has {len(keys)} entries and LIVEKIT_API_SECRET "
                           f"{len(secrets)}: set one secret per key, in the same order")


def _check_topology(config: dict[str, Any]) -> None:
    """One Redis topology at a time, and a Sentinel setup names its primary."""
    if config.get("REDIS_SENTINELS") and config.get("REDIS_CLUSTER"):
        raise SettingError("REDIS_SENTINELS and REDIS_CLUSTER=true are exclusive: choose one")
    if config.get("REDIS_SENTINELS") and not config.get("REDIS_SENTINEL_MASTER"):
        raise SettingError("REDIS_SENTINEL_MASTER is required with REDIS_SENTINELS: the name "
                           "the Sentinels monitor the primary under")


# Read by gunicorn.conf.py, not by the app: checked with the others before any port is bound.
SERVER_SETTINGS: tuple[Setting, ...] = (
    Setting("PORT", _port, 8000, "Port gunicorn listens on."),
    Setting("WEB_CONCURRENCY", _positive_int, 2, "Number of gunicorn worker processes."),
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
