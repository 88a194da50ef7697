"""Reading one call, as driver work (``drivers.run``/``run_async``): the same code for both stores.

Besides its context and status hash, every call keeps the ids of its own stream entries
(``Keys.call_events``, written by record.lua with each entry), so its events are read by id,
one ``XRANGE`` each, in O(the call's events): no stream is scanned for them.
"""

from __future__ import annotations

import json
from typing import NamedTuple

from .claims import TOKEN_FIELD
from .drivers import Work, pipelined
from .keys import Keys


class EventRef(NamedTuple):
    """Where one of a call's events is: its stream's kind and the entry id."""

    kind: str
    entry_id: str

    @classmethod
    def parse(cls, text: str) -> "EventRef":
        """The ref record.lua writes as ``<kind>:<entry id>``."""
        kind, _, entry_id = text.partition(":")
        return cls(kind, entry_id)

    def __str__(self) -> str:
        return f"{self.kind}:{self.entry_id}"


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


def event_refs(keys: Keys, call_sid: str) -> Work[list[EventRef]]:
    """Where each of the call's events is, oldest first (the newest ``EVENT_REFS_KEPT``)."""
    found = yield lambda client: client.lrange(keys.call_events(call_sid), 0, -1)
    return [EventRef.parse(text) for text in found]


def load_events(keys: Keys, refs: list[EventRef]) -> Work[list[tuple[EventRef, dict | None]]]:
    """Each ref with its entry's fields, ``None`` for one trimmed from its stream since."""
    if not refs:
        return []
    replies = yield pipelined(*(
        lambda pipe, ref=ref: pipe.xrange(keys.events(ref.kind), ref.entry_id, ref.entry_id, 1)
        for ref in refs))
    return [(ref, found[0][1] if found else None) for ref, found in zip(refs, replies)]


def call_events(keys: Keys, call_sid: str) -> Work[list[tuple[EventRef, dict | None]]]:
    """The call's events with their fields, oldest first: ``event_refs`` then ``load_events``."""
    refs = yield from event_refs(keys, call_sid)
    return (yield from load_events(keys, refs))
