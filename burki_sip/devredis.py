"""``make run``'s Redis: ``REDIS_URL`` when set, else a redis-server of its own for development.

A real redis-server (not a fake), so every feature behaves as in production; on a free loopback
port, so a Redis of the machine is used only when ``REDIS_URL`` names it. Its URL goes to
``RUNTIME_FILE`` for ``burki-sip`` and ``redis-cli``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Mapping

import redis

from . import logs, parsers, startup

RUNTIME_FILE = Path(".burki-sip") / "redis-url"
PING_TIMEOUT = 0.5
START_TIMEOUT = 10.0
# Loopback only, and nothing written to disk: the data lives as long as the service.
SERVER_ARGS = ("--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning")
MISSING = ("redis-server is not installed: install the package redis-server (Debian/Ubuntu; "
           "`make run` does this as root; macOS: brew install redis), or set REDIS_URL")

log = logging.getLogger(__name__)

_started: dict[str, subprocess.Popen] = {}


class EmbeddedRedisError(RuntimeError):
    """The development redis-server could not be started (``main`` prints it as one line)."""


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


def start_embedded(binary: str = "redis-server") -> str:
    """Start ``redis-server`` on a free loopback port, in memory only; its URL once it answers."""
    for _ in range(3):  # another process may take the free port before redis-server binds it
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        try:
            # A session of its own: a Ctrl-C meant for gunicorn must not stop it first.
            process = subprocess.Popen([binary, "--port", str(port), *SERVER_ARGS],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                       start_new_session=True)
        except FileNotFoundError:
            raise EmbeddedRedisError(MISSING) from None
        url = f"redis://127.0.0.1:{port}/0"
        if _answers(url, process):
            _started[url] = process
            return url
        process.kill()
        process.wait()
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
    """Stop the server at ``url`` if started here; remove ``runtime_file`` if it still names it."""
    process = _started.pop(url, None)
    if process is not None:
        process.kill()  # it keeps nothing on disk: nothing to shut down gracefully
        process.wait()
    with contextlib.suppress(OSError):  # gone already, or never written
        if runtime_file.read_text().strip() == url:
            runtime_file.unlink()


def url_for_cli(environ: Mapping[str, str], runtime_file: Path = RUNTIME_FILE) -> dict:
    """``environ``, with the embedded server's ``REDIS_URL`` when it is unset and one runs here."""
    if _needs_no_fallback(environ):
        return dict(environ)
    try:
        url = runtime_file.read_text().strip()
    except OSError:
        raise ValueError(f"REDIS_URL is not set and no development server runs here (no "
                         f"{runtime_file}): start `make run` in this directory, or set "
                         "REDIS_URL, e.g. REDIS_URL=redis://localhost:6379/0") from None
    return {**environ, "REDIS_URL": url}


def serve(command: list[str], environ: dict[str, str]) -> int:
    """Run ``command`` until it exits; SIGTERM is passed on, a Ctrl-C reaches it by itself."""
    process = subprocess.Popen(command, env=environ)
    signal.signal(signal.SIGTERM, lambda signum, frame: process.send_signal(signum))
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:  # gunicorn got it too, and stops gracefully: wait for it
            continue


def main(command: list[str]) -> int:
    """Check the settings, then run ``command`` on ``REDIS_URL`` or on a redis-server of its own."""
    if startup.main(warn=False, need_redis=False):
        return 1
    environ = dict(os.environ)
    logs.configure("INFO", "stderr")  # the service's JSON lines, as gunicorn's follow
    try:
        environ["REDIS_URL"] = url = resolve_redis_url(environ)
    except EmbeddedRedisError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    try:
        return serve(command, environ)
    finally:
        stop_embedded(url)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
