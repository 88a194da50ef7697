"""The service's log lines: the per-request access line and the current request's fields.

Nothing here logs request bodies or headers: bodies carry phone numbers and headers carry keys.
"""

from __future__ import annotations

import logging
import sys
import time

import click
from flask import g, has_request_context

from .. import logs
from ..logs import json_line

ACCESS_LOGGER = "burki_sip.access"
access_log = logging.getLogger(ACCESS_LOGGER)


def write_access_line(fields: dict) -> None:
    """Write the per-request line to stdout, in the format ``JsonFormatter`` gives every line.

    It skips the logging machinery (record, handlers, formatter), which would cost more than the
    rest of the per-request bookkeeping; callers check ``access_enabled()`` first.
    """
    line = json_line(time.time(), "info", ACCESS_LOGGER, "request", fields) + "\n"
    stream = sys.stdout
    stream.write(line)
    stream.flush()  # one write per line, so lines of concurrent workers never interleave


def access_enabled() -> bool:
    """True when ``LOG_LEVEL`` (or the access logger's own level) lets INFO lines through."""
    return access_log.isEnabledFor(logging.INFO)


class JsonFormatter(logs.JsonFormatter):
    """The JSON line format, with the current request's id and call_sid on app lines."""

    def context_fields(self) -> dict:
        return request_fields() if has_request_context() else {}


def request_fields() -> dict:
    """The request id and, once a view has named it, the call_sid of the current request."""
    fields = {"request_id": g.get("request_id")}
    if g.get("call_sid"):
        fields["call_sid"] = g.call_sid
    return fields


def configure(level: str) -> None:
    """Send every log line of the process to stdout as JSON, at ``level`` and above.

    A command line (``flask``) keeps stdout for its own output, so there the lines go to stderr.
    """
    in_command_line = click.get_current_context(silent=True) is not None
    logs.configure(level, "stderr" if in_command_line else "stdout", JsonFormatter())
