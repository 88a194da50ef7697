"""The bookkeeping of one consumer's pending entries, apart from talking to Redis.

Delivery counts are XPENDING's ``times-delivered``: Redis adds one each time an entry is handed to
a consumer (XREADGROUP, XCLAIM, XAUTOCLAIM). Each handler run is one delivery; so is a delivery
cut short when the consumer crashed (or lost Redis) before it ran the handler or acknowledged. A
consumer that stops gives the entries it read but did not run their count back.
"""

from __future__ import annotations

import time

from .clock import utc_now
from .delivery import ConsumerSettings, Delivery, error_text
from .keys import Keys


class ConsumerState:
    """The bookkeeping of one consumer: when its own failures are due, when to take over."""

    def __init__(self, keys: Keys, settings: ConsumerSettings) -> None:
        self.settings = settings
        self.stream = keys.events(settings.kind)
        self.dead_stream = keys.dead_letters(settings.kind)
        self.errors: dict[str, str] = {}  # entry id -> the last error this consumer saw
        self.recovering = True  # first, whatever this consumer left pending before a restart
        self.recover_from = "-"  # XPENDING's start while recovering, a page at a time
        self.retry_at = 0.0
        self.claim_at = 0.0
        self.cursor = "0-0"

    def recover(self) -> None:
        """Go through all own pending entries again (after a restart, or a Redis failure)."""
        self.recovering, self.recover_from = True, "-"

    def own_start(self) -> str:
        """Where the next XPENDING of own entries starts."""
        return self.recover_from if self.recovering else "-"

    def own_idle_ms(self) -> int | None:
        """Min idle time of this consumer's own pending entries to re-deliver now; None: none due."""
        if self.recovering:
            return 0
        if self.errors and time.monotonic() >= self.retry_at:
            return int(self.settings.retry_delay * 1000)
        return None

    def own_due(self, rows: list[dict], min_idle_ms: int) -> tuple[list[str], int]:
        """Which of this consumer's pending entries (XPENDING rows) to deliver again now, and the
        min idle time to claim them with (the least observed, so a peer's claim since wins).

        Also forgets errors of entries no longer pending and sets when the next ones are due.
        """
        due_rows = [row for row in rows if row["time_since_delivered"] >= min_idle_ms]
        waits = [min_idle_ms - row["time_since_delivered"] for row in rows
                 if row["time_since_delivered"] < min_idle_ms]
        complete = len(rows) < self.settings.batch
        if self.recovering:
            self.recovering = not complete
            self.recover_from = "(" + rows[-1]["message_id"] if rows else "-"
            due_rows = [row for row in due_rows if row["message_id"] not in self.errors]
        elif complete:
            for gone in set(self.errors) - {row["message_id"] for row in rows}:
                self.errors.pop(gone)  # acknowledged, dead-lettered, or taken over by a peer
        wait = min(waits) / 1000 if waits else self.settings.retry_delay
        self.retry_at = time.monotonic() + wait
        idle = min((row["time_since_delivered"] for row in due_rows), default=min_idle_ms)
        return [row["message_id"] for row in due_rows], idle

    @staticmethod
    def deliveries(claimed: list, rows: list[dict], since: int = 1) -> list[Delivery]:
        """The claimed entries with XPENDING's times-delivered, plus ``since`` claims after it."""
        counts = {row["message_id"]: row["times_delivered"] for row in rows}
        return [Delivery(entry_id, fields, counts.get(entry_id, 1 - since) + since)
                for entry_id, fields in claimed if fields is not None]

    @staticmethod
    def counts_before(deliveries: list[Delivery]) -> dict[int, list[str]]:
        """Entry ids by the delivery count each had before it was handed to this consumer."""
        counts: dict[int, list[str]] = {}
        for delivery in deliveries:
            counts.setdefault(delivery.deliveries - 1, []).append(delivery.entry_id)
        return counts

    def takeover_due(self) -> bool:
        """Whether to look for entries dead consumers left (XAUTOCLAIM) in this round."""
        return time.monotonic() >= self.claim_at

    def scanned(self, cursor: str) -> None:
        """XAUTOCLAIM's next cursor: ``0-0`` means the scan is complete until the next round."""
        self.cursor = cursor
        if cursor == "0-0":
            self.claim_at = time.monotonic() + self.settings.claim_idle / 2

    def dead_floor(self) -> str:
        """The id below which dead letters are older than ``dead_retention`` (this host's clock:
        Redis's, which made the ids, differs by the clocks' skew)."""
        return f"{int((time.time() - self.settings.dead_retention) * 1000)}-0"

    def read_block_ms(self) -> int:
        """Block no longer than until own failures are due again."""
        if not self.errors:
            return self.settings.block_ms
        wait_ms = int((self.retry_at - time.monotonic()) * 1000)
        return max(1, min(self.settings.block_ms, wait_ms))

    def failed(self, delivery: Delivery, exc: BaseException) -> None:
        """Note a failed handler run: retried after ``retry_delay``."""
        if not self.errors:
            self.retry_at = time.monotonic() + self.settings.retry_delay
        self.errors[delivery.entry_id] = error_text(exc)

    def is_dead(self, delivery: Delivery) -> bool:
        """All earlier deliveries failed, and there were ``max_deliveries`` of them."""
        return delivery.deliveries - 1 >= self.settings.max_deliveries

    def dead_fields(self, delivery: Delivery) -> dict:
        """The dead-letter entry: the original fields and why it is here."""
        error = self.errors.pop(delivery.entry_id, None) or (
            "unknown: the consumers that had it stopped before it was acknowledged")
        return {**delivery.fields, "dead_entry_id": delivery.entry_id,
                "dead_group": self.settings.group, "dead_consumer": self.settings.consumer,
                "dead_deliveries": str(delivery.deliveries - 1), "dead_error": error,
                "dead_at": utc_now()}

    def acked(self, delivery: Delivery) -> None:
        """Forget an entry once acknowledged."""
        self.errors.pop(delivery.entry_id, None)
