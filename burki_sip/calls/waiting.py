"""A claim that waits for its context, as driver work: ``waiting_claim`` (see ``waiters.py``)."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Callable

from redis.exceptions import (ClusterDownError, ConnectionError, ReadOnlyError, RedisError,
                              TimeoutError)

from .claims import Claim, ClaimScript
from .clock import utc_now
from .drivers import Work

# A waiting claim treats these as "not yet" and keeps waiting until its deadline: a Sentinel
# failover (connections refused, then a primary turned replica answers READONLY), a Cluster
# electing a new primary.
PASSING = (ConnectionError, TimeoutError, ReadOnlyError, ClusterDownError)


def waiting_claim(script: ClaimScript, scripts: Any, listener: Any, channel: str, wait: float,
                  clock: Callable[[], float] = time.monotonic) -> Work[Claim]:
    """Claim now; if the context is missing, wait up to ``wait`` seconds for it to arrive.

    While waiting, a broken connection is not an error (``PASSING``): the claim keeps waiting,
    and looks once more at the deadline. ``listener`` subscribes, and sleeps until woken.
    """
    asked = clock()
    claim = yield from script.work(scripts)
    if not claim.missing or wait <= 0:
        return claim
    watch = listener.watch(channel)
    try:
        yield from subscribed(listener, watch)
        while (left := asked + wait - clock()) > 0:
            yield lambda client: listener.sleep(watch, left)
            attempt = replace(script, now=utc_now(), waited=clock() - asked)
            try:
                claim = yield from attempt.work(scripts)
            except PASSING:
                continue
            if not claim.missing:
                return claim
        return replace(claim, waited=clock() - asked)
    finally:
        listener.forget(watch)


def subscribed(listener: Any, watch: Any) -> Work[None]:
    """Register ``watch``, and send its channel's subscription if it is new in this process."""
    reader = listener.reader(watch.source)
    try:
        if listener.waiters.add(watch):
            yield lambda client: reader.subscribe(watch.channel)
    except RedisError:  # the reader sends it once it is connected again
        listener.waiters.unsent(watch.channel)
    reader.wake.set()
