"""Call context, call status and event streams in Redis: ``CallStore`` (sync redis-py)."""

from __future__ import annotations

from typing import Any, Mapping

import redis

from ..jsontext import compact_json
from .access import CallAccess
from .clock import utc_now
from .connection import is_cluster
from .drivers import Acks, Work, run, written
from .erasure import Erased, Erasure, load_record, save_record
from .erasure_run import Run
from .keys import Keys, Lifetimes
from .lifecycle import NO_TRANSITION, Transition
from .listener import Listener
from .reads import StreamReading
from .recording import Recorded, entry_fields, record

__all__ = ["CallStore", "Lifetimes", "Recorded", "Transition", "store_from_config"]


class CallStore(CallAccess, StreamReading):
    """Reads and writes one deployment's call data.

    ``client``, ``keys``, ``lifetimes`` and ``acks`` are ``CallAccess``'s (a sync redis-py
    client). ``events_maxlen``, ``events_max_backlog`` (refuse writes with ``BacklogFullError``
    once a stream's slowest group has this many entries unacknowledged; ``None``: never) and
    ``events_retention`` (seconds; ``None``: trimmed by length only) are the ``SIP_EVENTS_*``
    settings (docs/events.md). ``streams_in_script``: append entries inside record.lua, in the
    same round trip; ``False`` on a Redis Cluster, where the streams live in other slots.
    """

    def __init__(self, client: redis.Redis, keys: Keys, lifetimes: Lifetimes = Lifetimes(),
                 events_maxlen: int = 100_000, streams_in_script: bool = True,
                 events_max_backlog: int | None = 200_000,
                 events_retention: int | None = None, acks: Acks = Acks()) -> None:
        super().__init__(client, keys, lifetimes, acks)
        self.events_maxlen, self.events_max_backlog = events_maxlen, events_max_backlog
        self.events_retention, self.streams_in_script = events_retention, streams_in_script

    listener_class = Listener

    def _run(self, work: Work) -> Any:
        return run(work, self.client, self.acks)

    def close(self) -> None:
        """Stop the reader of waiting claims, if one runs; the client is the caller's to close."""
        if self._listener is not None:
            self._listener.close()

    def save_context(self, context: dict, pipeline=None) -> None:
        """Store a call's validated ``context`` (``None`` values dropped, ``prewarmed_at``
        added) with its TTL and announce it on ``Keys.prewarmed`` to the claims waiting for it,
        in one round trip; or queue both on ``pipeline``, for the caller to send (then without
        the ``WAIT`` of ``acks``)."""
        stored = {name: value for name, value in context.items() if value is not None}
        stored["prewarmed_at"] = utc_now()
        call_sid = context["call_sid"]
        key, channel = self.keys.context(call_sid), self.keys.prewarmed(call_sid)
        commands = (lambda pipe: pipe.set(key, compact_json(stored), ex=self.lifetimes.prewarm_ttl),
                    lambda pipe: pipe.spublish(channel, stored["prewarmed_at"]))
        if pipeline is None:
            self._run(_one(written(*commands)))
            return
        for command in commands:
            command(pipeline)

    def record_event(self, kind: str, payload: dict, content_type: str,
                     call_sid: str | None = None, delivery_id: str | None = None,
                     transition: Transition | None = None,
                     extra: Mapping[str, str] | None = None) -> Recorded:
        """Record one received request in one round trip on one server (``recording``): its
        ``payload`` in the ``kind`` stream (with ``extra`` text fields, empty ones left out),
        the ``transition`` of ``call_sid``, and ``delivery_id`` (``webhook-id`` or
        ``Idempotency-Key``) to drop a repeat within the dedupe TTL as a duplicate.

        Raises:
            BacklogFullError: a consumer group of the stream is too far behind; nothing written.
        """
        entry = entry_fields(payload, content_type, call_sid, delivery_id, extra or {})
        return self._run(record(self, kind, entry, call_sid, delivery_id,
                                transition or NO_TRANSITION))

    def erase(self, erasure: Erasure, erased: Erased | None = None,
              progress=lambda stage, done, total: None) -> Erased:
        """Erase calls, or numbers and their calls (``erasure.py``), tallied in ``erased`` (so
        a caller still has it when this raises), calling ``progress(stage, done, total or
        None)`` after each page. A ``redis.RedisError`` leaves it unfinished: run it again."""
        return self._run(Run(self, erasure, erased or Erased(), progress).work())

    def save_erasure_record(self, erasure_id: str, fields: dict, created: bool = False) -> None:
        """Write an erasure's progress (``erasure.record_fields``) for the API to read."""
        self._run(save_record(self.keys, erasure_id, fields, created))

    def erasure_record(self, erasure_id: str) -> dict | None:
        """An erasure's progress as the API answers it; ``None`` when unknown or expired."""
        return self._run(load_record(self.keys, erasure_id))


def _one(operation: Any) -> Work[Any]:
    return (yield operation)


def store_from_config(client: redis.Redis, config: Mapping[str, Any]) -> CallStore:
    """A ``CallStore`` on ``client`` with the settings' prefix, lifetimes and stream limits."""
    return CallStore(client, Keys(config["REDIS_KEY_PREFIX"]), Lifetimes.from_config(config),
                     events_maxlen=config["SIP_EVENTS_MAXLEN"],
                     streams_in_script=not is_cluster(client),
                     events_max_backlog=config["SIP_EVENTS_MAX_BACKLOG"],
                     events_retention=config["SIP_EVENTS_RETENTION"],
                     acks=Acks.from_config(config))
