"""The ``burki-sip`` command line: inspect calls and events with the service's own settings."""

from __future__ import annotations

import json
import logging
import os

import click
import redis
from redis.exceptions import RedisClusterException

from . import config as settings, devredis, logs, parsers
from .bridge.sync import sync_organization_command
from .calls import CallStore, open_store
from .calls.lifecycle import DIAL_FACTS, status_view
from .erase_cli import erase_group
from .events_cli import events_group
from .redact import without_password


class Session:
    """What the commands work on: the call store, opened from the settings on first use."""

    def __init__(self, store: CallStore | None = None) -> None:
        self._store, self.redis_url, self.hint = store, None, ""

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


class Group(click.Group):
    """The command group: a bad setting or an unreachable Redis ends a command with one line."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except settings.SettingError as exc:
            raise click.ClickException(str(exc)) from None
        except (redis.RedisError, RedisClusterException) as exc:
            where = without_password(ctx.obj.redis_url or "") or "the configured Redis"
            raise click.ClickException(f"Redis at {where} failed: {exc}{ctx.obj.hint}") from None


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"],
                                          "max_content_width": 100})
@click.pass_context
def main(ctx: click.Context) -> None:
    """Inspect and erase burki-sip's Redis data and sync organizations to the SIP bridge (reads
    the service's settings: REDIS_*, SIP_*, SIP_BRIDGE_*)."""
    if not isinstance(ctx.obj, Session):
        ctx.obj = Session()
    try:
        level = parsers.log_level(os.environ.get("LOG_LEVEL") or "INFO")
    except ValueError:  # named by the command that loads the settings: --help must still work
        level = "INFO"
    logs.configure(level, "stderr")  # stdout is the commands' own output
    # urllib3's "Retrying (...)" lines concern a command only when debugging it.
    logging.getLogger("urllib3").setLevel(logging.DEBUG if level == "DEBUG" else logging.ERROR)


def render_call(call: dict) -> str:
    """The output of ``burki-sip call`` for a person."""
    lines, status = [f"call {call['call_sid']}"], call["status"]
    if call["context"] is None:
        lines.append("  context: none (never prewarmed, or expired)")
    else:
        owner = (status or {}).get("claimed_by")
        claimed = f", claimed by {owner}" if call["claimed"] else ""
        lines.append(f"  context (expires in {call['context_ttl']} s{claimed}):")
        lines += [f"    {name}: {json.dumps(value, ensure_ascii=False)}"
                  for name, value in call["context"].items()]
    if status is None:
        return "\n".join([*lines, "  status: none (no callback yet)"])
    lines.append(f"  status: {status['status'] or 'none yet'} (kept {status['ttl']} s more)")
    shown = ("sip_code", "reason", "sequence", "duration", *DIAL_FACTS, "handoff")
    lines += [f"    {name}: {status[name]}" for name in shown if name in status]
    lines.append("  timeline:")
    lines += [f"    {at}  {name}" for name, at in status["timeline"].items()]
    return "\n".join(lines)


@main.command("call", short_help="Show the context, TTL, status and timeline of CALL_SID.")
@click.argument("call_sid")
@click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts.")
@click.pass_obj
def call_command(session: Session, call_sid: str, as_json: bool) -> None:
    """Show the context, TTL, status and timeline of CALL_SID."""
    context, context_ttl, claimed = session.store.inspect_context(call_sid)
    state, status_ttl = session.store.load_status(call_sid)
    call = {"call_sid": call_sid, "context": context,
            "context_ttl": context_ttl if context is not None else None, "claimed": claimed,
            "status": status_view(call_sid, state, status_ttl) if state else None}
    if context is None and not state:
        if as_json:
            click.echo(json.dumps(call))
        raise click.ClickException(f"nothing stored for call {call_sid}")
    click.echo(json.dumps(call, ensure_ascii=False) if as_json else render_call(call))


for _command in (events_group, erase_group, sync_organization_command):
    main.add_command(_command)
