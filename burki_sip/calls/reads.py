"""Reading one call, as driver work the same for both stores, and the event streams (sync).
A call's events are read by the ids it keeps, one ``XRANGE`` each, in O(the call's events): no
stream is scanned for them (docs/events.md, "Each call's own entries").
"""

from __future__ import annotations

import json
import logging
import time
from typing import Iterator, NamedTuple

import redis

from .claims import TOKEN_FIELD
from .drivers import Work, pipelined
from .events import block_ms_for
from .keys import Keys

log = logging.getLogger("burki_sip.calls.store")


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
        """As record.lua writes it (``parse`` reads it back)."""
        return f"{self.kind}:{self.entry_id}"


def _json(raw: str | None) -> dict | None:
    return None if raw is None else json.loads(raw)


def load_context(keys: Keys, call_sid: str) -> Work[dict | None]:
    return _json((yield lambda client: client.get(keys.context(call_sid))))


def inspect_context(keys: Keys, call_sid: str) -> Work[tuple[dict | None, int, bool]]:
    context = keys.context(call_sid)
    raw, ttl, claimed = yield pipelined(
        lambda pipe: pipe.get(context), lambda pipe: pipe.ttl(context),
        lambda pipe: pipe.hexists(keys.status(call_sid), TOKEN_FIELD))
    return _json(raw), ttl, bool(claimed)


def load_status(keys: Keys, call_sid: str) -> Work[tuple[dict | None, int]]:
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


class StreamReading:
    """``CallStore``'s reads of whole streams; needs ``client``, ``keys`` and ``_run``."""

    def newest_events(self, kind: str, count: int,
                      call_sid: str | None = None) -> list[tuple[str, dict]]:
        """The newest ``count`` entries of a stream, oldest first; with ``call_sid``, of that call
        only, read by the ids it keeps (entries trimmed since are left out)."""
        if not call_sid:
            return self.client.xrevrange(self.keys.events(kind), count=count)[::-1]
        refs = [ref for ref in self._run(event_refs(self.keys, call_sid)) if ref.kind == kind]
        found = self._run(load_events(self.keys, refs[-count:] if count else []))
        return [(ref.entry_id, fields) for ref, fields in found if fields is not None]

    def follow_events(self, kind: str, after: str = "$", block_ms: int | None = None,
                      backoff: tuple[float, float] = (0.2, 5.0)) -> Iterator[tuple[str, dict]]:
        """Yield ``(entry_id, fields)`` for each new stream entry as it arrives (``XREAD BLOCK``,
        less than the socket timeout); when Redis fails, wait (``backoff``: first and longest
        wait in seconds, doubling) and read on after the last entry yielded."""
        stream, block_ms = self.keys.events(kind), block_ms or block_ms_for(self.client)
        wait = backoff[0]
        while True:
            try:
                after = self.last_event_id(kind) if after == "$" else after
                batches = self.client.xread({stream: after}, block=block_ms, count=100) or ()
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                log.warning("reading %s failed (%s); retrying in %.1f s", stream, exc, wait)
                time.sleep(wait)
                wait = min(wait * 2, backoff[1])
                continue
            wait = backoff[0]
            for _, entries in batches:
                for entry_id, fields in entries:
                    after = entry_id
                    yield entry_id, fields

    def last_event_id(self, kind: str) -> str:
        """The id of a stream's newest entry (``0-0`` when it has none): where "now" is."""
        newest = self.client.xrevrange(self.keys.events(kind), count=1)
        return newest[0][0] if newest else "0-0"
