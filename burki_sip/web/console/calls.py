"""What the console reads of calls: a page of those of the newest entries, and one call's timeline.

Only data every reader uses, nothing written for the console: the two event streams, and each
call's context, status hash and the ids of its own entries (``Keys.call_events``). A call's events
are read by those ids, one ``XRANGE`` each in one pipeline: no stream is scanned for them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

from ...calls.drivers import run
from ...calls.reads import EventRef, load_events
from ...calls.store import CallStore
from .entries import active_calls, entry_order


@dataclass(frozen=True)
class CallSummary:
    """One call as stored: context, status hash, their TTLs, where its events are, and events.

    ``events`` are ``(kind, entry_id, fields)`` in time order: read by ``refs`` when the call has
    them, else those of the call the listing came across in the streams (its keys are gone).
    """

    call_sid: str
    context: dict | None = None
    context_ttl: int = -2
    state: dict = field(default_factory=dict)
    status_ttl: int = -2
    refs: tuple[EventRef, ...] = ()
    events: tuple[tuple[str, str, dict], ...] = ()

    @property
    def claimed_at(self) -> str | None:
        """When a media stream last claimed the context (the claim lives in the status hash)."""
        return self.state.get("claimed_at")

    @property
    def known(self) -> bool:
        """Anything at all is stored for the call."""
        return bool(self.context or self.state or self.refs)


def summaries(store: CallStore, calls: list[tuple[str, list]]) -> list[CallSummary]:
    """The summary of each ``(call_sid, entries seen)``, read in one pipeline."""
    if not calls:
        return []
    keys = store.keys
    with store.client.pipeline(transaction=False) as pipe:
        for call_sid, _ in calls:
            pipe.get(keys.context(call_sid))
            pipe.ttl(keys.context(call_sid))
            pipe.hgetall(keys.status(call_sid))
            pipe.ttl(keys.status(call_sid))
            pipe.lrange(keys.call_events(call_sid), 0, -1)
        replies = pipe.execute()
    rows = []
    for number, (call_sid, seen) in enumerate(calls):
        raw, context_ttl, state, status_ttl, refs = replies[number * 5:number * 5 + 5]
        rows.append(CallSummary(call_sid, None if raw is None else json.loads(raw), context_ttl,
                                state or {}, status_ttl, tuple(map(EventRef.parse, refs)),
                                tuple(seen)))
    return rows


def with_events(store: CallStore, rows: list[CallSummary]) -> list[CallSummary]:
    """``rows`` with the events their refs point to, all read in one pipeline."""
    refs = [ref for row in rows for ref in row.refs]
    found = iter(run(load_events(store.keys, refs), store.client))
    done = []
    for row in rows:
        if row.refs:
            events = [(ref.kind, ref.entry_id, fields) for ref, fields in
                      (next(found) for _ in row.refs) if fields is not None]
            row = replace(row, events=tuple(sorted(events, key=lambda e: entry_order(e[1]))))
        done.append(row)
    return done


def page_of_calls(store: CallStore, start: int, count: int,
                  matches=None) -> tuple[list[CallSummary], int]:
    """The calls ranked ``start`` .. ``start+count-1`` by their newest event (only those for
    which ``matches(summary)`` is true, when given), and how many calls were looked at."""
    found, looked, walk = [], 0, active_calls(store)
    while len(found) < start + count:
        batch = [call for _, call in zip(range(200), walk)]
        if not batch:
            break
        looked += len(batch)
        found += [row for row in summaries(store, batch) if matches is None or matches(row)]
    return with_events(store, found[start:start + count]), looked


def call_summary(store: CallStore, call_sid: str) -> CallSummary | None:
    """One call's summary with all its events, or ``None`` when nothing is stored for it."""
    [row] = summaries(store, [(call_sid, [])])
    return with_events(store, [row])[0] if row.known else None

