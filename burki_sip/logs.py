"""Logging as one JSON object per line on stdout, for the app's lines and the per-request line.

Nothing here logs request bodies or headers: bodies carry phone numbers and headers carry keys.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import datetime, timezone

import click
from flask import g, has_request_context
from gunicorn import glogging

ACCESS_LOGGER = "burki_sip.access"
access_log = logging.getLogger(ACCESS_LOGGER)

# The per-request fields passed in ``extra={"fields": ...}``; app lines may pass them too.
FIELDS_ATTRIBUTE = "fields"


def timestamp(seconds: float) -> str:
    """``seconds`` since the epoch as ISO 8601 UTC with milliseconds, e.g. ``...T12:00:00.000Z``."""
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def json_line(created: float, level: str, logger: str, message: str, fields: dict) -> str:
    """One log line: time, level, logger and message, then ``fields``, as a JSON object."""
    line = {"time": timestamp(created), "level": level, "logger": logger, "message": message}
    line.update(fields)
    return json.dumps(line, ensure_ascii=False, default=str)


def write_access_line(fields: dict) -> None:
    """Write the per-request line to stdout, in the format ``JsonFormatter`` gives every line.

    It skips the logging machinery (record, handlers, formatter), which would cost more than the
    rest of the per-request bookkeeping; callers check ``access_enabled()`` first.
    """
    stream = sys.stdout
    stream.write(json_line(time.time(), "info", ACCESS_LOGGER, "request", fields) + "\n")
    stream.flush()  # one write per line, so lines of concurrent workers never interleave


def access_enabled() -> bool:
    """True when ``LOG_LEVEL`` (or the access logger's own level) lets INFO lines through."""
    return access_log.isEnabledFor(logging.INFO)


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message, then its fields."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, FIELDS_ATTRIBUTE, None)
        if not fields:
            fields = request_fields() if has_request_context() else {}
        if record.exc_info:
            # exc_text first: burki_sip.redact's filter leaves the traceback there, redacted.
            text = record.exc_text or self.formatException(record.exc_info)
            fields = {**fields, "exception": text}
        return json_line(record.created, record.levelname.lower(), record.name,
                         record.getMessage(), fields)


def request_fields() -> dict:
    """The request id and, once a view has named it, the call_sid of the current request."""
    fields = {"request_id": g.get("request_id")}
    if g.get("call_sid"):
        fields["call_sid"] = g.call_sid
    return fields


class ConsoleHandler(logging.StreamHandler):
    """Writes JSON lines to whatever ``sys.stdout`` (or ``sys.stderr``) is at the time of each
    line: pytest and click's test runner swap them."""

    def __init__(self, stream_name: str = "stdout") -> None:
        self.stream_name = stream_name
        super().__init__()
        self.setFormatter(JsonFormatter())

    @property
    def stream(self):
        return getattr(sys, self.stream_name)

    @stream.setter
    def stream(self, value) -> None:
        pass  # StreamHandler.__init__ assigns one; the property always looks it up


def configure(level: str) -> None:
    """Send every log line of the process to stdout as JSON, at ``level`` and above.

    A command line (``burki-sip``, ``flask``) keeps stdout for its own output, so there the lines
    go to stderr. The handler goes on the root logger so library lines (redis-py, werkzeug) are
    JSON too; one installed by an earlier call is replaced, so several apps log each line once.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, ConsoleHandler)]:
        root.removeHandler(handler)
    in_command_line = click.get_current_context(silent=True) is not None
    root.addHandler(ConsoleHandler("stderr" if in_command_line else "stdout"))
    root.setLevel(level)


class GunicornLogger(glogging.Logger):
    """gunicorn's own lines (boot, worker exits) in the same JSON format (``logger_class``)."""

    def setup(self, cfg) -> None:
        """Let gunicorn set up its handlers, then give them the JSON formatter."""
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())
