"""Which Redis ``make run`` uses when ``REDIS_URL`` is unset: a local one, else an embedded one."""

from __future__ import annotations

import logging
import threading

import redis

from .config import BY_NAME

LOCAL_URL = "redis://localhost:6379/0"

log = logging.getLogger(__name__)


def answers(url: str, timeout: float = 0.5) -> bool:
    """True when a Redis at ``url`` answers PING within ``timeout`` seconds."""
    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def _cluster(environ: dict) -> bool:
    try:
        return BY_NAME["REDIS_CLUSTER"].parse(environ.get("REDIS_CLUSTER", ""))
    except ValueError:
        return True  # let the app's start-up check name the bad value


def start_embedded(host: str = "127.0.0.1", port: int = 0) -> str:
    """Serve an in-memory Redis (fakeredis, with Lua) from a daemon thread; return its URL."""
    from fakeredis import TcpFakeServer  # a development dependency path, imported only here

    server = TcpFakeServer((host, port), server_type="redis")
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="embedded-redis", daemon=True).start()
    bound_host, bound_port = server.server_address[:2]
    return f"redis://{bound_host}:{bound_port}/0"


def resolve_redis_url(environ: dict, logger: logging.Logger = log) -> str:
    """``REDIS_URL`` if set; else a Redis on localhost:6379 if one answers; else an embedded one.

    With Sentinel or Cluster settings there is no fallback: ``REDIS_URL`` as it is, maybe empty.
    """
    if environ.get("REDIS_URL") or environ.get("REDIS_SENTINELS") or _cluster(environ):
        return environ.get("REDIS_URL", "")
    if answers(LOCAL_URL):
        logger.info("REDIS_URL is not set: using the Redis that answers at %s", LOCAL_URL)
        return LOCAL_URL
    url = start_embedded()
    logger.warning(
        "REDIS_URL is not set and no Redis answers on localhost:6379: serving an embedded "
        "in-memory Redis at %s (inspect with redis-cli -p %s). Its data is NOT durable and is "
        "lost when the service stops; set REDIS_URL for anything but local development.",
        url, url.rsplit(":", 1)[1].split("/")[0],
    )
    return url
