"""The store's clock: ISO 8601 UTC text, as every stored timestamp is written."""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> str:
    """The current time as ISO 8601 UTC with milliseconds, e.g. ``2026-04-30T12:00:00.000Z``."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epoch_ms(text: str | None) -> int | None:
    """An ISO 8601 UTC time (as the store writes them) in ms since the epoch, or ``None``."""
    try:
        return int(datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None
