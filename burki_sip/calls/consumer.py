"""Consume an event stream through a consumer group: at least once, retried, dead-lettered.

    from burki_sip.calls import open_store
    from burki_sip.calls.consumer import Consumer, ConsumerSettings

    store = open_store()
    consumer = Consumer(store.client, store.keys, ConsumerSettings("status", "billing", "billing-1"))
    consumer.run(handle)   # handle(event: Event); returning acknowledges, raising retries

Each step is written once, as work for ``drivers``: a generator of operations on the client (the
handler's run is one of them). ``Consumer`` runs it with the sync driver, ``AsyncConsumer``
(``async_consumer.py``) with the asyncio one, so the two cannot drift apart.
docs/events.md has the guarantees, the duplicates to expect and the entry schema.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

import redis

from .connection import is_cluster
from .delivery import ConsumerSettings, GROUP_LUA, Delivery, group_lost
from .drivers import Work, pipelined, run as run_sync
from .events import Event
from .intake import next_entries, release
from .keys import Keys
from .pending import ConsumerState

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

    drive = staticmethod(run_sync)  # how work meets the client
    sleep = staticmethod(time.sleep)  # how the consumer waits for Redis to come back

    def __init__(self, client: Any, keys: Keys, settings: ConsumerSettings) -> None:
        self.client = client
        self.settings = settings
        self.state = ConsumerState(keys, settings)
        self._group = client.register_script(GROUP_LUA)

    def ensure_group(self) -> bool:
        """Create the group (and the stream) if absent, and make sure Redis knows its lag
        (``group.lua``: once, on start-up). True when the group was created now."""
        return self.drive(self._ensure_group(), self.client)

    def run(self, handler: Handler, stop: Stop = never) -> None:
        """Handle events until ``stop()`` is true, checked before each event; Redis blips wait."""
        return self.drive(self._run(handler, stop), self.client)

    def poll(self, handler: Handler, stop: Stop = never) -> int:
        """One round: own due retries, else entries dead peers left, else new entries.

        Returns:
            How many events the handler finished.
        """
        return self.drive(self._poll(handler, stop), self.client)

    def deliver(self, delivery: Delivery, handler: Handler) -> int:
        """Run the handler on one delivery and acknowledge it; or dead-letter it. 1 if handled."""
        return self.drive(self._deliver(delivery, handler), self.client)

    def _ensure_group(self) -> Work[bool]:
        start = "0" if self.settings.from_start else "$"
        created, counted = yield lambda client: self._group(
            keys=[self.state.stream], args=[self.settings.group, start], client=client)
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
                continue
            except redis.ResponseError as exc:
                if not group_lost(exc):
                    raise
                log.warning("consumer %s: the stream or group %s is gone; creating it again",
                            self.settings.consumer, self.settings.group)
                ready = False
                continue
            wait = BACKOFF[0]

    def _poll(self, handler: Handler, stop: Stop) -> Work[int]:
        deliveries = yield from next_entries(self.state)
        received, handled = time.monotonic(), 0
        for done, delivery in enumerate(deliveries):
            if stop():  # the rest stay pending, run first after the restart
                yield from release(self.state, deliveries[done:], received)
                break
            handled += yield from self._deliver(delivery, handler)
        return handled

    def _deliver(self, delivery: Delivery, handler: Handler) -> Work[int]:
        state, settings = self.state, self.settings
        if state.is_dead(delivery):
            yield from self._dead_letter(delivery)
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
        state.acked(delivery)
        return 1

    def _dead_letter(self, delivery: Delivery) -> Work[None]:
        """Move an entry to the dead-letter stream and acknowledge it (atomic on one server)."""
        state, settings = self.state, self.settings
        yield pipelined(
            lambda pipe: pipe.xadd(state.dead_stream, state.dead_fields(delivery),
                                   maxlen=settings.dead_maxlen, approximate=True),
            lambda pipe: pipe.xack(state.stream, settings.group, delivery.entry_id),
            transaction=not is_cluster(self.client))
        log.error("event %s dead-lettered after %d deliveries", delivery.entry_id,
                  delivery.deliveries - 1)
