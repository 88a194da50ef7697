"""Reading the event streams: ``StreamReading``, the part of ``CallStore`` that reads them."""

from __future__ import annotations

import logging
import time

import redis

from . import reads
from .events import block_ms_for

log = logging.getLogger("burki_sip.calls.store")


class StreamReading:
    """``CallStore``'s stream reads; needs ``self.client``, ``self.keys`` and ``self._run``."""

    def newest_events(self, kind: str, count: int,
                      call_sid: str | None = None) -> list[tuple[str, dict]]:
        """The newest ``count`` entries of a stream, oldest first, optionally of one call only.

        Args:
            kind: ``"webhook"`` or ``"status"``.
            count: how many entries to return at most.
            call_sid: keep only this call's entries: read by id from the ids the call keeps
                (``Keys.call_events``), so no stream is scanned; entries trimmed since are left out.
        """
        if not call_sid:
            return self.client.xrevrange(self.keys.events(kind), count=count)[::-1]
        refs = [ref for ref in self._run(reads.event_refs(self.keys, call_sid)) if ref.kind == kind]
        found = self._run(reads.load_events(self.keys, refs[-count:] if count else []))
        return [(ref.entry_id, fields) for ref, fields in found if fields is not None]

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
