"""Following the primary the Sentinels name: every client of a Sentinel setup re-asks it every
``FOLLOW_INTERVAL`` (docs/scaling.md, "Sentinel").

redis-py's Sentinel pool asks only when it opens a connection, and after a planned failover the
old primary takes writes until Sentinel demotes it, then drops them: pooled connections kept
writing there, answered 200, and lost. The pool's own ``get_master_address()`` closes its idle
connections when the address changed, and the pool closes each busy one as it comes back
(``owns_connection``; the asyncio pool: ``async_connection.BlockingSentinelPool``).
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any

import redis
from redis.sentinel import Sentinel as SyncSentinel

from .drivers import Work, run

# Seconds between two questions to the Sentinels (SENTINEL MASTERS, a few hundred bytes): a
# process asks 4 times a second per client, and stops writing to a former primary within that.
FOLLOW_INTERVAL = 0.25


class NamesThePromoted:
    """A redis-py ``Sentinel`` (sync or asyncio) that skips a Sentinel leading a failover: the
    leader names the old primary in ``SENTINEL MASTERS`` until every replica follows the new one,
    a second or more after the promotion; the others name the new one as soon as it is promoted.
    With a single Sentinel, no primary is named during its failover: a 503."""

    def check_master_state(self, state: dict, service_name: str) -> bool:
        """redis-py's check (a primary that is up), and no failover in progress.

        An override because redis-py's ``discover_master`` takes a Sentinel's answer through
        this method and offers no other way to refuse one; tests/test_redis_overrides.py fails
        if redis-py renames it or changes what it is given.
        """
        # ``flags`` is the flags' text (RESP2) or their set (RESP3): ``in`` reads both.
        return (super().check_master_state(state, service_name)
                and "failover_in_progress" not in state["flags"])


class Sentinel(NamesThePromoted, SyncSentinel):
    """redis-py's ``Sentinel``, naming the primary as ``NamesThePromoted`` says."""


def following(pool: Any) -> Work[None]:
    """Ask for ``pool``'s primary every ``FOLLOW_INTERVAL`` for as long as the pool exists:
    driver work on a clock, ``run(following(pool), time)`` in a thread or ``run_async(...,
    asyncio)`` in a task."""
    pool_ref = weakref.ref(pool)
    del pool  # held only while asking, so a client nobody uses can be collected
    while (current := pool_ref()) is not None:
        try:
            yield lambda clock: current.get_master_address()
        except redis.RedisError:
            pass  # no Sentinel answers: requests meet the same error; ask again later
        del current
        yield lambda clock: clock.sleep(FOLLOW_INTERVAL)


def follow(client: redis.Redis) -> redis.Redis:
    """Start following the primary of a sync Sentinel ``client`` in a daemon thread of the
    process that built it (gunicorn builds the app in each worker), ending once it is collected."""
    threading.Thread(target=run, args=(following(client.connection_pool), time),
                     name="burki-sip-follow-primary", daemon=True).start()
    return client
