"""How far behind each consumer group of an event stream is: for /metrics and ``events groups``."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from .keys import EVENT_KINDS, Keys


@dataclass(frozen=True)
class GroupState:
    """One consumer group of one stream, as XINFO GROUPS and XPENDING tell it."""

    group: str
    consumers: int
    pending: int
    lag: int | None
    unacknowledged: int
    last_delivered_id: str
    oldest_unacknowledged_id: str | None
    oldest_age_seconds: float | None


@dataclass(frozen=True)
class StreamState:
    """One event stream: its length, its dead-lettered entries and its groups."""

    kind: str
    length: int
    dead_letters: int
    groups: tuple[GroupState, ...]


def stream_states(client: redis.Redis, keys: Keys) -> list[StreamState]:
    """The state of every event stream (a few commands per group; not for the request path)."""
    now_s, now_us = client.time()
    now_ms = now_s * 1000 + now_us // 1000
    states = []
    for kind in EVENT_KINDS:
        stream = keys.events(kind)
        length, dead = client.xlen(stream), client.xlen(keys.dead_letters(kind))
        groups = client.xinfo_groups(stream) if client.exists(stream) else []
        states.append(StreamState(kind, length, dead, tuple(
            group_state(client, stream, info, length, now_ms) for info in groups)))
    return states


def group_state(client: redis.Redis, stream: str, info: dict, length: int,
                now_ms: int) -> GroupState:
    """A group's backlog the way record.lua counts it: pending + lag (lag unknown: the length);
    ``now_ms`` is Redis's clock, which the entry ids come from."""
    pending, lag = info["pending"], info.get("lag")
    unacknowledged = pending + lag if lag is not None else length
    oldest = None
    if pending:
        oldest = client.xpending(stream, info["name"])["min"]
    elif unacknowledged:
        after = client.xrange(stream, min="(" + info["last-delivered-id"], count=1)
        oldest = after[0][0] if after else None
    # An entry id's first part is when Redis added it, in ms.
    age = max(0, now_ms - int(oldest.split("-", 1)[0])) / 1000 if oldest else None
    return GroupState(info["name"], info["consumers"], pending, lag, unacknowledged,
                      info["last-delivered-id"], oldest, age)
