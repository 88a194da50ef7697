"""Log lines as one JSON object per line, for every process: service, CLI and consumers."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone


def timestamp(seconds: float) -> str:
    """``seconds`` since the epoch as ISO 8601 UTC with milliseconds, e.g. ``...T12:00:00.000Z``."""
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def json_line(created: float, level: str, logger: str, message: str, fields: dict) -> str:
    """One log line: time, level, logger and message, then ``fields``, as a JSON object."""
    line = {"time": timestamp(created), "level": level, "logger": logger, "message": message}
    line.update(fields)
    return _LINE_ENCODER.encode(line)


# json.dumps with options builds a new encoder for every call; one line per request reuses this.
_LINE_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)


# The per-line fields passed in ``extra={"fields": ...}``.
FIELDS_ATTRIBUTE = "fields"


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message, then its fields."""

    def context_fields(self) -> dict:
        """Fields of the surrounding context (a request) for a record that brings none."""
        return {}

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, FIELDS_ATTRIBUTE, None) or self.context_fields()
        if record.exc_info:
            # exc_text first: burki_sip.redact's filter leaves the traceback there, redacted.
            text = record.exc_text or self.formatException(record.exc_info)
            fields = {**fields, "exception": text}
        return json_line(record.created, record.levelname.lower(), record.name,
                         record.getMessage(), fields)


class ConsoleHandler(logging.StreamHandler):
    """Writes JSON lines to whatever ``sys.stdout`` (or ``sys.stderr``) is at the time of each
    line: pytest and click's test runner swap them."""

    def __init__(self, stream_name: str = "stdout",
                 formatter: logging.Formatter | None = None) -> None:
        self.stream_name = stream_name
        super().__init__()
        self.setFormatter(formatter or JsonFormatter())

    @property
    def stream(self):
        return getattr(sys, self.stream_name)

    @stream.setter
    def stream(self, value) -> None:
        pass  # StreamHandler.__init__ assigns one; the property always looks it up


def configure(level: str, stream_name: str = "stdout",
              formatter: logging.Formatter | None = None) -> None:
    """Send every log line of the process to ``stream_name`` as JSON, at ``level`` and above.

    The handler goes on the root logger so library lines (redis-py, werkzeug) are JSON too; one
    installed by an earlier call is replaced, so several apps log each line once.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, ConsoleHandler)]:
        root.removeHandler(handler)
    root.addHandler(ConsoleHandler(stream_name, formatter))
    root.setLevel(level)

