"""Call context, call status and event streams in Redis: ``CallStore``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

import redis

from ..jsontext import compact_json
from .claims import CLAIM_LUA, RELEASE_LUA, TOKEN_FIELD, Claim, ClaimScript, release_script
from .clock import utc_now
from .cluster_writes import ClusterWrites
from .connection import is_cluster
from .events import SCHEMA_VERSION, BacklogFullError
from .index import CallIndex
from .keys import Keys
from .reading import StreamReading
from .recording import (RECORD_LUA, REFUSED, Recorded, Transition, call_keys, lifecycle_args,
                        pad, record_args, stream_args)

__all__ = ["CallStore", "Lifetimes", "Recorded", "Transition", "compact_json", "store_from_config",
           "utc_now", "REFUSED", "RECORD_LUA"]


@dataclass(frozen=True)
class Lifetimes:
    """How long each kind of key lives, in seconds (see the settings of the same names)."""

    prewarm_ttl: int = 300
    dedupe_ttl: int = 72 * 3600
    idle_ttl: int = 6 * 3600
    retention: int = 86400

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Lifetimes":
        """The lifetimes the ``SIP_*_TTL`` and ``SIP_CALL_*`` settings give."""
        return cls(config["SIP_PREWARM_TTL"], config["SIP_DEDUPE_TTL"],
                   config["SIP_CALL_IDLE_TTL"], config["SIP_CALL_RETENTION"])


class CallStore(StreamReading, ClusterWrites):
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
        self._release = client.register_script(RELEASE_LUA)

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
            pipe.hexists(self.keys.status(call_sid), TOKEN_FIELD)
            raw, ttl, claimed = pipe.execute()
        return (None if raw is None else json.loads(raw)), ttl, bool(claimed)

    def claim(self, call_sid: str, owner: str | None = None) -> Claim:
        """Claim a call's context for ``owner``, atomically (``claim.lua``).

        Args:
            call_sid: the call.
            owner: who claims, e.g. the media stream's id: claiming again as the same owner
                gives the same claim and token. ``None``: an owner of this claim alone.

        Returns:
            ``claimed`` (with the context and a token for ``release``), ``already_claimed`` (by
            another owner: who and when) or ``missing`` (never prewarmed, or expired).
        """
        script = ClaimScript.build(self.keys, call_sid, owner, utc_now(), self.lifetimes.idle_ttl)
        return script.result(self._claim(keys=script.keys, args=script.args))

    def release(self, call_sid: str, token: str) -> bool:
        """End the claim ``token`` holds, so the call can be claimed again; False if none held."""
        keys, args = release_script(self.keys, call_sid, token, utc_now())
        return bool(self._release(keys=keys, args=args))

    def claim_context(self, call_sid: str) -> dict | None:
        """The context to the first caller only, else ``None`` (missing or claimed): ``claim``."""
        claim = self.claim(call_sid)
        return claim.context if claim.claimed else None

    def load_status(self, call_sid: str) -> tuple[dict | None, int]:
        """Return a call's status hash (``None`` when unknown) and its remaining TTL."""
        with self.client.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.keys.status(call_sid))
            pipe.ttl(self.keys.status(call_sid))
            state, ttl = pipe.execute()
        return (state or None), ttl

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
        call = call_keys(self.keys, kind, call_sid, delivery_id) if needs_call_keys else []
        stream = self.keys.events(kind)
        in_script = self.streams_in_script or not call
        if not in_script:
            self._admit_outside(kind, stream)
        keys = pad(call + [stream] if in_script else call + [call[0]])
        index_here = self.streams_in_script and bool(call_sid) and bool(self.index.size)
        keys.append(self.index.key if index_here else keys[0])
        args = record_args(
            lifecycle_args(self.lifetimes, transition, delivery_id, entry["received_at"]),
            stream_args(self.events_maxlen, self.events_max_backlog, in_script, in_script),
            self.index.script_args(call_sid, index_here), entry)
        duplicate, applied, current, event_id, status = self._record(keys=keys, args=args)
        if duplicate == REFUSED:  # then the second element is the slowest group's backlog
            raise BacklogFullError(kind, applied)
        if not duplicate and not in_script:
            event_id = self._append_outside(stream, entry, status, applied, call[3], delivery_id)
        if not duplicate and call_sid and self.index.size and not index_here:
            self._index_outside(call_sid)
        return Recorded(event_id or None, bool(duplicate), bool(applied), current or None)


def store_from_config(client: redis.Redis, config: dict) -> CallStore:
    """A ``CallStore`` on ``client`` with the lifetimes and prefix the settings give.

    On a Redis Cluster the event streams live in other slots than a call's keys, so they are
    appended outside the update script (one extra round trip).
    """
    lifetimes = Lifetimes.from_config(config)
    keys = Keys(config["REDIS_KEY_PREFIX"])
    # The console's index is kept only while the console is on (it has logins): no cost otherwise.
    size = config["SIP_CONSOLE_CALLS"] if config.get("SIP_CONSOLE_USERS") else 0
    index = CallIndex(keys.calls(), size, max(lifetimes.retention, lifetimes.idle_ttl))
    return CallStore(client, keys, lifetimes, events_maxlen=config["SIP_EVENTS_MAXLEN"],
                     streams_in_script=not is_cluster(client),
                     events_max_backlog=config["SIP_EVENTS_MAX_BACKLOG"], index=index)

