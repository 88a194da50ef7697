"""The start-up check of the settings: one line naming the first bad one, exit status 1.

Run by gunicorn.conf.py, and by ``make run`` before gunicorn, which parses ``WEB_CONCURRENCY``
(a traceback if it is bad) before it reads gunicorn.conf.py.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Mapping

import redis
from redis.exceptions import RedisClusterException

from . import config as settings
from .redact import without_password

log = logging.getLogger(__name__)
# Seconds the start-up check waits for Redis: it only warns, it must not hold the start.
PING_TIMEOUT = 0.5
# The oldest Redis with everything the service sends (sharded pub/sub, XADD MINID).
MIN_REDIS = 7

# Variables an older release read, and what replaced each: an environment that still sets one is
# warned rather than silently ignored (docs/configuration.md, "Former settings").
RETIRED = {
    "LIVEKIT_API_KEY": "LIVEKIT_API_KEYS (key:secret pairs)",
    "LIVEKIT_API_SECRET": "LIVEKIT_API_KEYS (key:secret pairs)",
    "SIP_CONSOLE_ENABLED": "the console is on exactly when SIP_CONSOLE_USERS is set",
    "SIP_CONSOLE_CALLS": "nothing: the console lists calls from the streams' newest entries",
    "SIP_BRIDGE_CONNECT_TIMEOUT": "burki-sip sync-organization --connect-timeout",
    "SIP_BRIDGE_READ_TIMEOUT": "burki-sip sync-organization --read-timeout",
    "SIP_BRIDGE_RETRIES": "burki-sip sync-organization --retries",
    "SIP_BRIDGE_BACKOFF": "burki-sip sync-organization --backoff",
    "REDIS_HEALTH_TIMEOUT": "a constant (0.5 s)",
    "MAX_FORM_MEMORY_SIZE": "MAX_CONTENT_LENGTH",
    "MAX_FORM_PARTS": "a constant (200)",
    "SIP_EVENTS_CLAIM_IDLE": "burki-sip events consume --claim-idle",
    "SIP_BENCH_NOOP": "bench/app.py serves the floors of make bench",
    "WEB_WORKER_CLASS": "gunicorn's own --worker-class (e.g. GUNICORN_CMD_ARGS=\"--worker-class sync\")",
}


NO_REDIS = ("REDIS_URL is not set: set it to the Redis to use, e.g. "
            "REDIS_URL=redis://localhost:6379/0 (`make run` starts one of its own)")


def main(warn: bool = True, need_redis: bool = True) -> int:
    """Print the first problem with ``os.environ``'s settings (``need_redis``: also no Redis named)
    and, with ``warn``, a line per former setting still set; return the exit status."""
    for name in [name for name in RETIRED if name in os.environ] if warn else ():
        print(f"Warning: {name} is no longer read: {RETIRED[name]}", file=sys.stderr)
    problem = settings.startup_problem(os.environ)
    if not problem and need_redis and not (os.environ.get("REDIS_URL")
                                           or os.environ.get("REDIS_SENTINELS")):
        problem = NO_REDIS
    if problem:
        print(f"Error: {problem}", file=sys.stderr)
    return 1 if problem else 0


def warn_if_unreachable(environ: Mapping[str, str], logger: logging.Logger = log) -> bool:
    """Log a warning if the Redis does not answer promptly, an error if it is older than
    ``MIN_REDIS``; True if it answers."""
    from .calls.connection import client_from_config

    config = {**settings.load(environ), "REDIS_SOCKET_TIMEOUT": PING_TIMEOUT}
    where = without_password(config.get("REDIS_URL") or "") or "the Sentinels' primary"
    try:
        with client_from_config(config) as client:
            info = client.info("server")
    except (redis.RedisError, RedisClusterException, OSError) as exc:
        logger.warning("Redis at %s does not answer (%s: %s): requests are answered 503 until "
                       "it does", where, type(exc).__name__, (str(exc).splitlines() or [""])[0])
        return False
    version = info.get("redis_version") or next(iter(info.values()))["redis_version"]  # Cluster
    if too_old(version):
        logger.error("Redis at %s is %s; burki-sip needs %d.0 or newer (SPUBLISH, XADD MINID): "
                     "prewarms and callbacks are refused", where, version, MIN_REDIS)
    return True


def too_old(version: str) -> bool:
    """True for an ``INFO`` ``redis_version`` older than ``MIN_REDIS``.0."""
    return int(version.split(".")[0]) < MIN_REDIS
