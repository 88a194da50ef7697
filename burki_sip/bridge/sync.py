"""``burki-sip sync-organization``: validate an organization config and send it to the bridge."""

from __future__ import annotations

import json
import logging
from typing import IO, Any

import click

from .. import config as settings, parsers
from ..jsontext import strict_loads
from ..redact import SECRET_NAME
from . import BACKOFF, CONNECT_TIMEOUT, READ_TIMEOUT, RETRIES, BridgeError

# The client (requests, prometheus_client) and the schema (marshmallow) are imported when the
# command runs: `burki-sip --help` and the other commands need neither.
MASK = "********"


class InvalidConfigError(click.ClickException):
    """The organization config is not JSON, or not a valid config: exit status 2."""

    exit_code = 2


class Parsed(click.ParamType):
    """An option read by one of the settings' parsers, so it refuses what they refuse."""

    def __init__(self, parse, name: str) -> None:
        self.parse, self.name = parse, name

    def convert(self, value, param, ctx):
        try:
            return self.parse(value)
        except ValueError as exc:
            self.fail(f"{value!r} is invalid: {exc}; expected {self.parse.accepts}", param, ctx)


def masked(value: Any) -> Any:
    """A copy of ``value`` whose password-like fields, at any depth, read ``********``."""
    if isinstance(value, dict):
        return {key: MASK if SECRET_NAME.search(str(key)) and item is not None else masked(item)
                for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


def load_config(file: IO[str]) -> dict:
    """Read and validate the config in ``file``; ``InvalidConfigError`` says what is wrong."""
    try:
        config = strict_loads(file.read())
    except ValueError as exc:  # bad JSON, or bytes that are not UTF-8
        raise InvalidConfigError(f"{file.name} is not valid JSON: {exc}") from exc
    from marshmallow import ValidationError

    from .organization import validate_organization

    try:
        return validate_organization(config)
    except ValidationError as exc:
        lines = [f"  {path}: {' '.join(texts)}" for path, texts in exc.messages.items()]
        raise InvalidConfigError("\n".join([f"invalid organization config in {file.name}:",
                                            *lines])) from exc


def show(value: Any) -> None:
    """Print ``value`` as indented JSON with sorted keys, as the bridge receives it."""
    click.echo(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))


@click.command("sync-organization",
               short_help="Validate an organization config (FILE, or - for stdin) and sync it "
                          "to the bridge.")
@click.argument("config_file", metavar="FILE", type=click.File("r", encoding="utf-8"))
@click.option("--dry-run", is_flag=True,
              help="Validate and print what would be sent (passwords masked); send nothing.")
@click.option("--connect-timeout", type=Parsed(parsers.seconds, "seconds"), default=CONNECT_TIMEOUT,
              show_default=True, help="Seconds to wait for a connection, per attempt.")
@click.option("--read-timeout", type=Parsed(parsers.seconds, "seconds"), default=READ_TIMEOUT,
              show_default=True, help="Seconds to wait for the bridge to answer (between bytes), "
              "per attempt.")
@click.option("--retries", type=Parsed(parsers.non_negative_int, "count"), default=RETRIES,
              show_default=True, help="Retries after the first attempt on connection errors, "
              "timeouts, 429 and 502/503/504.")
@click.option("--backoff", type=Parsed(parsers.non_negative_float, "seconds"), default=BACKOFF,
              show_default=True, help="Backoff factor in seconds: retries wait 0, 2x, 4x, ... "
              "it, plus up to 1x of jitter (a Retry-After from the bridge wins).")
def sync_organization_command(config_file: IO[str], dry_run: bool, **options: float) -> None:
    """Validate the organization config in FILE (- for standard input) and sync it to the bridge.

    Prints the bridge's answer. Exit status: 0 synced (or valid, with --dry-run), 2 the config
    is invalid, 1 the bridge failed or SIP_BRIDGE_URL/SIP_BRIDGE_API_KEY are not set.
    """
    config = load_config(config_file)
    environment = settings.load()
    if dry_run:
        show(masked(config))
        target = environment.get("SIP_BRIDGE_URL") or "SIP_BRIDGE_URL, which is not set"
        click.echo(f"dry run: the config is valid; nothing was sent to {target}", err=True)
        return
    from .client import BridgeClient, log

    level = log.level  # the client's failure warning is this command's error: said once
    log.setLevel(logging.ERROR)
    try:
        with BridgeClient.from_config(environment, **options) as client:
            answer = client.sync_organization(config)
    except BridgeError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        log.setLevel(level)
    show(answer)
