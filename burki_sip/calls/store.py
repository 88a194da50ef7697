"""Call context, call status and event streams in Redis: ``CallStore``."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.resources import files
from typing import Any, Mapping

import redis

from .connection import is_cluster
from .index import NO_BOOKKEEPING, CallIndex
from .events import SCHEMA_VERSION, BacklogFullError, block_ms_for
from .keys import Keys
from .lifecycle import TERMINAL_RANK, rank_of

RECORD_LUA = files(__package__).joinpath("record.lua").read_text()
CLAIM_LUA = files(__package__).joinpath("claim.lua").read_text()

log = logging.getLogger(__name__)


def utc_now() -> str:
    """The current time as ISO 8601 UTC with milliseconds, e.g. ``2026-04-30T12:00:00.000Z``."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# record.lua's first reply element when the backlog limit refused the write.
REFUSED = -1

# One encoder for every call: json.dumps with options builds a new JSONEncoder each time.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def compact_json(value: Any) -> str:
    """JSON without spaces, non-ASCII kept as is: what ``redis-cli`` shows as text."""
    return _COMPACT.encode(value)


@dataclass(frozen=True)
class Transition:
    """What a callback says about a call: a status (canonical or ``hangup``) and its facts."""

    status: str
    sequence: int | None = None
    sip_code: int | None = None
    reason: str | None = None
    duration: int | None = None


@dataclass(frozen=True)
class Recorded:
    """The outcome of ``record_event``."""

    event_id: str | None
    duplicate: bool = False
    applied: bool = False
    status: str | None = None


@dataclass(frozen=True)
class Lifetimes:
    """How long each kind of key lives, in seconds (see the settings of the same names)."""

    prewarm_ttl: int = 300
    dedupe_ttl: int = 72 * 3600
    idle_ttl: int = 6 * 3600
    retention: int = 86400


def _text(value: Any) -> str:
    return "" if value is None else str(value)


class CallStore:
    """Reads and writes one deployment's call data.

    Args:
        client: a redis-py client created with ``decode_responses=True``.
        keys: the key names under this deployment's prefix.
        lifetimes: TTLs of contexts, duplicate markers and call status.
        events_maxlen: approximate cap on each event stream; with consumer groups only entries every
            group acknowledged are trimmed (docs/events.md).
        events_max_backlog: refuse writes (``BacklogFullError``) once a stream's slowest consumer
            group has this many entries unacknowledged; ``None``: never refuse.
        streams_in_script: append stream entries inside the update script (one round trip). Redis
            Cluster needs ``False``: the streams live in other slots than a call's keys.
        index: the console's index of recent calls (``CallIndex``); default: none kept.
    """

    def __init__(self, client: redis.Redis, keys: Keys, lifetimes: Lifetimes = Lifetimes(),
                 events_maxlen: int = 100_000, streams_in_script: bool = True,
                 events_max_backlog: int | None = 100_000,
                 index: CallIndex | None = None) -> None:
        self.client = client
        self.keys = keys
        self.index = index or CallIndex(keys.calls())
        self.lifetimes = lifetimes
        self.events_maxlen = events_maxlen
        self.events_max_backlog = events_max_backlog
        self.streams_in_script = streams_in_script
        self._record = client.register_script(RECORD_LUA)
        self._claim = client.register_script(CLAIM_LUA)

    def save_context(self, context: dict, pipeline=None) -> None:
        """Store a call's context with its TTL in one ``SET ... EX``, replacing any earlier one.

        Args:
            context: validated prewarm fields; must hold ``call_sid``. ``None`` values are dropped
                and ``prewarmed_at`` is added.
            pipeline: a pipeline to queue the command on instead of sending it now.
        """
        stored = {name: value for name, value in context.items() if value is not None}
        stored["prewarmed_at"] = utc_now()
        key, value = self.keys.context(context["call_sid"]), compact_json(stored)
        if not self.index.size:
            (pipeline if pipeline is not None else self.client).set(
                key, value, ex=self.lifetimes.prewarm_ttl)
            return
        # The console's index entry goes in the same round trip as the context.
        pipe = pipeline if pipeline is not None else self.client.pipeline(transaction=False)
        pipe.set(key, value, ex=self.lifetimes.prewarm_ttl)
        self.index.add(pipe, context["call_sid"])
        if pipeline is None:
            with pipe:
                pipe.execute()

    def load_context(self, call_sid: str) -> dict | None:
        """Return a call's context, or ``None`` when it is absent or expired."""
        raw = self.client.get(self.keys.context(call_sid))
        return None if raw is None else json.loads(raw)

    def inspect_context(self, call_sid: str) -> tuple[dict | None, int, bool]:
        """Return a call's context, its remaining TTL in seconds and whether it was claimed."""
        with self.client.pipeline(transaction=False) as pipe:
            pipe.get(self.keys.context(call_sid))
            pipe.ttl(self.keys.context(call_sid))
            pipe.exists(self.keys.claimed(call_sid))
            raw, ttl, claimed = pipe.execute()
        return (None if raw is None else json.loads(raw)), ttl, bool(claimed)

    def claim_context(self, call_sid: str) -> dict | None:
        """Return a call's context to the first caller only, marking it claimed; else ``None``.

        Two media-stream connections for one call cannot both start: the check and the mark are
        one atomic script.
        """
        raw = self._claim(keys=[self.keys.context(call_sid), self.keys.claimed(call_sid)],
                          args=[utc_now(), self.lifetimes.prewarm_ttl * 1000])
        return None if raw is None else json.loads(raw)

    def load_status(self, call_sid: str) -> tuple[dict | None, int]:
        """Return a call's status hash (``None`` when unknown) and its remaining TTL."""
        with self.client.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.keys.status(call_sid))
            pipe.ttl(self.keys.status(call_sid))
            state, ttl = pipe.execute()
        return (state or None), ttl

    def newest_events(self, kind: str, count: int, call_sid: str | None = None,
                      scan_limit: int = 10_000) -> list[tuple[str, dict]]:
        """The newest ``count`` entries of a stream, oldest first, optionally of one call only.

        Args:
            kind: ``"webhook"`` or ``"status"``.
            count: how many entries to return at most.
            call_sid: keep only this call's entries.
            scan_limit: how many entries to look through at most when filtering by call.
        """
        stream, found, upper, scanned = self.keys.events(kind), [], "+", 0
        while len(found) < count and scanned < scan_limit:
            batch = self.client.xrevrange(stream, max=upper, count=count if not call_sid else 500)
            if not batch:
                break
            scanned += len(batch)
            found += [item for item in batch if not call_sid or item[1].get("call_sid") == call_sid]
            upper = "(" + batch[-1][0]
        return found[:count][::-1]

    def follow_events(self, kind: str, after: str = "$", block_ms: int | None = None,
                      backoff: tuple[float, float] = (0.2, 5.0)):
        """Yield ``(entry_id, fields)`` for each new stream entry as it arrives (``XREAD BLOCK``).

        Each blocking read is shorter than the client's socket timeout (``block_ms_for``), so an
        idle stream is not an error. When Redis fails or cannot be reached, it waits (``backoff``:
        first and longest wait in seconds, doubling) and reads on after the last entry it yielded.
        """
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

    def record_event(self, kind: str, payload: dict, content_type: str,
                     call_sid: str | None = None, delivery_id: str | None = None,
                     transition: Transition | None = None,
                     extra: Mapping[str, str] | None = None) -> Recorded:
        """Record one received request in one round trip (see ``record.lua``).

        Args:
            kind: ``"webhook"`` or ``"status"``.
            payload: the decoded body, stored as JSON in the stream entry.
            content_type: the request's media type.
            call_sid: the call the payload names, when it names one.
            delivery_id: ``webhook-id`` or ``Idempotency-Key``; a repeat within the dedupe TTL is
                dropped and reported as a duplicate.
            transition: the status this request moves the call to (needs ``call_sid``).
            extra: more text fields of the stream entry (``request_id``, ``provider``, ...);
                empty values are left out.

        Returns:
            The stream entry id, whether it was a duplicate, and the call's status after it.

        Raises:
            BacklogFullError: a consumer group of the stream is too far behind; nothing was written.
        """
        entry = {"schema": SCHEMA_VERSION, "received_at": utc_now(), "content_type": content_type,
                 "payload": compact_json(payload)}
        if call_sid:
            entry["call_sid"] = call_sid
        if delivery_id:
            entry["delivery_id"] = delivery_id
        entry.update((name, value) for name, value in (extra or {}).items() if value)
        needs_call_keys = transition is not None or delivery_id is not None
        call_keys = self._call_keys(kind, call_sid, delivery_id) if needs_call_keys else []
        stream = self.keys.events(kind)
        in_script = self.streams_in_script or not call_keys
        keys = call_keys + [stream] if in_script else call_keys + [call_keys[0]]
        args = self._record_args(transition, delivery_id, entry, entry["received_at"], in_script)
        if not in_script:
            self._admit_outside(kind, stream)
        keys = self._pad(keys)
        index_here = self.streams_in_script and bool(call_sid) and bool(self.index.size)
        keys.append(self.index.key if index_here else keys[0])
        at = len(args) - 2 * len(entry)  # the console's arguments come just before the entry's
        args[at:at] = self.index.script_args(call_sid, index_here)
        duplicate, applied, current, event_id, status = self._record(keys=keys, args=args)
        if duplicate == REFUSED:  # then the second element is the slowest group's backlog
            raise BacklogFullError(kind, applied)
        if not duplicate and not in_script:
            event_id = self._append_outside(stream, entry, status, applied, call_keys[3], delivery_id)
        if not duplicate and call_sid and self.index.size and not index_here:
            self._index_outside(call_sid)
        return Recorded(event_id or None, bool(duplicate), bool(applied), current or None)

    def _call_keys(self, kind: str, call_sid: str | None, delivery_id: str | None) -> list[str]:
        """Status, context, claimed and duplicate-marker keys, all in the call's slot."""
        marker = self.keys.delivery(kind, delivery_id, call_sid) if delivery_id else None
        if call_sid:
            call = [self.keys.status(call_sid), self.keys.context(call_sid),
                    self.keys.claimed(call_sid)]
            return call + [marker or call[0]]
        return [marker] * 4 if marker else []

    @staticmethod
    def _pad(keys: list[str]) -> list[str]:
        return keys if len(keys) == 5 else [keys[0]] * (5 - len(keys)) + keys

    def _record_args(self, transition: Transition | None, delivery_id: str | None, entry: dict,
                     now: str, in_script: bool) -> list:
        lifetimes = self.lifetimes
        t = transition or Transition("")
        args = [lifetimes.dedupe_ttl if delivery_id else "", t.status,
                rank_of(t.status) if t.status else "", _text(t.sequence), now, lifetimes.idle_ttl,
                lifetimes.retention, TERMINAL_RANK, _text(t.sip_code), _text(t.reason),
                _text(t.duration)]
        args += self._stream_args(in_script, in_script)
        for name, value in entry.items():
            args += [name, value]
        return args

    def _stream_args(self, append: bool, admit: bool) -> list:
        """record.lua's ARGV 12 and 13: the MAXLEN of an append, the backlog limit of a check."""
        limit = self.events_max_backlog
        return [self.events_maxlen if append else "", limit if admit and limit else ""]

    def _stream_script(self, stream: str, append: bool, admit: bool, entry: dict | None = None):
        """record.lua on the stream alone (Cluster mode): a backlog check, or an append."""
        args = (["", "", "", "", utc_now(), "", "", "", "", "", ""]
                + self._stream_args(append, admit) + NO_BOOKKEEPING)
        for name, value in (entry or {}).items():
            args += [name, value]
        return self._record(keys=[stream] * 5, args=args)

    def _admit_outside(self, kind: str, stream: str) -> None:
        """Cluster mode's backlog check, a round trip before the call's script (best-effort: a
        request between it and the append is not counted against the limit)."""
        if not self.events_max_backlog:
            return
        refused, backlog, *_ = self._stream_script(stream, append=False, admit=True)
        if refused == REFUSED:
            raise BacklogFullError(kind, backlog)

    def _append_outside(self, stream: str, entry: dict, status: str, applied: int,
                        marker: str, delivery_id: str | None) -> str:
        """Cluster mode's second round trip; on failure, forget the delivery so a retry counts.

        With a delivery id, a third: the marker then holds the entry id, so a retry is answered with
        the same ``event_id`` as on one server (a retry in between sees the first one's time).
        """
        if status:
            entry = {**entry, "status": status, "applied": "true" if applied else "false"}
        try:
            event_id = self._stream_script(stream, append=True, admit=False, entry=entry)[3]
        except redis.RedisError:
            if delivery_id:
                self.client.delete(marker)
            raise
        if delivery_id:
            self.client.set(marker, event_id, xx=True, keepttl=True)
        return event_id

    def _index_outside(self, call_sid: str) -> None:
        """Cluster mode: the index lives in another slot than the call's keys."""
        with self.client.pipeline(transaction=False) as pipe:
            self.index.add(pipe, call_sid)
            pipe.execute()


def store_from_config(client: redis.Redis, config: dict) -> CallStore:
    """A ``CallStore`` on ``client`` with the lifetimes and prefix the settings give.

    On a Redis Cluster the event streams live in other slots than a call's keys, so they are
    appended outside the update script (one extra round trip).
    """
    lifetimes = Lifetimes(config["SIP_PREWARM_TTL"], config["SIP_DEDUPE_TTL"],
                          config["SIP_CALL_IDLE_TTL"], config["SIP_CALL_RETENTION"])
    keys = Keys(config["REDIS_KEY_PREFIX"])
    # The console's index is kept only while the console is enabled: no cost otherwise.
    size = config["SIP_CONSOLE_CALLS"] if config.get("SIP_CONSOLE_ENABLED") else 0
    index = CallIndex(keys.calls(), size, max(lifetimes.retention, lifetimes.idle_ttl))
    return CallStore(client, keys, lifetimes, events_maxlen=config["SIP_EVENTS_MAXLEN"],
                     streams_in_script=not is_cluster(client),
                     events_max_backlog=config["SIP_EVENTS_MAX_BACKLOG"], index=index)

