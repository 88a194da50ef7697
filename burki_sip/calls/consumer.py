"""Consume an event stream through a consumer group: at least once, retried, dead-lettered.
Each step is driver work (the handler's run is one of its operations), run by the sync or the
asyncio driver. docs/events.md has the guarantees, the duplicates to expect and an example.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable

import redis

from .connection import is_cluster
from .delivery import ConsumerSettings, Delivery
from .drivers import Work, pipelined, run, run_async
from .events import Event
from .intake import ConsumerState
from .keys import Keys
from .scripts import GroupScript

log = logging.getLogger(__name__)

# Seconds to wait after Redis failed or could not be reached: first and longest (doubling).
BACKOFF = (0.2, 5.0)

Handler = Callable[[Event], object]
Stop = Callable[[], bool]


def never() -> bool:
    """The default ``stop``: run until the process ends."""
    return False


class Consumer:
    """One consumer of a group on one event stream (sync; ``AsyncConsumer`` for asyncio)."""

    drive = staticmethod(run)  # how work meets the client
    sleep = staticmethod(time.sleep)  # how the consumer waits for Redis to come back

    def __init__(self, client: Any, keys: Keys, settings: ConsumerSettings) -> None:
        self.client = client
        self.settings = settings
        self.state = ConsumerState(keys, settings)

    def ensure_group(self) -> bool:
        """Create the group (and the stream) if absent, and make sure Redis knows its lag
        (``group.lua``: once, on start-up). True when the group was created now."""
        return self.drive(self._ensure_group(), self.client)

    def run(self, handler: Handler, stop: Stop = never) -> None:
        """Handle events until ``stop()`` is true, checked before each event; Redis blips wait."""
        return self.drive(self._run(handler, stop), self.client)

    def poll(self, handler: Handler, stop: Stop = never) -> int:
        """One round (``ConsumerState.next_entries``): how many events the handler finished."""
        return self.drive(self._poll(handler, stop), self.client)

    def _ensure_group(self) -> Work[bool]:
        start = "0" if self.settings.from_start else "$"
        created, counted = yield from GroupScript(self.state.stream, self.settings.group,
                                                  start).work()
        if counted >= 0:
            log.info("group %s: Redis had lost its lag; counted %d entries not yet delivered",
                     self.settings.group, counted)
        return bool(created)

    def _run(self, handler: Handler, stop: Stop) -> Work[None]:
        wait, ready = BACKOFF[0], False
        while not stop():
            try:
                if not ready:  # in the loop: a consumer started before Redis waits
                    yield from self._ensure_group()
                    ready = True
                yield from self._poll(handler, stop)
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                log.warning("consumer %s: Redis failed (%s); retrying in %.1f s",
                            self.settings.consumer, exc, wait)
                self.state.recover()  # an acknowledgement may have been lost
                yield lambda client, seconds=wait: self.sleep(seconds)
                wait = min(wait * 2, BACKOFF[1])
            except redis.ResponseError as exc:
                # NOGROUP, or UNBLOCKED to a read waiting on the stream: deleted while we ran
                if not str(exc).startswith(("NOGROUP", "UNBLOCKED")):
                    raise
                log.warning("consumer %s: the stream or group %s is gone; creating it again",
                            self.settings.consumer, self.settings.group)
                ready = False
            else:
                wait = BACKOFF[0]

    def _poll(self, handler: Handler, stop: Stop) -> Work[int]:
        deliveries = yield from self.state.next_entries()
        received, handled = time.monotonic(), 0
        for done, delivery in enumerate(deliveries):
            if stop():  # the rest stay pending, run first after the restart
                yield from self._release(deliveries[done:], received)
                break
            handled += yield from self._deliver(delivery, handler)
        return handled

    def _release(self, unrun: list[Delivery], received: float) -> Work[None]:
        """Give entries read at ``received`` (monotonic) but not run their delivery count back:
        ``XCLAIM ... RETRYCOUNT n JUSTID`` sets it without counting a delivery, its min idle time
        the time since they were read, so that an entry a peer took since stays the peer's."""
        idle_ms = int((time.monotonic() - received) * 1000)
        counts: dict[int, list[str]] = {}  # the count each had before it was handed to us
        for delivery in unrun:
            counts.setdefault(delivery.deliveries - 1, []).append(delivery.entry_id)
        yield pipelined(*(lambda pipe, count=count, ids=ids: pipe.xclaim(
            self.state.stream, self.settings.group, self.settings.consumer, idle_ms, ids,
            retrycount=count, justid=True) for count, ids in counts.items()))

    def _deliver(self, delivery: Delivery, handler: Handler) -> Work[int]:
        state, settings = self.state, self.settings
        if state.is_dead(delivery):  # to the dead-letter stream, atomically on one server
            yield pipelined(
                lambda pipe: pipe.xadd(state.dead_stream, state.dead_fields(delivery),
                                       maxlen=settings.dead_maxlen, approximate=True),
                lambda pipe: pipe.xack(state.stream, settings.group, delivery.entry_id),
                transaction=not is_cluster(self.client))
            log.error("event %s dead-lettered after %d deliveries", delivery.entry_id,
                      delivery.deliveries - 1)
            return 0
        try:
            yield lambda client: handler(Event.parse(settings.kind, delivery.entry_id,
                                                     delivery.fields))
        except Exception as exc:  # any handler failure means: retry later, then dead-letter
            log.warning("event %s failed (delivery %d): %s", delivery.entry_id,
                        delivery.deliveries, exc)
            state.failed(delivery, exc)
            return 0
        yield lambda client: client.xack(state.stream, settings.group, delivery.entry_id)
        state.errors.pop(delivery.entry_id, None)
        return 1


class AsyncConsumer(Consumer):
    """``Consumer`` on a ``redis.asyncio`` client: its methods return awaitables, the handler is
    awaited (``async def handle(event)``), and waits for Redis do not block the loop."""

    drive = staticmethod(run_async)
    sleep = staticmethod(asyncio.sleep)
