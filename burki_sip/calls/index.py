"""The index of recently seen calls: a sorted set of call_sids scored by first-seen time (ms).

The console lists calls from it instead of scanning the keyspace. It is written only while the
console is on (``size`` > 0): with the prewarm's ``SET`` in one pipeline, and inside
``record.lua`` on one server; on a Redis Cluster the index lives in another slot than a call's
keys, so the store adds to it with a command of its own after the script.
"""

from __future__ import annotations

import time

# Lua arguments 14-17 of record.lua when the console is off: no counters, no index entry.
NO_BOOKKEEPING = ["", "", "", ""]


def now_ms() -> int:
    """The current time in milliseconds since the epoch (the index's score)."""
    return int(time.time() * 1000)


class CallIndex:
    """Where and how long calls are indexed.

    Args:
        key: the sorted set's key (``Keys.calls()``).
        size: most calls kept (the oldest are trimmed first); 0 = no index at all.
        horizon: seconds a call stays in the index after it was first seen.
    """

    def __init__(self, key: str, size: int = 0, horizon: int = 86400) -> None:
        self.key = key
        self.size = size
        self.horizon = horizon

    def add(self, pipeline, call_sid: str, score: int | None = None) -> None:
        """Queue ``ZADD NX`` of the call and the trims (by age, then by count) on ``pipeline``."""
        score = now_ms() if score is None else score
        pipeline.zadd(self.key, {call_sid: score}, nx=True)
        pipeline.zremrangebyscore(self.key, "-inf", f"({score - self.horizon * 1000}")
        pipeline.zremrangebyrank(self.key, 0, -1 - self.size)

    def script_args(self, call_sid: str | None, here: bool) -> list:
        """record.lua's arguments 14-17: index ``call_sid`` in the script when ``here``."""
        if not self.size:
            return NO_BOOKKEEPING
        score = now_ms()
        return [call_sid if call_sid and here else "", score, self.size,
                score - self.horizon * 1000]

    def newest(self, client, start: int, count: int) -> list[tuple[str, int]]:
        """``(call_sid, first_seen_ms)`` of the calls ranked ``start`` and after, newest first."""
        if count <= 0:
            return []
        rows = client.zrevrange(self.key, start, start + count - 1, withscores=True)
        return [(call_sid, int(score)) for call_sid, score in rows]

    def first_seen(self, client, call_sid: str) -> int | None:
        """When the call was first seen (ms), or ``None`` when it is not in the index."""
        score = client.zscore(self.key, call_sid)
        return None if score is None else int(score)

    def count(self, client) -> int:
        """How many calls the index holds."""
        return client.zcard(self.key)
