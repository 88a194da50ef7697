"""The ``burki-sip`` command line: inspect calls and events with the service's own settings."""

from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import with_appcontext

from .store import get_store
from .sync import sync_organization_command


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Inspect burki-sip's Redis data and sync organizations to the SIP bridge (reads the
    service's settings: REDIS_*, SIP_BRIDGE_*)."""
    from . import create_app  # the app imports this module, so import it only when run

    ctx.with_resource(create_app().app_context())


@click.command("call")
@click.argument("call_sid")
@with_appcontext
def call_command(call_sid: str) -> None:
    """Show the prewarmed context of CALL_SID."""
    context = get_store().load_context(call_sid)
    if context is None:
        raise click.ClickException(f"no context for call {call_sid} (never prewarmed, or expired)")
    click.echo(json.dumps(context, indent=2, ensure_ascii=False))


COMMANDS = (call_command, sync_organization_command)

for _command in COMMANDS:
    main.add_command(_command)


def init_app(app: Flask) -> None:
    """Make the same commands available as ``flask --app burki_sip <command>``."""
    for command in COMMANDS:
        app.cli.add_command(command)
