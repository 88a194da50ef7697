"""Call context, call status and event streams in Redis: ``CallStore`` (sync redis-py)."""

from __future__ import annotations

from typing import Any, Mapping

import redis

from ..jsontext import compact_json
from .access import CallAccess
from .clock import utc_now
from .connection import is_cluster
from .drivers import Acks, Work, run, written
from .erasure import Erased, Erasure, ignore, load_record, save_record
from .erasure_run import Run
from .keys import Keys, Lifetimes
from .lifecycle import NO_TRANSITION, Transition
from .listener import Listener
from .reads import StreamReading
from .recording import Recorded, entry_fields, record

__all__ = ["CallStore", "Lifetimes", "Recorded", "Transition", "store_from_config"]


class CallStore(CallAccess, StreamReading):
    """Reads and writes one deployment's call data.

    Args:
        client, keys, lifetimes, acks: as ``CallAccess``'s; ``client`` is a sync redis-py one.
        events_maxlen: approximate cap on each event stream; with consumer groups only entries every
            group acknowledged are trimmed (docs/events.md).
        streams_in_script: append stream entries inside the update script (one round trip). Redis
            Cluster needs ``False``: the streams live in other slots than a call's keys.
        events_max_backlog: refuse writes (``BacklogFullError``) once a stream's slowest consumer
            group has this many entries unacknowledged; ``None``: never refuse.
        events_retention: seconds entries are kept: each append also trims older ones (but none a
            group has not acknowledged); ``None``: trimmed by length only.
    """

    def __init__(self, client: redis.Redis, keys: Keys, lifetimes: Lifetimes = Lifetimes(),
                 events_maxlen: int = 100_000, streams_in_script: bool = True,
                 events_max_backlog: int | None = 100_000,
                 events_retention: int | None = None, acks: Acks = Acks()) -> None:
        super().__init__(client, keys, lifetimes, acks)
        self.events_maxlen = events_maxlen
        self.events_max_backlog = events_max_backlog
        self.events_retention = events_retention
        self.streams_in_script = streams_in_script

    def _run(self, work: Work) -> Any:
        return run(work, self.client, self.acks)

    def _new_listener(self) -> Listener:
        return Listener(self.client)

    def close(self) -> None:
        """Stop the reader of waiting claims, if one runs; the client is the caller's to close."""
        if self._listener is not None:
            self._listener.close()

    def save_context(self, context: dict, pipeline=None) -> None:
        """Store a call's context with its TTL and announce it, in one round trip.

        ``SET ... EX`` replaces any earlier context; ``SPUBLISH`` on the call's channel
        (``Keys.prewarmed``) wakes the claims waiting for it (``claim(wait=)``).

        Args:
            context: validated prewarm fields with ``call_sid``; ``None`` values are dropped and
                ``prewarmed_at`` is added.
            pipeline: a pipeline to queue both commands on, for the caller to send (then without
                the ``WAIT`` of ``acks``).
        """
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
        """Record one received request: one round trip on one server (see ``recording``).

        Args:
            kind, payload, content_type: the stream (``"webhook"`` or ``"status"``), the decoded
                body (stored as JSON in the entry) and its media type.
            call_sid: the call the payload names, if any; the call keeps the entry's id.
            delivery_id: ``webhook-id`` or ``Idempotency-Key``; a repeat within the dedupe TTL is
                dropped and reported as a duplicate.
            transition: the status this request moves the call to, and its facts (needs
                ``call_sid``).
            extra: more text fields of the entry (``request_id``, ``provider``, ...); empty
                values are left out.

        Raises:
            BacklogFullError: a consumer group of the stream is too far behind; nothing was written.
        """
        entry = entry_fields(payload, content_type, call_sid, delivery_id, extra or {})
        return self._run(record(self, kind, entry, call_sid, delivery_id,
                                transition or NO_TRANSITION))

    def erase(self, erasure: Erasure, erased: Erased | None = None, progress=ignore) -> Erased:
        """Erase calls, or numbers and their calls, from keys and streams (``erasure.py``).

        Args:
            erasure: what to erase, and whether only to count (``dry_run``).
            erased: the tally to keep, so that a caller still has it when this raises.
            progress: called as ``progress(stage, done, total or None)`` after each page.

        Raises:
            redis.RedisError: the erasure did not finish; running it again finishes it.
        """
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
