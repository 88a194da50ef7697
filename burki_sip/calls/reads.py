"""Reading one call, as driver work (``drivers.run``/``run_async``): the same code for both stores."""

from __future__ import annotations

import json
from .claims import TOKEN_FIELD
from .drivers import Work, pipelined
from .keys import Keys


def _json(raw: str | None) -> dict | None:
    return None if raw is None else json.loads(raw)


def load_context(keys: Keys, call_sid: str) -> Work[dict | None]:
    """A call's context, or ``None`` when it is absent or expired."""
    return _json((yield lambda client: client.get(keys.context(call_sid))))


def inspect_context(keys: Keys, call_sid: str) -> Work[tuple[dict | None, int, bool]]:
    """A call's context, its remaining TTL in seconds and whether it is claimed."""
    context = keys.context(call_sid)
    raw, ttl, claimed = yield pipelined(lambda pipe: pipe.get(context),
                                        lambda pipe: pipe.ttl(context),
                                        lambda pipe: pipe.hexists(keys.status(call_sid),
                                                                  TOKEN_FIELD))
    return _json(raw), ttl, bool(claimed)


def load_status(keys: Keys, call_sid: str) -> Work[tuple[dict | None, int]]:
    """A call's status hash (``None`` when unknown) and its remaining TTL."""
    status = keys.status(call_sid)
    state, ttl = yield pipelined(lambda pipe: pipe.hgetall(status), lambda pipe: pipe.ttl(status))
    return (state or None), ttl
