"""Call context and event streams in Redis: ``CallStore``, and its wiring into the app."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import redis
from flask import Flask, current_app

from .keys import Keys

EXTENSION = "burki_sip"


def utc_now() -> str:
    """The current time as ISO 8601 UTC with milliseconds, e.g. ``2026-04-30T12:00:00.000Z``."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# One encoder for every call: json.dumps with options builds a new JSONEncoder each time.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def compact_json(value: Any) -> str:
    """JSON without spaces, non-ASCII kept as is: what ``redis-cli`` shows as text."""
    return _COMPACT.encode(value)


class CallStore:
    """Reads and writes one deployment's call data.

    Args:
        client: a redis-py client created with ``decode_responses=True``.
        keys: the key names under this deployment's prefix.
        prewarm_ttl: seconds a call context lives.
        events_maxlen: approximate cap on each event stream.
    """

    def __init__(self, client: redis.Redis, keys: Keys, prewarm_ttl: int = 300,
                 events_maxlen: int = 100_000) -> None:
        self.client = client
        self.keys = keys
        self.prewarm_ttl = prewarm_ttl
        self.events_maxlen = events_maxlen

    def save_context(self, context: dict, pipeline=None) -> None:
        """Store a call's context with its TTL in one ``SET ... EX``, replacing any earlier one.

        Args:
            context: validated prewarm fields; must hold ``call_sid``. ``None`` values are dropped
                and ``prewarmed_at`` is added.
            pipeline: a pipeline to queue the command on instead of sending it now.
        """
        stored = {name: value for name, value in context.items() if value is not None}
        stored["prewarmed_at"] = utc_now()
        key, value = self.keys.context(context["call_sid"]), compact_json(stored)
        if pipeline is not None:
            pipeline.set(key, value, ex=self.prewarm_ttl)
        elif type(self.client) is redis.Redis:
            send_one(self.client, "SET", key, value, "EX", self.prewarm_ttl)
        else:  # fakeredis, and clients for a cluster or a sentinel: their own paths
            self.client.set(key, value, ex=self.prewarm_ttl)

    def load_context(self, call_sid: str) -> dict | None:
        """Return a call's context, or ``None`` when it is absent or expired."""
        raw = self.client.get(self.keys.context(call_sid))
        return None if raw is None else json.loads(raw)

    def record_event(self, kind: str, payload: dict, content_type: str,
                     call_sid: str | None = None, pipeline=None) -> str:
        """Append one received request to the ``kind`` stream, capped in the same ``XADD``.

        Args:
            kind: ``"webhook"`` or ``"status"``.
            payload: the decoded body, stored as JSON.
            content_type: the request's media type.
            call_sid: the call the payload names, when it names one.
            pipeline: a pipeline to queue the command on instead of sending it now.

        Returns:
            The stream entry id (``None`` when queued on a pipeline).
        """
        entry = {"received_at": utc_now(), "content_type": content_type,
                 "payload": compact_json(payload)}
        if call_sid:
            entry = {"call_sid": call_sid, **entry}
        target = pipeline if pipeline is not None else self.client
        return target.xadd(self.keys.events(kind), entry, maxlen=self.events_maxlen,
                           approximate=True)


def send_one(client: redis.Redis, *args):
    """Send one command on a pooled connection and return its reply: redis-py's own pool and
    connection (stale connections are still detected and replaced when taken from the pool), minus
    the generic layers of ``execute_command`` that a fixed command does not need.

    Raises:
        redis.RedisError: as ``execute_command`` would, so the request is answered 503. The
            connection drops itself on a socket error. Not retried here: the bridge retries.
    """
    pool = client.connection_pool
    connection = pool.get_connection()
    try:
        connection.send_packed_command(connection.pack_command(*args))
        return connection.read_response()
    finally:
        pool.release(connection)


def connect(url: str, socket_timeout: float) -> redis.Redis:
    """A pooled client for ``url`` that gives up after ``socket_timeout`` seconds."""
    return redis.Redis.from_url(
        url, decode_responses=True, socket_timeout=socket_timeout,
        socket_connect_timeout=socket_timeout, health_check_interval=30,
    )


def init_app(app: Flask, redis_client: redis.Redis | None = None) -> None:
    """Create the app's one ``CallStore``, from ``redis_client`` or from ``REDIS_URL``."""
    config = app.config
    if redis_client is None:
        url = config["REDIS_URL"] or "redis://localhost:6379/0"
        redis_client = connect(url, config["REDIS_SOCKET_TIMEOUT"])
    app.extensions[EXTENSION] = CallStore(
        redis_client, Keys(config["REDIS_KEY_PREFIX"]),
        prewarm_ttl=config["SIP_PREWARM_TTL"], events_maxlen=config["SIP_EVENTS_MAXLEN"],
    )


def get_store() -> CallStore:
    """The current app's ``CallStore``."""
    return current_app.extensions[EXTENSION]
