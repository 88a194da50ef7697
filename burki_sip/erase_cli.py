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


class Progress:
    """The erasure's progress on one line of stderr, rewritten in place; only on a terminal."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.shown = self.stream.isatty()
        self.last, self.width = 0.0, 0

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if not self.shown or now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        self._write(f"{stage}: {done:,}" + (f" of {total:,}" if total is not None else ""))

    def clear(self) -> None:
        """Remove the progress line before the result is printed."""
        if self.shown and self.width:
            self._write("")

    def _write(self, text: str) -> None:
        self.stream.write("\r" + text.ljust(self.width) + ("\r" if not text else ""))
        self.stream.flush()
        self.width = len(text)


def summary(erased: Erased, dry_run: bool) -> str:
    """What was erased, in counts (never a number)."""
    streams = ", ".join(f"{stream} {count}" for stream, count in erased.entries.items())
    text = (f"{'would erase' if dry_run else 'erased'} {len(erased.calls)} call(s): "
            f"{erased.keys} key(s), {sum(erased.entries.values())} stream entries ({streams})")
    if erased.event_id:
        text += f"; erasure entry {erased.event_id} appended to the status stream"
    return text


def run(session, erasure: Erasure, as_json: bool) -> None:
    """Run ``erasure``; print what it erased; on failure say so and exit non-zero."""
    erased, progress = Erased(), Progress()
    try:
        session.store.erase(erasure, erased, progress)
    except (redis.RedisError, RedisClusterException) as exc:
        progress.clear()
        raise click.ClickException(f"the erasure did not finish ({type(exc).__name__}: {exc}); "
                                   f"run the same command again. So far: "
                                   f"{summary(erased, erasure.dry_run)}") from None
    progress.clear()
    if as_json:
        click.echo(json.dumps({"dry_run": erasure.dry_run, "calls": len(erased.calls),
                               "keys": erased.keys, "entries": erased.entries,
                               "event_id": erased.event_id}))
    else:
        click.echo(summary(erased, erasure.dry_run))


def _erasure(**named) -> Erasure:
    try:
        return Erasure(**named)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


DRY_RUN = click.option("--dry-run", is_flag=True, help="Count what would be erased; erase nothing.")
AS_JSON = click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")


@click.group("erase", short_help="Erase calls, or a caller's numbers and every call they took "
             "part in (docs/privacy.md).")
def erase_group() -> None:
    """Erase calls, or a caller's numbers and every call they took part in, from every key and
    stream entry (dead letters too); then tell consumers with an `erasure` entry. Safe while the
    service runs; run it again if it did not finish (docs/privacy.md)."""


@erase_group.command("call")
@click.argument("call_sids", nargs=-1, required=True)
@DRY_RUN
@AS_JSON
@click.pass_obj
def erase_call(session, call_sids: tuple[str, ...], dry_run: bool, as_json: bool) -> None:
    """Erase the calls CALL_SIDS: their keys and every stream entry naming them."""
    run(session, _erasure(call_sids=call_sids, dry_run=dry_run), as_json)


@erase_group.command("number")
@click.argument("numbers", nargs=-1, required=True)
@DRY_RUN
@AS_JSON
@click.pass_obj
def erase_number(session, numbers: tuple[str, ...], dry_run: bool, as_json: bool) -> None:
    """Erase the E.164 NUMBERS wherever they are stored, and every call they took part in."""
    run(session, _erasure(numbers=numbers, dry_run=dry_run), as_json)
