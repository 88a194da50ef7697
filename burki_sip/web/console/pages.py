"""The data of a call's console pages (its timeline, one stored entry), from the app's store."""

from __future__ import annotations

import json
import time

from marshmallow import ValidationError

from ...calls.drivers import run
from ...calls.lifecycle import handoff
from ...calls.reads import EventRef, load_events
from ..extension import get_store
from ..schemas import check_call_sid
from .calls import call_summary
from .present import clock, marks, placed, row, shown


def known_call(call_sid: str) -> bool:
    """A call_sid that could name a call (the same rule as the SIP routes)."""
    try:
        check_call_sid(call_sid)
    except ValidationError:
        return False
    return True


def call_page_data(call_sid: str) -> dict | None:
    """The call page's data, or ``None`` when nothing is stored for the call."""
    call = call_summary(get_store(), call_sid) if known_call(call_sid) else None
    if call is None:
        return None
    now = time.time_ns() // 1_000_000
    return {"call": row(call, now), "timeline": placed(marks(call)),
            "context": shown(call.context) if call.context else None,
            "context_ttl": call.context_ttl, "context_until": until(now, call.context_ttl),
            "status_ttl": call.status_ttl, "status_until": until(now, call.status_ttl),
            "claimed_at": call.claimed_at, "handoff": handoff(call.state),
            "trimmed": len(call.refs) - len(call.events),
            "unlinked": not call.refs and bool(call.state.get("status")),
            "after": version(str(call.refs[-1]) if call.refs else None, call.context,
                             call.claimed_at, call.state.get("released_at"))}


def until(now: int, ttl: int) -> str:
    """When a key with ``ttl`` seconds left expires: the page shows a time, not a countdown, so
    it stays true between redraws (it is redrawn only when the call changes)."""
    return clock(now + ttl * 1000) if ttl >= 0 else "-"


def version(newest_ref: str | None, context: dict | None, claimed_at: str | None,
            released_at: str | None) -> str:
    """What the call page shows as of: its newest event, its prewarm, its claim and release.

    The page's poll sends it back; only when it changed is the call read again and redrawn.
    """
    prewarmed_at = (context or {}).get("prewarmed_at")
    return "|".join(value or "" for value in (newest_ref, prewarmed_at, claimed_at, released_at))


def current_version(call_sid: str) -> str:
    """``version`` of the call as stored now: one pipeline, none of its events read."""
    store = get_store()
    with store.client.pipeline(transaction=False) as pipe:
        pipe.lindex(store.keys.call_events(call_sid), -1)
        pipe.get(store.keys.context(call_sid))
        pipe.hmget(store.keys.status(call_sid), "claimed_at", "released_at")
        newest, context, (claimed, released) = pipe.execute()
    return version(newest, json.loads(context) if context else None, claimed, released)


def stored_entry(kind: str, entry_id: str) -> dict | None:
    """The fields of one stream entry, or ``None`` when it is gone (trimmed) or never was."""
    store = get_store()
    [(_, fields)] = run(load_events(store.keys, [EventRef(kind, entry_id)]), store.client)
    return fields
