"""What the console reads: recent calls from the index, and one call's whole timeline.

Every read is bounded: a page of the index costs one ``ZREVRANGE`` and one pipeline of five
reads per call; a timeline reads the two streams from the call's first-seen time on, at most
``scan_limit`` entries each. Nothing here scans the keyspace.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .store import CallStore
from .keys import EVENT_KINDS

# Stream ids are Redis's clock, the index's score the app server's: read a little earlier.
CLOCK_SLACK_MS = 60_000
BATCH = 1000


@dataclass(frozen=True)
class CallSummary:
    """One call as stored: context, claim, status hash, their TTLs, and when it was first seen."""

    call_sid: str
    first_seen_ms: int | None = None
    context: dict | None = None
    context_ttl: int = -2
    claimed_at: str | None = None
    state: dict = field(default_factory=dict)
    status_ttl: int = -2

    @property
    def claimed(self) -> bool:
        """A media stream claimed the context (while the claim marker lives)."""
        return self.claimed_at is not None

    @property
    def known(self) -> bool:
        """Anything at all is stored or indexed for the call."""
        return bool(self.context or self.state or self.claimed or self.first_seen_ms)


@dataclass(frozen=True)
class Timeline:
    """A call's summary and its stream entries ``(kind, entry_id, fields)`` in time order."""

    summary: CallSummary
    events: list[tuple[str, str, dict]]
    truncated: bool = False


def _context(raw: str | None) -> dict | None:
    return None if raw is None else json.loads(raw)


class CallHistory:
    """Read-only views of one deployment's calls, on a ``CallStore``'s client and keys."""

    def __init__(self, store: CallStore, scan_limit: int = 5000) -> None:
        self.store = store
        self.client = store.client
        self.keys = store.keys
        self.scan_limit = scan_limit

    def summaries(self, seen: list[tuple[str, int | None]]) -> list[CallSummary]:
        """The summary of each ``(call_sid, first_seen_ms)``, read in one pipeline."""
        if not seen:
            return []
        with self.client.pipeline(transaction=False) as pipe:
            for call_sid, _ in seen:
                pipe.get(self.keys.context(call_sid))
                pipe.ttl(self.keys.context(call_sid))
                pipe.get(self.keys.claimed(call_sid))
                pipe.hgetall(self.keys.status(call_sid))
                pipe.ttl(self.keys.status(call_sid))
            replies = pipe.execute()
        rows = []
        for number, (call_sid, first_seen) in enumerate(seen):
            raw, context_ttl, claimed, state, status_ttl = replies[number * 5:number * 5 + 5]
            # A claim kept in the status hash (claimed_at) wins over the older claim marker.
            claimed = (state or {}).get("claimed_at") or claimed
            rows.append(CallSummary(call_sid, first_seen, _context(raw), context_ttl, claimed,
                                    state or {}, status_ttl))
        return rows

    def recent(self, start: int = 0, count: int = 50) -> tuple[list[CallSummary], int]:
        """Calls ranked ``start`` .. ``start+count-1`` in the index, newest first, and the total."""
        index = self.store.index
        return self.summaries(index.newest(self.client, start, count)), index.count(self.client)

    def find(self, matches, start: int = 0, count: int = 50,
             scan: int = 2000) -> tuple[list[CallSummary], int]:
        """Calls for which ``matches(summary)`` is true among the ``scan`` newest, and how many
        were looked at; ``start``/``count`` page through the matches."""
        found, looked = [], 0
        while looked < scan and len(found) < start + count:
            batch = self.store.index.newest(self.client, looked, min(200, scan - looked))
            if not batch:
                break
            looked += len(batch)
            found += [row for row in self.summaries(batch) if matches(row)]
        return found[start:start + count], looked

    def summary(self, call_sid: str) -> CallSummary | None:
        """One call's summary, or ``None`` when nothing is stored or indexed for it."""
        first_seen = self.store.index.first_seen(self.client, call_sid)
        [row] = self.summaries([(call_sid, first_seen)])
        return row if row.known else None

    def timeline(self, call_sid: str) -> Timeline | None:
        """One call's summary and stream entries, or ``None`` when the call is unknown."""
        summary = self.summary(call_sid)
        if summary is None:
            return None
        events, truncated = [], False
        for kind in EVENT_KINDS:
            entries, cut = self._entries(kind, call_sid, summary.first_seen_ms)
            events += [(kind, entry_id, fields) for entry_id, fields in entries]
            truncated |= cut
        events.sort(key=lambda event: tuple(int(part) for part in event[1].split("-")))
        return Timeline(summary, events, truncated)

    def event(self, kind: str, entry_id: str) -> dict | None:
        """The fields of one stream entry, or ``None`` when it is gone (trimmed) or never was."""
        found = self.client.xrange(self.keys.events(kind), min=entry_id, max=entry_id, count=1)
        return found[0][1] if found else None

    def _entries(self, kind: str, call_sid: str,
                 since_ms: int | None) -> tuple[list[tuple[str, dict]], bool]:
        """This call's entries of one stream, oldest first, and whether the scan was cut short."""
        if since_ms is None:  # not indexed: look back from the newest entries instead
            found = self.store.newest_events(kind, BATCH, call_sid, self.scan_limit)
            return found, False
        stream, found, scanned = self.keys.events(kind), [], 0
        lower = str(max(0, since_ms - CLOCK_SLACK_MS))
        while scanned < self.scan_limit:
            batch = self.client.xrange(stream, min=lower, max="+", count=BATCH)
            scanned += len(batch)
            found += [item for item in batch if item[1].get("call_sid") == call_sid]
            if len(batch) < BATCH:
                return found, False
            lower = "(" + batch[-1][0]
        return found, True
