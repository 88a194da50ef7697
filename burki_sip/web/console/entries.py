"""Which calls the event streams' entries name: the newest entries, or those since a page was drawn.

Both streams are read newest first and merged by entry id, so a call comes first by its newest
entry of either stream.
"""

from __future__ import annotations

import heapq
from itertools import islice
from typing import Iterable, Iterator

from ...calls.events import ERASURE
from ...calls.keys import EVENT_KINDS
from ...calls.store import CallStore

# The listing looks through at most this many of the streams' newest entries, this many a read.
SCAN_LIMIT = 5000
BATCH = 500


def valid_entry_id(entry_id: str) -> bool:
    """``<ms>-<seq>``, as Redis writes stream ids."""
    ms, dash, seq = entry_id.partition("-")
    return bool(dash) and ms.isdigit() and seq.isdigit()


def entry_order(entry_id: str) -> tuple[int, int]:
    """A stream entry id as a sortable pair."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def merged(streams: dict[str, Iterable[tuple[str, dict]]]) -> Iterator[tuple[str, str, dict]]:
    """``(kind, entry_id, fields)`` of streams given newest first, merged newest first."""
    def tagged(kind: str, entries) -> Iterator[tuple[tuple[int, int], str, str, dict]]:
        for entry_id, fields in entries:
            yield entry_order(entry_id), kind, entry_id, fields

    for _, kind, entry_id, fields in heapq.merge(
            *(tagged(kind, entries) for kind, entries in streams.items()),
            key=lambda e: e[0], reverse=True):
        yield kind, entry_id, fields


def newest_entries(store: CallStore, limit: int = SCAN_LIMIT) -> Iterator[tuple[str, str, dict]]:
    """``(kind, entry_id, fields)`` of both streams merged, newest first, at most ``limit``."""
    def stream(kind: str) -> Iterator[tuple[str, dict]]:
        upper = "+"
        while True:
            batch = store.client.xrevrange(store.keys.events(kind), max=upper, count=BATCH)
            yield from batch
            if len(batch) < BATCH:
                return
            upper = "(" + batch[-1][0]

    return islice(merged({kind: stream(kind) for kind in EVENT_KINDS}), limit)


def grouped(entries: Iterable[tuple[str, str, dict]]) -> Iterator[tuple[str, list]]:
    """Each call_sid of ``entries`` (given newest first), by its newest entry first, with the
    list of its entries seen so far (the list grows while the walk goes on)."""
    seen: dict[str, list] = {}
    for kind, entry_id, fields in entries:
        call_sid = fields.get("call_sid")
        if not call_sid:
            continue
        if call_sid not in seen:
            seen[call_sid] = []
            yield call_sid, seen[call_sid]
        seen[call_sid].insert(0, (kind, entry_id, fields))


def active_calls(store: CallStore, limit: int = SCAN_LIMIT) -> Iterator[tuple[str, list]]:
    """Each call_sid of the streams' newest entries, as ``grouped`` gives them."""
    return grouped(newest_entries(store, limit))


def calls_since(store: CallStore, after: dict[str, str], until: dict[str, str],
                limit: int) -> list[tuple[str, list]] | None:
    """The calls of the entries recorded after ``after`` up to ``until`` (an entry id per
    stream), as ``grouped`` gives them; ``None`` when a stream holds more than ``limit`` of those
    entries, or none is there, a stream went back or an erasure was recorded (entries were
    deleted: only a full read tells what is left)."""
    if any(entry_order(until[kind]) < entry_order(after[kind]) for kind in EVENT_KINDS):
        return None
    moved = [kind for kind in EVENT_KINDS if after[kind] != until[kind]]
    with store.client.pipeline(transaction=False) as pipe:
        for kind in moved:
            pipe.xrange(store.keys.events(kind), min="(" + after[kind], max=until[kind],
                        count=limit + 1)
        found = dict(zip(moved, pipe.execute()))
    if not any(found.values()) or any(len(entries) > limit for entries in found.values()):
        return None
    if any(fields.get("type") == ERASURE for entries in found.values() for _, fields in entries):
        return None
    return list(grouped(merged({kind: reversed(entries) for kind, entries in found.items()})))
