"""Every setting of the service: its default, how it is read from the environment, and its check."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from .network import parse_networks
from .signatures import parse_secrets

# redis-py's names for ssl.CERT_REQUIRED, CERT_OPTIONAL and CERT_NONE.
CERT_REQS = ("required", "optional", "none")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _positive_int(value: str | int) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError("must be a positive integer")
    return number


def _non_negative_int(value: str | int) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("must be 0 or a positive integer")
    return number


def _non_negative_float(value: str | float) -> float:
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError("must be a finite number, 0 or more")
    return number


def _seconds(value: str | float) -> float:
    number = _non_negative_float(value)
    if number == 0:
        raise ValueError("must be more than 0 seconds")
    return number


def _boolean(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("must be true or false")


def _prefix(value: str) -> str:
    prefix = value.strip()
    if not prefix or any(char.isspace() or char in "{}" for char in prefix):
        raise ValueError("must be a non-empty key prefix without spaces or braces")
    return prefix


def _log_level(value: str) -> str:
    level = str(value).strip().upper()
    if level not in LOG_LEVELS:
        raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
    return level


def _text(value: str) -> str | None:
    return value.strip() or None


def _key_list(value: str | Iterable[str]) -> tuple[str, ...] | None:
    items = value.split(",") if isinstance(value, str) else list(value)
    keys = tuple(item.strip() for item in items if item.strip())
    if any(any(char.isspace() for char in key) for key in keys):
        raise ValueError("a key must not contain spaces")
    return keys or None


def _optional(parse: Callable[[Any], tuple]) -> Callable[[Any], tuple | None]:
    def parse_optional(value):
        return parse(value) or None
    return parse_optional


def _cert_reqs(value: str) -> str:
    lowered = value.strip().lower()
    if lowered not in CERT_REQS:
        raise ValueError(f"must be one of {', '.join(CERT_REQS)}")
    return lowered


def _addresses(value: str | list) -> list[tuple[str, int]] | None:
    """``host:port,host:port`` as a list of pairs (a list of pairs is kept as it is)."""
    if not isinstance(value, str):
        return [(str(host), int(port)) for host, port in value] or None
    pairs = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        host, sep, port = item.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(f"{item!r} is not host:port")
        pairs.append((host.strip("[]"), int(port)))  # [::1]:26379 is IPv6
    return pairs or None


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
    Setting("REDIS_URL", _text, None,
            "Redis to use (`redis://`, `rediss://`, `unix://`). Unset: `redis://localhost:6379/0` if it "
            "answers, else an embedded in-memory server (development only, not durable)."),
    Setting("REDIS_KEY_PREFIX", _prefix, "burki:sip",
            "Prefix of every Redis key, so several deployments can share one Redis."),
    Setting("REDIS_SOCKET_TIMEOUT", _seconds, 2.0,
            "Seconds to wait for Redis to connect or answer before the request is answered 503."),
    Setting("REDIS_SSL_CERT_REQS", _cert_reqs, "required",
            "With `rediss://`: check the server's certificate (`required`), or not (`none`, for "
            "managed Redis with a self-signed certificate such as Heroku Data for Redis)."),
    Setting("REDIS_SSL_CA_CERTS", _text, None,
            "With `rediss://`: a PEM file of the CA certificates to trust instead of the system's, "
            "so a private CA's certificate is checked rather than accepted blindly."),
    Setting("REDIS_CLUSTER", _boolean, False,
            "`true`: `REDIS_URL` names one node of a Redis Cluster; the client finds the others."),
    Setting("REDIS_SENTINELS", _addresses, None,
            "Redis Sentinel addresses, `host:port,host:port`; the primary is asked of them. "
            "`REDIS_URL` then gives only the scheme, credentials and db, not the host."),
    Setting("REDIS_SENTINEL_MASTER", _text, None,
            "The name the Sentinels monitor the primary under (with `REDIS_SENTINELS`)."),
    Setting("REDIS_SENTINEL_PASSWORD", _text, None,
            "Password of the Sentinels themselves (their `requirepass`), if they have one.",
            secret=True),
    Setting("REDIS_HEALTH_TIMEOUT", _seconds, 0.5,
            "Seconds `GET /readyz` waits for Redis to connect and answer PING before answering 503."),
    Setting("SIP_PREWARM_TTL", _positive_int, 300,
            "Seconds a prewarmed call context lives in Redis; a repeated prewarm restarts it."),
    Setting("SIP_EVENTS_MAXLEN", _positive_int, 100_000,
            "Approximate cap on the entries of each event stream (trimmed by the same `XADD`); "
            "while a stream has consumer groups, only entries every group acknowledged are "
            "trimmed ([docs/events.md](docs/events.md))."),
    Setting("SIP_EVENTS_MAX_BACKLOG", _positive_int, 100_000,
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
    Setting("SIP_WEBHOOK_SECRETS", _optional(parse_secrets), None,
            "Standard Webhooks secrets (`whsec_...`, comma- or space-separated for rotation); "
            "`/sip-webhook` and `/sip-status` then also accept a request signed with one.",
            secret=True),
    Setting("SIP_ALLOWED_IPS", _optional(parse_networks), None,
            "Addresses and CIDR ranges (comma- or space-separated) allowed to call the SIP routes; "
            "others are answered 403. Unset: any address."),
    Setting("TRUSTED_PROXY_COUNT", _non_negative_int, 0,
            "How many proxies in front of the service append to `X-Forwarded-For` (Heroku: 1). "
            "0: the header is ignored and the client address is the TCP peer."),
    Setting("SIP_BRIDGE_URL", _text, None,
            "Base URL of the SIP bridge's API, for `POST {SIP_BRIDGE_URL}/api/sync-organization`."),
    Setting("SIP_BRIDGE_API_KEY", _text, None,
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
    Setting("PROMETHEUS_MULTIPROC_DIR", _text, None,
            "Directory where gunicorn's workers keep their metric files (read by "
            "prometheus_client). Unset under gunicorn: a temporary one is made; it is emptied "
            "when gunicorn starts."),
    Setting("SIP_BENCH_NOOP", _boolean, False,
            "Benchmarks only: serve `POST /bench/noop` and `/bench/set`, the floors `make bench` "
            "compares with. Leave unset in production: the routes do not exist then."),
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


def check(config: dict[str, Any]) -> None:
    """Parse every known setting in place; raise ``ValueError`` naming the first bad one."""
    for name, setting in BY_NAME.items():
        if name not in config or config[name] is None:
            continue
        try:
            config[name] = setting.parse(config[name])
        except (TypeError, ValueError) as exc:
            shown = name if setting.secret else f"{name}={config[name]!r}"
            raise ValueError(f"{shown} is invalid: {exc}") from exc
    _check_topology(config)


def _check_topology(config: dict[str, Any]) -> None:
    """One Redis topology at a time, and a Sentinel setup names its primary."""
    if config.get("REDIS_SENTINELS") and config.get("REDIS_CLUSTER"):
        raise ValueError("REDIS_SENTINELS and REDIS_CLUSTER=true are exclusive: choose one")
    if config.get("REDIS_SENTINELS") and not config.get("REDIS_SENTINEL_MASTER"):
        raise ValueError("REDIS_SENTINEL_MASTER is required with REDIS_SENTINELS")
