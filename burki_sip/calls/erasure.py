"""Erasing calls, or a caller's numbers and every call they took part in: what to erase
(``Erasure``) and what was (``Erased``); ``erasure_run.Run`` does it, as driver work.

In order, so that a run cut short (Redis failed, the process stopped) can simply be run again:

1. **Find** (numbers only; nothing changes): the keys and stream entries holding a number, and
   the calls they name.
2. **Erase what holds no number**: the calls' other entries (sweep.lua) and keys (``SCAN``).
   Until then everything that led to the calls is still there, so a second run finds them again.
3. **Tell**: one ``erasure`` entry in the status stream (events.py), naming the calls. From
   here on a run cut short has told consumers of every call it found.
4. **Erase the rest**: what arrived for the calls meanwhile (their lists of entries), then the
   entries and keys that hold a number, then the calls' keys once more.

Every pass is bounded (pages of ``PAGE_ENTRIES`` entries, ``PAGE_KEYS`` keys), so Redis serves
other clients between them. Writes go through ``drivers.written`` and scripts, as all others,
so replicas acknowledge them when ``REDIS_ACK_REPLICAS`` asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .numbers import e164

# The most calls, or numbers, one erasure names (the numbers' forms are looked for in every
# entry, so each number adds to every page's work).
MAX_CALL_SIDS = 1000
MAX_NUMBERS = 20


def ignore(stage: str, done: int, total: int | None) -> None:
    """The default progress: none shown."""


@dataclass(frozen=True)
class Erasure:
    """What to erase: calls by call_sid, and numbers (E.164) with every call they took part in.

    Raises:
        ValueError: nothing named, too many, or a number that is not E.164.
    """

    call_sids: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    dry_run: bool = False
    request_id: str | None = None

    def __post_init__(self) -> None:
        if not (self.call_sids or self.numbers):
            raise ValueError("name at least one call_sid or number to erase")
        if len(self.call_sids) > MAX_CALL_SIDS or len(self.numbers) > MAX_NUMBERS:
            raise ValueError(f"at most {MAX_CALL_SIDS} call_sids and {MAX_NUMBERS} numbers "
                             "per erasure")
        if not all(self.call_sids):
            raise ValueError("a call_sid is empty")
        object.__setattr__(self, "numbers", tuple(e164(number) for number in self.numbers))


@dataclass
class Erased:
    """What an erasure removed so far (a dry run: would remove): the calls, keys, and entries
    by stream; ``event_id`` of its ``erasure`` entry and ``finished`` once it is complete."""

    calls: set[str] = field(default_factory=set)
    keys: int = 0
    entries: dict[str, int] = field(default_factory=dict)
    event_id: str | None = None
    finished: bool = False

    def count(self, stream: str, removed: int) -> None:
        """Add ``removed`` entries of ``stream``."""
        self.entries[stream] = self.entries.get(stream, 0) + removed
