"""The ``burki-sip`` command line: inspect calls and events with the service's own settings."""

from __future__ import annotations

import json
import logging
import os

import click
import redis
from redis.exceptions import RedisClusterException

from . import config as settings, devredis, logs
from .bridge.sync import sync_organization_command
from .calls import CallStore, open_store
from .calls.keys import EVENT_KINDS
from .calls.lifecycle import DIAL_FACTS, status_view
from .erase_cli import erase_group
from .events_cli import events_group

# -h as well as --help, and summaries as long as a wide terminal allows.
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
# Loggers whose lines concern a command only when debugging it (urllib3's "Retrying (...)").
CHATTY_LIBRARIES = ("urllib3",)


class Session:
    """What the commands work on: the call store, opened from the settings on first use."""

    def __init__(self, store: CallStore | None = None) -> None:
        self._store = store
        self.redis_url: str | None = None
        self.hint = ""

    @property
    def store(self) -> CallStore:
        """The store of ``REDIS_URL``, else of the development server ``make run`` started here."""
        if self._store is None:
            settings.load(os.environ)  # a bad setting is named before a missing REDIS_URL
            try:
                environ = devredis.url_for_cli(os.environ)
                self.redis_url = environ.get("REDIS_URL")
                if not os.environ.get("REDIS_URL") and self.redis_url:
                    self.hint = f" (read from {devredis.RUNTIME_FILE}: is `make run` running?)"
                self._store = open_store(environ)
            except ValueError as exc:  # no Redis named at all, or a Cluster without a node
                raise settings.SettingError(str(exc)) from None
        return self._store


def log_level(environ) -> str:
    """``LOG_LEVEL`` when valid, else INFO: a bad value is reported by the command that loads
    the settings, and must not stop ``--help``."""
    try:
        return settings.BY_NAME["LOG_LEVEL"].parse(environ.get("LOG_LEVEL") or "INFO")
    except ValueError:
        return "INFO"


class Group(click.Group):
    """The command group: a bad setting or an unreachable Redis ends a command with one line."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except settings.SettingError as exc:
            raise click.ClickException(str(exc)) from None
        except (redis.RedisError, RedisClusterException) as exc:
            where = settings.without_password(ctx.obj.redis_url or "") or "the configured Redis"
            raise click.ClickException(f"Redis at {where} failed: {exc}{ctx.obj.hint}") from None


@click.group(cls=Group, context_settings=CONTEXT_SETTINGS)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Inspect and erase burki-sip's Redis data and sync organizations to the SIP bridge (reads
    the service's settings: REDIS_*, SIP_*, SIP_BRIDGE_*)."""
    if not isinstance(ctx.obj, Session):
        ctx.obj = Session()
    # stdout is the commands' own output: log lines go to stderr.
    level = log_level(os.environ)
    logs.configure(level, "stderr")
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG if level == "DEBUG" else logging.ERROR)


def describe_call(store: CallStore, call_sid: str) -> dict:
    """Everything stored about one call: context, its TTL and claim, and the status view (whose
    timeline has the claim's time)."""
    context, context_ttl, claimed = store.inspect_context(call_sid)
    state, status_ttl = store.load_status(call_sid)
    return {
        "call_sid": call_sid,
        "context": context,
        "context_ttl": context_ttl if context is not None else None,
        "claimed": claimed,
        "status": status_view(call_sid, state, status_ttl) if state else None,
    }


def render_call(call: dict) -> str:
    """The output of ``burki-sip call`` for a person."""
    lines = [f"call {call['call_sid']}"]
    if call["context"] is None:
        lines.append("  context: none (never prewarmed, or expired)")
    else:
        owner = (call["status"] or {}).get("claimed_by")
        claimed = f", claimed by {owner}" if call["claimed"] else ""
        lines.append(f"  context (expires in {call['context_ttl']} s{claimed}):")
        lines += [f"    {name}: {json.dumps(value, ensure_ascii=False)}"
                  for name, value in call["context"].items()]
    status = call["status"]
    if status is None:
        lines.append("  status: none (no callback yet)")
        return "\n".join(lines)
    lines.append(f"  status: {status['status'] or 'none yet'} (kept {status['ttl']} s more)")
    shown = ("sip_code", "reason", "sequence", "duration", *DIAL_FACTS)
    lines += [f"    {name}: {status[name]}" for name in shown if name in status]
    lines.append("  timeline:")
    lines += [f"    {at}  {name}" for name, at in status["timeline"].items()]
    return "\n".join(lines)


@click.command("call", short_help="Show the context, TTL, status and timeline of CALL_SID.")
@click.argument("call_sid")
@click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts.")
@click.pass_obj
def call_command(session: Session, call_sid: str, as_json: bool) -> None:
    """Show the context, TTL, status and timeline of CALL_SID."""
    call = describe_call(session.store, call_sid)
    if call["context"] is None and call["status"] is None:
        if as_json:
            click.echo(json.dumps(call))
        raise click.ClickException(f"nothing stored for call {call_sid}")
    click.echo(json.dumps(call, ensure_ascii=False) if as_json else render_call(call))


def render_event(entry_id: str, fields: dict) -> str:
    """One stream entry on one line: id, time, call, status and the payload."""
    status = f" {fields['status']}{'' if fields.get('applied') != 'false' else ' (not applied)'}" \
        if "status" in fields else ""
    return (f"{entry_id} {fields.get('received_at', '-')} {fields.get('call_sid', '-')}{status} "
            f"{fields.get('payload', '')}")


@click.command("events", short_help="Print the newest webhook or status events, one per line; "
               "--follow for new ones.")
@click.argument("kind", type=click.Choice(EVENT_KINDS), default="status")
@click.option("--count", default=20, show_default=True, help="How many of the newest to show.")
@click.option("--call", "call_sid", help="Only this call's events.")
@click.option("--follow", is_flag=True, help="Then wait for new events and print them (Ctrl-C ends).")
@click.pass_obj
def events_command(session: Session, kind: str, count: int, call_sid: str | None,
                   follow: bool) -> None:
    """Print the newest webhook or status events, one per line; --follow for new ones."""
    store = session.store
    last = "$"
    for entry_id, fields in store.newest_events(kind, count, call_sid):
        click.echo(render_event(entry_id, fields))
        last = entry_id
    if not follow:
        return
    for entry_id, fields in store.follow_events(kind, after=last):
        if not call_sid or fields.get("call_sid") == call_sid:
            click.echo(render_event(entry_id, fields))


COMMANDS = (call_command, events_group(events_command), erase_group, sync_organization_command)

for _command in COMMANDS:
    main.add_command(_command)

