"""``burki-sip events``: show and follow the streams, consume them (``--exec``), see the groups."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import asdict
from functools import partial

import click

from . import config as settings
from .calls.backlog import StreamState, stream_states
from .calls.consumer import Consumer
from .calls.delivery import ConsumerSettings
from .calls.events import Event, block_ms_for
from .calls.keys import EVENT_KINDS

STDERR_TAIL_CHARS = 500


class EventsGroup(click.Group):
    """``events KIND ...`` (no subcommand) stays the ``show`` command it always was."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["show", *args]
        return super().parse_args(ctx, args)


@click.group("events", cls=EventsGroup,
             short_help="Show, follow and consume the event streams.")
def events_group() -> None:
    """Show, follow and consume the event streams (`events KIND` shows; see docs/events.md)."""


def render_event(entry_id: str, fields: dict) -> str:
    """One stream entry on one line: id, time, call, status and the payload."""
    status = f" {fields['status']}{'' if fields.get('applied') != 'false' else ' (not applied)'}" \
        if "status" in fields else ""
    return (f"{entry_id} {fields.get('received_at', '-')} {fields.get('call_sid', '-')}{status} "
            f"{fields.get('payload', '')}")


@events_group.command("show", short_help="Print the newest webhook or status events, one per "
                      "line; --follow for new ones.")
@click.argument("kind", type=click.Choice(EVENT_KINDS), default="status")
@click.option("--count", default=20, show_default=True, help="How many of the newest to show.")
@click.option("--call", "call_sid", help="Only this call's events.")
@click.option("--follow", is_flag=True,
              help="Then wait for new events and print them (Ctrl-C ends).")
@click.pass_obj
def show_command(session, kind: str, count: int, call_sid: str | None, follow: bool) -> None:
    """Print the newest webhook or status events, one per line; --follow for new ones."""
    last = "$"
    for last, fields in session.store.newest_events(kind, count, call_sid):
        click.echo(render_event(last, fields))
    if not follow:
        return
    for entry_id, fields in session.store.follow_events(kind, after=last):
        if not call_sid or fields.get("call_sid") == call_sid:
            click.echo(render_event(entry_id, fields))


class HandlerFailedError(Exception):
    """The ``--exec`` command exited with a status other than 0."""


def run_handler(command: str, event: Event) -> None:
    """Run the shell ``command`` once, the event as one JSON line on its stdin.

    Temporary files, not pipes: the event is whole before the command starts, so a consumer killed
    meanwhile leaves it neither an empty nor a cut event, and no SIGPIPE on its stderr.
    """
    with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as stderr:
        stdin.write(json.dumps(event.as_dict(), ensure_ascii=False).encode() + b"\n")
        stdin.seek(0)
        status = subprocess.run(command, shell=True, stdin=stdin, stderr=stderr).returncode
        stderr.seek(0)
        errors = stderr.read().decode(errors="replace")
    sys.stderr.write(errors)
    if status != 0:
        tail = errors.strip()[-STDERR_TAIL_CHARS:]
        raise HandlerFailedError(f"exit status {status}" + (f": {tail}" if tail else ""))


def stop_on_signals():
    """A flag that SIGTERM and Ctrl-C raise: the consumer stops after the event it is handling."""
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: stopping.set())
    return stopping.is_set


@events_group.command("consume")
@click.argument("kind", type=click.Choice(EVENT_KINDS))
@click.option("--group", required=True, help="Consumer group (created when absent).")
@click.option("--consumer", required=True, help="This consumer's name, stable across restarts.")
@click.option("--exec", "command", required=True, help="Shell command run once per event, the "
              "event as JSON on stdin; exit status 0 acknowledges it.")
@click.option("--max-deliveries", default=5, show_default=True, type=click.IntRange(min=1),
              help="Failed deliveries before an event goes to the dead-letter stream.")
@click.option("--retry-delay", default=2.0, show_default=True, type=click.FloatRange(0.05, 5),
              help="Seconds before a failed event is run again.")
@click.option("--claim-idle", default=ConsumerSettings.claim_idle, show_default=True,
              type=click.FloatRange(0, min_open=True),
              help="Seconds an event may stay unacknowledged by its consumer before another "
              "consumer of the group takes it over (a consumer that died).")
@click.option("--from-start/--from-now", default=False, show_default=True,
              help="Where a new group starts: every kept entry, or only new ones.")
@click.pass_obj
def consume_command(session, kind: str, group: str, consumer: str, command: str,
                    **options) -> None:
    """Run COMMAND for each KIND event, at least once; SIGTERM/Ctrl-C stop after the current one."""
    store = session.store
    consumer_settings = ConsumerSettings.from_config(settings.load(), kind, group, consumer,
                                                     block_ms=block_ms_for(store.client), **options)
    Consumer(store.client, store.keys, consumer_settings).run(partial(run_handler, command),
                                                             stop_on_signals())


@events_group.command("groups")
@click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts.")
@click.pass_obj
def groups_command(session, as_json: bool) -> None:
    """Each stream's consumer groups: unacknowledged, pending, oldest age, dead-lettered."""
    states = stream_states(session.store.client, session.store.keys)
    click.echo(json.dumps([asdict(state) for state in states]) if as_json else render(states))


def render(states: list[StreamState]) -> str:
    """``burki-sip events groups`` for a person: a line per stream, then one per group."""
    lines = []
    for state in states:
        lines.append(f"{state.kind}: {state.length} entries, {state.dead_letters} dead-lettered, "
                     f"{len(state.groups)} group(s)")
        for g in state.groups:
            age = "-" if g.oldest_age_seconds is None else f"{g.oldest_age_seconds:.1f} s"
            lag = "unknown" if g.lag is None else g.lag
            lines.append(f"  {g.group}: {g.unacknowledged} unacknowledged ({g.pending} pending, "
                         f"{lag} not delivered), oldest {age} old, {g.consumers} consumer(s)")
    return "\n".join(lines)
