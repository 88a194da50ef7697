"""``burki-sip erase call|number``: erase calls, or a caller's numbers and their calls (erasure.py)."""

from __future__ import annotations

import json
import sys
import time

import click
import redis
from redis.exceptions import RedisClusterException

from .calls.erasure import Erased, Erasure

# Seconds between two progress lines on a terminal.
PROGRESS_EVERY = 0.2
ERASE_LINE = "\033[K"  # to the end of the line, what a longer line before left there


class Progress:
    """The erasure's progress on one line of stderr, rewritten in place; only on a terminal."""

    def __init__(self, stream=None) -> None:
        self.stream, self.last = stream or sys.stderr, 0.0

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if self.stream.isatty() and time.monotonic() - self.last >= PROGRESS_EVERY:
            self.last = time.monotonic()
            of = f" of {total:,}" if total is not None else ""
            self.stream.write(f"\r{stage}: {done:,}{of}{ERASE_LINE}")
            self.stream.flush()

    def clear(self) -> None:
        """Remove the progress line before the result is printed."""
        if self.last:
            self.stream.write("\r" + ERASE_LINE)


def summary(erased: Erased, dry_run: bool) -> str:
    """What was erased, in counts (never a number)."""
    streams = ", ".join(f"{stream} {count}" for stream, count in erased.entries.items())
    text = (f"{'would erase' if dry_run else 'erased'} {len(erased.calls)} call(s): "
            f"{erased.keys} key(s), {sum(erased.entries.values())} stream entries ({streams})")
    if erased.event_id:
        text += f"; erasure entry {erased.event_id} appended to the status stream"
    return text


@click.group("erase", short_help="Erase calls, or a caller's numbers and every call they took "
             "part in (docs/privacy.md).")
def erase_group() -> None:
    """Erase calls, or a caller's numbers and every call they took part in, from every key and
    stream entry (dead letters too); then tell consumers with an `erasure` entry. Safe while the
    service runs; run it again if it did not finish (docs/privacy.md)."""


def erase_command(name: str, argument: str, help: str) -> None:
    """Add ``erase NAME ARGUMENT...``: ``argument`` is the ``Erasure`` field it fills."""

    @erase_group.command(name, help=help)
    @click.argument(argument, nargs=-1, required=True)
    @click.option("--dry-run", is_flag=True, help="Count what would be erased; erase nothing.")
    @click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
    @click.pass_obj
    def command(session, dry_run: bool, as_json: bool, **named: tuple[str, ...]) -> None:
        try:
            erasure = Erasure(dry_run=dry_run, **named)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
        erased, progress = Erased(), Progress()
        try:
            session.store.erase(erasure, erased, progress)
        except (redis.RedisError, RedisClusterException) as exc:
            raise click.ClickException(f"the erasure did not finish ({type(exc).__name__}: {exc})"
                                       f"; run the same command again. So far: "
                                       f"{summary(erased, dry_run)}") from None
        finally:
            progress.clear()
        click.echo(json.dumps({"dry_run": dry_run, "calls": len(erased.calls), "keys": erased.keys,
                               "entries": erased.entries, "event_id": erased.event_id})
                   if as_json else summary(erased, dry_run))


erase_command("call", "call_sids", "Erase the calls CALL_SIDS: their keys and every stream entry "
              "naming them.")
erase_command("number", "numbers", "Erase the E.164 NUMBERS wherever they are stored, and every "
              "call they took part in.")
