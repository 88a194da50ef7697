"""Which Redis ``make run`` uses: ``REDIS_URL`` when it is set, else a redis-server of its own.

Without ``REDIS_URL`` (or Sentinel or Cluster settings) gunicorn's master starts ``redis-server``
on a free loopback port, in memory only, and stops it with gunicorn: development runs on the same
Redis as production, so every feature behaves as it will there. Its URL goes to ``RUNTIME_FILE``,
where ``burki-sip`` and ``redis-cli -u "$(cat ...)"`` find it. A Redis of the machine (say on
localhost:6379) is never used unless ``REDIS_URL`` names it.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import subprocess
import time
from pathlib import Path
from typing import Mapping

import redis
from redis.exceptions import RedisClusterException

from . import config as settings, parsers
from .redact import without_password

RUNTIME_FILE = Path(".burki-sip") / "redis-url"
PING_TIMEOUT = 0.5
START_TIMEOUT = 10.0
# Loopback only, and nothing written to disk: the data lives as long as the service.
SERVER_ARGS = ("--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning")
MISSING = ("redis-server is not installed: install the package redis-server (Debian/Ubuntu; "
           "`make run` does this as root; macOS: brew install redis), or set REDIS_URL")

log = logging.getLogger(__name__)

# The servers this process started, by URL, until ``stop_embedded`` stops them.
_started: dict[str, subprocess.Popen] = {}


class EmbeddedRedisError(RuntimeError):
    """The development redis-server could not be started (gunicorn prints it as one error line)."""


def _needs_no_fallback(environ: Mapping[str, str]) -> bool:
    """``REDIS_URL`` is set, or Sentinel/Cluster settings say the Redis is not a local one."""
    try:
        cluster = parsers.boolean(environ.get("REDIS_CLUSTER", ""))
    except ValueError:
        cluster = True  # the start-up check names the bad value
    return bool(environ.get("REDIS_URL") or environ.get("REDIS_SENTINELS") or cluster)


def _answers(url: str, process: subprocess.Popen) -> bool:
    """Wait until the server at ``url`` answers PING (True) or its process has exited (False)."""
    deadline = time.monotonic() + START_TIMEOUT
    with redis.Redis.from_url(url, socket_timeout=PING_TIMEOUT) as client:
        while process.poll() is None and time.monotonic() < deadline:
            try:
                return client.ping()
            except redis.ConnectionError:
                time.sleep(0.05)
    return False


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def start_embedded(binary: str = "redis-server") -> str:
    """Start ``redis-server`` on a free loopback port, in memory only; its URL once it answers
    (``EmbeddedRedisError`` if the binary is missing or no server came up)."""
    for _ in range(3):  # another process may take the free port before redis-server binds it
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        try:
            process = subprocess.Popen([binary, "--port", str(port), *SERVER_ARGS],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except FileNotFoundError:
            raise EmbeddedRedisError(MISSING) from None
        url = f"redis://127.0.0.1:{port}/0"
        if _answers(url, process):
            _started[url] = process
            return url
        _stop(process)
    raise EmbeddedRedisError(f"{binary} did not start on a free loopback port (run it by hand "
                             "to see why), or set REDIS_URL")


def resolve_redis_url(environ: Mapping[str, str], logger: logging.Logger = log,
                      runtime_file: Path = RUNTIME_FILE) -> str:
    """``REDIS_URL`` if set (maybe empty with Sentinel or Cluster); else a new embedded server."""
    if _needs_no_fallback(environ):
        return environ.get("REDIS_URL", "")
    url = start_embedded()
    runtime_file.parent.mkdir(exist_ok=True)
    runtime_file.write_text(url + "\n")
    logger.warning(
        "REDIS_URL is not set: started an embedded redis-server at %s for development, stopped "
        "with the service (its URL is in %s, which burki-sip reads; redis-cli -u \"$(cat %s)\" "
        "inspects it). Its data is NOT durable; set REDIS_URL for anything but local development.",
        url, runtime_file, runtime_file)
    return url


def stop_embedded(url: str, runtime_file: Path = RUNTIME_FILE) -> None:
    """Stop the server at ``url`` if this process started it, and remove ``runtime_file`` if it
    still names ``url`` (a later ``make run`` may own it now)."""
    process = _started.pop(url, None)
    if process is not None:
        _stop(process)
    with contextlib.suppress(OSError):  # gone already, or never written
        if runtime_file.read_text().strip() == url:
            runtime_file.unlink()


def url_for_cli(environ: Mapping[str, str], runtime_file: Path = RUNTIME_FILE) -> dict:
    """``environ``, with the embedded server's ``REDIS_URL`` when it is unset and one runs here;
    ``ValueError`` saying what to do when nothing says which Redis to use."""
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
    where = without_password(config.get("REDIS_URL") or "") or "the Sentinels' primary"
    try:
        with client_from_config(config) as client:
            client.ping()
    except (redis.RedisError, RedisClusterException, OSError) as exc:
        logger.warning("Redis at %s does not answer (%s: %s): requests are answered 503 until "
                       "it does", where, type(exc).__name__, (str(exc).splitlines() or [""])[0])
        return False
    return True
