"""The Redis client the settings give: one server, a Redis Cluster, or a Sentinel-managed primary."""

from __future__ import annotations

from typing import Any, Mapping

import redis
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.backoff import ExponentialBackoff
from redis.cluster import RedisCluster
from redis.connection import parse_url
from redis.retry import Retry

from .following import Sentinel, follow

# Connections one process keeps to one server. Under gevent a worker runs up to 1,000 requests
# at once; beyond this many, a command waits (up to REDIS_SOCKET_TIMEOUT) for a free connection
# instead of opening one more, so dynos x workers x 50 bounds what Redis's maxclients must take.
MAX_CONNECTIONS = 50

def redis_target(config: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The URL of the Redis the settings name, and the options every client of it takes (sync or
    asyncio): decoded responses, ``REDIS_SOCKET_TIMEOUT``, and for ``rediss://`` certificates
    checked unless ``REDIS_SSL_CERT_REQS=none``. No ``health_check_interval``: its PING before a
    command on an idle connection would be a second round trip; ``quick_retry`` replaces a
    connection the server closed instead.

    Raises:
        ValueError: no ``REDIS_URL`` (nor ``REDIS_SENTINELS``) says which Redis to use; or
            ``REDIS_CLUSTER`` is on but no ``REDIS_URL`` names a node.
    """
    if config.get("REDIS_CLUSTER") and not config.get("REDIS_URL"):
        raise ValueError("REDIS_URL is required with REDIS_CLUSTER=true: it names one node")
    if not config.get("REDIS_URL") and not config.get("REDIS_SENTINELS"):
        raise ValueError("REDIS_URL is not set: set it to the Redis to use, "
                         "e.g. REDIS_URL=redis://localhost:6379/0")
    url, timeout = config.get("REDIS_URL") or "redis://", config["REDIS_SOCKET_TIMEOUT"]
    options = {"decode_responses": True, "socket_timeout": timeout,
               "socket_connect_timeout": timeout}
    if url.lower().startswith("rediss://"):  # plain connections take no ssl_* options at all
        options["ssl_cert_reqs"] = config.get("REDIS_SSL_CERT_REQS") or "required"
        if config.get("REDIS_SSL_CA_CERTS"):
            options["ssl_ca_certs"] = config["REDIS_SSL_CA_CERTS"]
    return url, options


def client_from_config(config: Mapping[str, Any]) -> redis.Redis | RedisCluster:
    """The client for ``REDIS_URL``, ``REDIS_CLUSTER`` or ``REDIS_SENTINELS`` (see config.py):
    a ``redis.Redis`` (one server, or the primary Sentinel names, followed) or a
    ``RedisCluster``. Raises ``ValueError`` as ``redis_target``."""
    url, options = redis_target(config)
    if config.get("REDIS_SENTINELS"):
        addresses, sentinel_kwargs, primary = sentinel_parts(config, url, options, quick_retry())
        sentinels = Sentinel(addresses, sentinel_kwargs=sentinel_kwargs, **primary)
        return follow(sentinels.master_for(config["REDIS_SENTINEL_MASTER"], retry=quick_retry()))
    if config.get("REDIS_CLUSTER"):
        return RedisCluster.from_url(url, retry=quick_retry(), **options)
    pool = redis.BlockingConnectionPool.from_url(
        url, retry=quick_retry(), max_connections=MAX_CONNECTIONS,
        timeout=config["REDIS_SOCKET_TIMEOUT"], **options)
    return redis.Redis.from_pool(pool)


def is_cluster(client: Any) -> bool:
    """True for a Redis Cluster client (sync or asyncio), whose scripts and transactions may
    only touch keys of one slot."""
    return isinstance(client, (RedisCluster, AsyncRedisCluster))


def sentinel_parts(config: Mapping[str, Any], url: str, options: dict[str, Any],
                   retry: Any) -> tuple[list, dict[str, Any], dict[str, Any]]:
    """What a ``Sentinel`` (sync or asyncio) is built from: addresses, its own options (with
    ``retry``), and the primary's: ``REDIS_URL``'s credentials, db and TLS (not its host)."""
    timeout = config["REDIS_SOCKET_TIMEOUT"]
    primary = {name: value for name, value in parse_url(url).items()
               if name in ("username", "password", "db")}
    if "ssl_cert_reqs" in options:  # rediss://
        primary["ssl"] = True
    # redis-py's default retry backs off for ~10 s while no Sentinel answers; fail promptly.
    sentinel_kwargs = {"socket_timeout": timeout, "socket_connect_timeout": timeout,
                       "password": config.get("REDIS_SENTINEL_PASSWORD"), "retry": retry}
    return config["REDIS_SENTINELS"], sentinel_kwargs, {**options, **primary}


def quick_retry(retry_class: type = Retry) -> Retry:
    """Retry a broken connection twice within ~30 ms, then fail (so the answer is a prompt 503).

    Enough to replace pooled connections the server closed (restarts, idle timeouts, CLIENT KILL,
    a Sentinel failover); redis-py's default backs off for seconds while the bridge waits. A
    READONLY answer (a demoted primary, which keeps its connections) is retried on a new
    connection too, so a managed Redis whose DNS name moves to the promoted replica is followed.
    Timeouts are not retried: the command may have run. ``retry_class``: redis-py's ``Retry``, or
    ``redis.asyncio.retry.Retry`` for an asyncio client.
    """
    return retry_class(ExponentialBackoff(cap=0.02, base=0.005), retries=2,
                       supported_errors=(redis.ConnectionError, redis.ReadOnlyError))
