"""Which Redis ``make run`` uses: ``REDIS_URL`` when it is set, else an embedded one it announces.

The embedded server's URL goes to ``RUNTIME_FILE`` in the working directory (the project root
under ``make run``), where ``burki-sip`` finds it and ``redis-cli -u "$(cat ...)"`` can read it.
A Redis of the machine (say on localhost:6379) is never used unless ``REDIS_URL`` names it.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Mapping

import redis
from redis.exceptions import RedisClusterException

from . import config as settings

RUNTIME_FILE = Path(".burki-sip") / "redis-url"
PING_TIMEOUT = 0.5

log = logging.getLogger(__name__)


def _needs_no_fallback(environ: Mapping[str, str]) -> bool:
    """``REDIS_URL`` is set, or Sentinel/Cluster settings say the Redis is not a local one."""
    try:
        cluster = settings.BY_NAME["REDIS_CLUSTER"].parse(environ.get("REDIS_CLUSTER", ""))
    except ValueError:
        cluster = True  # the start-up check names the bad value
    return bool(environ.get("REDIS_URL") or environ.get("REDIS_SENTINELS") or cluster)


def start_embedded(host: str = "127.0.0.1", port: int = 0) -> str:
    """Serve an in-memory Redis (fakeredis, with Lua) from a daemon thread; return its URL."""
    from fakeredis import TcpFakeServer  # a development dependency path, imported only here

    server = TcpFakeServer((host, port), server_type="redis")
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="embedded-redis", daemon=True).start()
    bound_host, bound_port = server.server_address[:2]
    return f"redis://{bound_host}:{bound_port}/0"


def resolve_redis_url(environ: Mapping[str, str], logger: logging.Logger = log,
                      runtime_file: Path = RUNTIME_FILE) -> str:
    """``REDIS_URL`` if set (maybe empty with Sentinel or Cluster); else a new embedded server."""
    if _needs_no_fallback(environ):
        return environ.get("REDIS_URL", "")
    url = start_embedded()
    runtime_file.parent.mkdir(exist_ok=True)
    runtime_file.write_text(url + "\n")
    logger.warning(
        "REDIS_URL is not set: serving an embedded in-memory Redis at %s for development "
        "(its URL is in %s, which burki-sip reads; redis-cli -u \"$(cat %s)\" inspects it). "
        "Its data is NOT durable; set REDIS_URL for anything but local development.",
        url, runtime_file, runtime_file)
    return url


def forget_embedded(url: str, runtime_file: Path = RUNTIME_FILE) -> None:
    """Remove ``runtime_file`` if it still names ``url`` (a later ``make run`` may own it now)."""
    try:
        if runtime_file.read_text().strip() == url:
            runtime_file.unlink()
    except OSError:
        pass


def url_for_cli(environ: Mapping[str, str], runtime_file: Path = RUNTIME_FILE) -> dict:
    """``environ``, with the embedded server's ``REDIS_URL`` when it is unset and one runs here.

    Raises:
        ValueError: nothing says which Redis to use (the message says what to do).
    """
    if _needs_no_fallback(environ):
        return dict(environ)
    try:
        url = runtime_file.read_text().strip()
    except OSError:
        raise ValueError(f"REDIS_URL is not set and no development server runs here (no "
                         f"{runtime_file}): start `make run` in this directory, or set "
                         "REDIS_URL, e.g. REDIS_URL=redis://localhost:6379/0") from None
    return {**environ, "REDIS_URL": url}


def warn_if_unreachable(environ: Mapping[str, str], logger: logging.Logger = log) -> bool:
    """Log one warning when the configured Redis does not answer PING promptly; True if it does."""
    from .calls.connection import client_from_config

    config = {**settings.load(environ), "REDIS_SOCKET_TIMEOUT": PING_TIMEOUT}
    where = settings.without_password(config.get("REDIS_URL") or "") or "the Sentinels' primary"
    try:
        client = client_from_config(config)
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, RedisClusterException, OSError) as exc:
        logger.warning("Redis at %s does not answer (%s: %s): requests are answered 503 until "
                       "it does", where, type(exc).__name__, (str(exc).splitlines() or [""])[0])
        return False
    return True
