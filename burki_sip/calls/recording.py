"""Recording one webhook or status request with ``record.lua``: its steps, and ``Recorded``.

On one server (or Sentinel) a request is one run of the script. On a Redis Cluster the streams
live in other slots than a call's keys, so the same script runs once per slot (``_by_slot``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Mapping

import redis

from .drivers import Work
from .events import BacklogFullError
from .keys import Keys
from .lifecycle import NO_TRANSITION, Transition
from .record_script import REFUSED, RecordScript


@dataclass(frozen=True)
class Recorded:
    """The outcome of ``record_event``."""

    event_id: str | None
    duplicate: bool = False
    applied: bool = False
    status: str | None = None


@dataclass(frozen=True)
class Request:
    """One webhook or status request to record (``CallStore.record_event`` builds it)."""

    kind: str
    entry: Mapping[str, str]
    call_sid: str | None = None
    delivery_id: str | None = None
    transition: Transition = NO_TRANSITION

    def call_keys(self, keys: Keys) -> dict[str, str]:
        """The keys in the call's slot this request touches, by ``RecordScript`` field."""
        found = {}
        if self.call_sid:
            found = {"status_key": keys.status(self.call_sid),
                     "context_key": keys.context(self.call_sid),
                     "refs_key": keys.call_events(self.call_sid)}
        if self.delivery_id:
            found["marker_key"] = keys.delivery(self.kind, self.delivery_id, self.call_sid)
        return found


def record(store: Any, request: Request) -> Work[Recorded]:
    """Record ``request`` with ``store``'s scripts, keys, lifetimes and stream limits."""
    step = partial(RecordScript, request.kind, request.entry["received_at"], store.lifetimes,
                   max_age=store.events_retention)
    call, stream = request.call_keys(store.keys), store.keys.events(request.kind)
    if not store.streams_in_script and call:
        return (yield from _by_slot(store, request, step, call, stream))
    reply = yield from step(**call, stream_key=stream, transition=request.transition,
                            maxlen=store.events_maxlen, backlog_limit=store.events_max_backlog,
                            entry=request.entry).work(store.scripts)
    return _recorded(request.kind, reply)


def _recorded(kind: str, reply: list) -> Recorded:
    duplicate, applied, current, event_id, _ = reply
    if duplicate == REFUSED:  # then the second element is the slowest group's backlog
        raise BacklogFullError(kind, applied)
    return Recorded(event_id or None, bool(duplicate), bool(applied), current or None)


def _by_slot(store: Any, request: Request, step: partial, call: dict, stream: str):
    """Redis Cluster: the backlog check (best-effort: requests in flight may all pass it), the
    call's part, the append, and the call's reference to the entry, a round trip each."""
    limit = store.events_max_backlog
    if limit:
        _recorded(request.kind, (yield from step(stream_key=stream, backlog_limit=limit)
                                 .work(store.scripts)))
    marker, changes = call.get("marker_key"), bool(request.transition.status)
    duplicate, applied, current, event_id, status = 0, 0, "", "", ""
    if marker or changes:
        lifecycle = {name: call[name] for name in ("status_key", "context_key") if changes}
        duplicate, applied, current, event_id, status = yield from step(
            **lifecycle, marker_key=marker, transition=request.transition).work(store.scripts)
    if duplicate:
        return Recorded(event_id or None, True, False, current or None)
    event_id = yield from _append(store, step(stream_key=stream, maxlen=store.events_maxlen,
                                              entry=_with_outcome(request.entry, status, applied)),
                                  marker)
    yield from step(status_key=call.get("status_key"), refs_key=call.get("refs_key"),
                    marker_key=marker, appended=event_id).work(store.scripts)
    return Recorded(event_id, False, bool(applied), current or None)


def _with_outcome(entry: Mapping[str, str], status: str, applied: int) -> dict[str, str]:
    """The entry with what the call's part did, as record.lua adds it on one server."""
    outcome = {"status": status, "applied": "true" if applied else "false"} if status else {}
    return {**entry, **outcome}


def _append(store: Any, append: RecordScript, marker: str | None) -> Work[str]:
    """The append of a Cluster's entry; if it fails, the delivery's marker is deleted so that
    the retry counts (a retry before the marker holds the entry id sees the first one's time)."""
    try:
        return (yield from append.work(store.scripts))[3]
    except redis.RedisError:
        if marker:
            yield lambda client: client.delete(marker)
        raise
