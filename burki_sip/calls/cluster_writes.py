"""Redis Cluster's writes outside record.lua: the streams and the index live in other slots."""

from __future__ import annotations

import redis

from .clock import utc_now
from .events import BacklogFullError
from .index import NO_BOOKKEEPING
from .recording import CALL_KEYS, REFUSED, no_lifecycle, record_args, stream_args


class ClusterWrites:
    """``CallStore``'s extra round trips on a Cluster; needs ``client``, ``index``, ``_record``."""

    def _stream_script(self, stream: str, append: bool, admit: bool, entry: dict | None = None):
        """record.lua on the stream alone (Cluster mode): a backlog check, or an append."""
        args = record_args(no_lifecycle(utc_now()),
                           stream_args(self.events_maxlen, self.events_max_backlog, append, admit),
                           NO_BOOKKEEPING, entry)
        return self._record(keys=[stream] * CALL_KEYS, args=args)

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
