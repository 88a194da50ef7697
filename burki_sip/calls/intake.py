"""Which entries a consumer runs next, and the bookkeeping of its pending ones: ``ConsumerState``.
Delivery counts are XPENDING's ``times-delivered`` (docs/events.md, "Delivery count").
"""

from __future__ import annotations

import logging
import time

from .clock import utc_now
from .delivery import ConsumerSettings, Delivery
from .drivers import Work
from .keys import Keys

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 2000


class ConsumerState:
    """One consumer's intake (driver work) and bookkeeping: when its failures are due again."""

    def __init__(self, keys: Keys, settings: ConsumerSettings) -> None:
        self.settings = settings
        self.stream = keys.events(settings.kind)
        self.dead_stream = keys.dead_letters(settings.kind)
        self.errors: dict[str, str] = {}  # entry id -> the last error this consumer saw
        self.recovering = True  # first, whatever this consumer left pending before a restart
        self.recover_from = "-"  # XPENDING's start while recovering, a page at a time
        self.retry_at = self.claim_at = 0.0
        self.cursor = "0-0"

    def next_entries(self) -> Work[list[Delivery]]:
        """One round's entries: own ones when due (all after a restart), else those dead peers
        left, else new ones."""
        return ((yield from self._own_due()) or (yield from self._take_over())
                or (yield from self._read_new()))

    def _own_due(self) -> Work[list[Delivery]]:
        settings, min_idle = self.settings, self.own_idle_ms()
        if min_idle is None:
            return []
        rows = yield lambda client: client.xpending_range(self.stream, settings.group,
                                                          self.own_start(), "+", settings.batch,
                                                          consumername=settings.consumer)
        due, idle = self.own_due(rows, min_idle)
        if not due:
            return []
        claimed = yield lambda client: client.xclaim(self.stream, settings.group,
                                                     settings.consumer, idle, due)
        return self.deliveries(claimed, rows)

    def _take_over(self) -> Work[list[Delivery]]:
        """Entries idle ``claim_idle`` (their consumer died), a page every ``claim_idle / 2``."""
        settings = self.settings
        if time.monotonic() < self.claim_at:
            return []
        if settings.dead_retention:  # dead letters outlive their stream's entries only so long
            # by this host's clock: Redis's, which made the ids, differs by the clocks' skew
            floor = f"{int((time.time() - settings.dead_retention) * 1000)}-0"
            yield lambda client: client.xtrim(self.dead_stream, minid=floor, approximate=False)
        self.cursor, claimed, deleted = (yield lambda client: client.xautoclaim(
            self.stream, settings.group, settings.consumer, int(settings.claim_idle * 1000),
            self.cursor, count=settings.batch))[:3]
        if self.cursor == "0-0":  # the scan is complete until the next round
            self.claim_at = time.monotonic() + settings.claim_idle / 2
        if deleted:
            log.warning("entries %s were deleted before they were acknowledged", deleted)
        if not claimed:
            return []
        rows = yield lambda client: client.xpending_range(
            self.stream, settings.group, claimed[0][0], claimed[-1][0],
            2 * max(len(claimed), settings.batch), consumername=settings.consumer)
        return self.deliveries(claimed, rows, since=0)

    def _read_new(self) -> Work[list[Delivery]]:
        """Entries never delivered to the group, waiting no longer than own failures allow."""
        settings, block_ms = self.settings, self.settings.block_ms
        if self.errors:
            block_ms = max(1, min(block_ms, int((self.retry_at - time.monotonic()) * 1000)))
        replies = yield lambda client: client.xreadgroup(
            settings.group, settings.consumer, {self.stream: ">"}, count=settings.batch,
            block=block_ms)
        return [Delivery(entry_id, fields, 1)
                for _, entries in replies or () for entry_id, fields in entries]

    def recover(self) -> None:
        """Go through all own pending entries again (after a restart, or a Redis failure)."""
        self.recovering, self.recover_from = True, "-"

    def own_start(self) -> str:
        """Where the next XPENDING of own entries starts."""
        return self.recover_from if self.recovering else "-"

    def own_idle_ms(self) -> int | None:
        """Min idle time of own pending entries to deliver again now; ``None``: none are due."""
        if self.recovering:
            return 0
        if self.errors and time.monotonic() >= self.retry_at:
            return int(self.settings.retry_delay * 1000)
        return None

    def own_due(self, rows: list[dict], min_idle_ms: int) -> tuple[list[str], int]:
        """Which own pending entries (XPENDING rows) to deliver again now, and the min idle time
        to claim them with (the least observed, so a peer's claim since wins); forgets errors of
        entries no longer pending and sets when the next ones are due."""
        idles = {row["message_id"]: row["time_since_delivered"] for row in rows}
        due = [entry_id for entry_id, idle in idles.items() if idle >= min_idle_ms]
        waits = [min_idle_ms - idle for idle in idles.values() if idle < min_idle_ms]
        complete = len(rows) < self.settings.batch
        if self.recovering:
            self.recovering = not complete
            self.recover_from = "(" + rows[-1]["message_id"] if rows else "-"
            due = [entry_id for entry_id in due if entry_id not in self.errors]
        elif complete:
            for gone in set(self.errors) - set(idles):
                self.errors.pop(gone)  # acknowledged, dead-lettered, or taken over by a peer
        self.retry_at = time.monotonic() + (min(waits) / 1000 if waits
                                            else self.settings.retry_delay)
        return due, min((idles[entry_id] for entry_id in due), default=min_idle_ms)

    @staticmethod
    def deliveries(claimed: list, rows: list[dict], since: int = 1) -> list[Delivery]:
        """The claimed entries with XPENDING's times-delivered, plus ``since`` claims after it."""
        counts = {row["message_id"]: row["times_delivered"] for row in rows}
        return [Delivery(entry_id, fields, counts.get(entry_id, 1 - since) + since)
                for entry_id, fields in claimed if fields is not None]

    def failed(self, delivery: Delivery, exc: BaseException) -> None:
        """Note a failed handler run: retried after ``retry_delay``."""
        if not self.errors:
            self.retry_at = time.monotonic() + self.settings.retry_delay
        self.errors[delivery.entry_id] = (str(exc) or type(exc).__name__)[:MAX_ERROR_CHARS]

    def is_dead(self, delivery: Delivery) -> bool:
        """All earlier deliveries failed, and there were ``max_deliveries`` of them."""
        return delivery.deliveries - 1 >= self.settings.max_deliveries

    def dead_fields(self, delivery: Delivery) -> dict:
        """The dead-letter entry: the original fields, and why it is here."""
        error = self.errors.pop(delivery.entry_id, None) or (
            "unknown: the consumers that had it stopped before it was acknowledged")
        return {**delivery.fields, "dead_entry_id": delivery.entry_id,
                "dead_group": self.settings.group, "dead_consumer": self.settings.consumer,
                "dead_deliveries": str(delivery.deliveries - 1), "dead_error": error,
                "dead_at": utc_now()}
