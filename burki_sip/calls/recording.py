"""Recording one webhook or status request with record.lua: its inputs (``RecordScript``), its
steps (``record``: one run of the script, or one per slot on a Cluster) and ``Recorded``."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar, Mapping

import redis

from ..jsontext import compact_json
from .clock import utc_now
from .drivers import Work
from .events import SCHEMA_VERSION, BacklogFullError
from .keys import Lifetimes
from .lifecycle import NO_TRANSITION, TERMINAL_RANK, Transition, rank_of
from .scripts import ScriptCall

# record.lua's first reply element when the backlog limit refused the write.
REFUSED = -1
# How many references to its stream entries a call keeps (Keys.call_events): the newest.
EVENT_REFS_KEPT = 1000


@dataclass(frozen=True)
class RecordScript(ScriptCall):
    """One run of ``record.lua``: its keys and arguments by name. A key left ``None`` is not
    passed, and the part of the script that needs it does not run."""

    SCRIPT: ClassVar[str] = "record"
    ROLES: ClassVar[tuple[str, ...]] = ("status", "context", "refs", "marker", "stream")
    ARGS: ClassVar[tuple[str, ...]] = (
        "roles", "kind", "now", "lifetimes.dedupe_ttl", "transition.status", "rank",
        "transition.sequence", "terminal_rank", "lifetimes.idle_ttl", "lifetimes.retention",
        "maxlen", "backlog_limit", "appended", "refs_kept", "max_age", "fact_count",
        "event_fact_count")
    terminal_rank: ClassVar[int] = TERMINAL_RANK
    refs_kept: ClassVar[int] = EVENT_REFS_KEPT

    kind: str
    now: str
    lifetimes: Lifetimes
    status_key: str | None = None
    context_key: str | None = None
    refs_key: str | None = None
    marker_key: str | None = None
    stream_key: str | None = None
    transition: Transition = NO_TRANSITION
    maxlen: int | None = None
    max_age: int | None = None
    backlog_limit: int | None = None
    appended: str | None = None
    entry: Mapping[str, str] = field(default_factory=dict)

    @property
    def roles(self) -> str:
        """Which keys are given, in their order: record.lua names them from this."""
        return " ".join(role for role in self.ROLES if getattr(self, f"{role}_key"))

    # Arguments computed from the fields, named in ARGS as the fields are.
    fact_count = property(lambda self: len(self.transition.facts))
    event_fact_count = property(lambda self: len(self.transition.event_facts))
    rank = property(lambda self: rank_of(self.transition.status) if self.transition.status
                    else None)

    def keys(self) -> list[str]:
        """The keys given, in ``ROLES`` order."""
        return [key for key in (getattr(self, f"{role}_key") for role in self.ROLES) if key]

    def args(self) -> list[Any]:
        """The named arguments, then the facts, the event facts and the entry, as pairs."""
        pairs = (*self.transition.facts.items(), *self.transition.event_facts.items(),
                 *self.entry.items())
        return super().args() + [text for pair in pairs for text in pair]


@dataclass(frozen=True)
class Recorded:
    """The outcome of ``record_event``."""

    event_id: str | None
    duplicate: bool = False
    applied: bool = False
    status: str | None = None


def entry_fields(payload: dict, content_type: str, call_sid: str | None,
                 delivery_id: str | None, extra: Mapping[str, str]) -> dict[str, str]:
    """A request's stream entry (docs/events.md, ``SCHEMA_VERSION``); empty extras left out."""
    optional = {"call_sid": call_sid, "delivery_id": delivery_id, **extra}
    return {"schema": SCHEMA_VERSION, "received_at": utc_now(), "content_type": content_type,
            "payload": compact_json(payload),
            **{name: value for name, value in optional.items() if value}}


def record(store: Any, kind: str, entry: Mapping[str, str], call_sid: str | None,
           delivery_id: str | None, transition: Transition) -> Work[Recorded]:
    """Record a request's ``entry`` with ``store``'s keys, lifetimes and stream limits."""
    keys, call = store.keys, {}
    if call_sid:
        call = {"status_key": keys.status(call_sid), "context_key": keys.context(call_sid),
                "refs_key": keys.call_events(call_sid)}
    if delivery_id:
        call["marker_key"] = keys.delivery(kind, delivery_id, call_sid)
    step = partial(RecordScript, kind, entry["received_at"], store.lifetimes,
                   max_age=store.events_retention, stream_key=keys.events(kind))
    if call and not store.streams_in_script:
        return (yield from _by_slot(store, kind, step, call, entry, transition))
    reply = yield from step(**call, transition=transition, maxlen=store.events_maxlen,
                            backlog_limit=store.events_max_backlog, entry=entry).work()
    return _recorded(kind, reply)


def _recorded(kind: str, reply: list) -> Recorded:
    duplicate, applied, current, event_id, _ = reply
    if duplicate == REFUSED:  # then the second element is the slowest group's backlog
        raise BacklogFullError(kind, applied)
    return Recorded(event_id or None, bool(duplicate), bool(applied), current or None)


def _by_slot(store: Any, kind: str, step: partial, call: dict, entry: Mapping[str, str],
             transition: Transition) -> Work[Recorded]:
    """Redis Cluster, where the streams live in other slots than a call's keys: the backlog check,
    the call's part, the append, and the call's reference to the entry, a round trip each
    (what that gives up: docs/scaling.md, "Redis Cluster")."""
    marker = call.get("marker_key")
    if store.events_max_backlog:
        _recorded(kind, (yield from step(backlog_limit=store.events_max_backlog).work()))
    duplicate, applied, current, event_id, status = 0, 0, "", "", ""
    if marker or transition.status:
        lifecycle = {name: call[name] for name in ("status_key", "context_key")
                     if transition.status}
        duplicate, applied, current, event_id, status = yield from step(
            **lifecycle, stream_key=None, marker_key=marker, transition=transition).work()
    if duplicate:
        return Recorded(event_id or None, True, False, current or None)
    outcome = {"status": status, "applied": "true" if applied else "false"} if status else {}
    try:  # the entry with what the call's part did, as record.lua adds it on one server
        event_id = (yield from step(maxlen=store.events_maxlen,
                                    entry={**entry, **outcome}).work())[3]
    except redis.RedisError:  # forget the delivery, so that the sender's retry counts
        if marker:
            yield lambda client: client.delete(marker)
        raise
    yield from step(status_key=call.get("status_key"), refs_key=call.get("refs_key"),
                    stream_key=None, marker_key=marker, appended=event_id).work()
    return Recorded(event_id, False, bool(applied), current or None)
