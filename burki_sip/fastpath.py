"""The prewarm hot path: validation without marshmallow's generic machinery, one lean SET.

Each piece gives what the generic path gives (tests/test_fastpath.py and tests/test_sip.py check
it) for less work; anything unusual goes the generic way. docs/PERFORMANCE.md has the figures.
"""

from __future__ import annotations

import os
import threading

import redis

from .schemas import (CALL_SID_MAX, CALL_SID_PATTERN, NUMBER_MAX, TEXT_MAX, PrewarmSchema,
                      load_variables)

prewarm_schema = PrewarmSchema()


def _text_accepts(maximum: int):
    return lambda value: value is None or (type(value) is str and len(value) <= maximum)


# What the fast path takes as it is, per field, in PrewarmSchema's declared order (the order
# marshmallow loads in). Anything else goes to marshmallow, which accepts or names the error.
FAST_ACCEPTS = {
    "call_sid": lambda value: (type(value) is str and 0 < len(value) <= CALL_SID_MAX
                               and CALL_SID_PATTERN.fullmatch(value) is not None),
    "from_number": _text_accepts(NUMBER_MAX),
    "to_number": _text_accepts(NUMBER_MAX),
    "outbound": lambda value: value is None or type(value) is bool,
    "assistant_id": lambda value: value is None or type(value) is int,
    "welcome_message": _text_accepts(TEXT_MAX),
    "agenda": _text_accepts(TEXT_MAX),
}


def fast_load_prewarm(data: dict) -> dict | None:
    """What ``PrewarmSchema().load(data)`` returns, for the bodies that need no conversion.

    Returns ``None`` (and marshmallow decides) for anything else: a missing or odd call_sid, a
    value of another type than JSON gives for the field, a string over its limit, bad variables.
    Whatever this accepts, marshmallow accepts identically, in the same key order (hypothesis
    checks it in tests/test_fastpath.py).
    """
    if "call_sid" not in data:
        return None
    loaded = {}
    for name, accepts in FAST_ACCEPTS.items():
        if name in data:
            value = data[name]
            if not accepts(value):
                return None
            loaded[name] = value
    if "variables" in data:
        value = data["variables"]
        if value is not None:
            value, problem = load_variables(value)
            if problem:
                return None
        loaded["variables"] = value
    return loaded


def load_prewarm(data: dict) -> dict:
    """Validate a prewarm body: the fast path when it can, else marshmallow (same result)."""
    return fast_load_prewarm(data) or prewarm_schema.load(data)


_own = threading.local()
# Connections that reach the server their pool was made for with nothing but their own arguments.
# Sentinel-managed ones ask their pool for the primary, so they stay on the pool's path.
DIRECT_CONNECTIONS = (redis.Connection, redis.SSLConnection, redis.UnixDomainSocketConnection)


def lean_path_fits(client) -> bool:
    """True for a plain one-server client, whose connections ``send_one`` may open itself."""
    return (type(client) is redis.Redis and type(client.connection_pool) is redis.ConnectionPool
            and client.connection_pool.connection_class in DIRECT_CONNECTIONS)


def own_connection(client: redis.Redis) -> redis.Connection:
    """This thread's own connection to ``client``'s Redis, made on first use in this process."""
    held = getattr(_own, "held", None)
    if held is None or held[0] != os.getpid() or held[1] is not client:
        if held is not None:
            held[2].disconnect()  # the connection of another client (or process) is done with
        pool = client.connection_pool
        held = _own.held = (os.getpid(), client, pool.connection_class(**pool.connection_kwargs))
    return held[2]


def send_one(client: redis.Redis, *args):
    """Send one idempotent command on this thread's own connection and return its reply.

    A connection the server closed (restart, idle timeout, ``CLIENT KILL``) fails on use and is
    reopened by the connection's retry policy (``connection.quick_retry``: connection errors only, not
    timeouts), which runs the command again: hence idempotent commands only (``SET``). This skips
    the pool's per-command checkout (a lock, two counters and a non-blocking read) and
    ``execute_command``'s generic layers, which cost as much again as the round trip itself.

    Raises:
        redis.RedisError: as ``execute_command`` would, so the request is answered 503.
    """
    connection = own_connection(client)

    def send():
        connection.send_packed_command(connection.pack_command(*args), check_health=False)
        return connection.read_response()

    return connection.retry.call_with_retry(send, lambda error: connection.disconnect())
