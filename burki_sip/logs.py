"""Logging as one JSON object per line on stdout, for the app's lines and the per-request line.

Nothing here logs request bodies or headers: bodies carry phone numbers and headers carry keys.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

from flask import g, has_request_context
from gunicorn import glogging

ACCESS_LOGGER = "burki_sip.access"

# The per-request fields passed in ``extra={"fields": ...}``; app lines may pass them too.
FIELDS_ATTRIBUTE = "fields"


def timestamp(seconds: float) -> str:
    """``seconds`` since the epoch as ISO 8601 UTC with milliseconds, e.g. ``...T12:00:00.000Z``."""
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message, then its fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": timestamp(record.created), "level": record.levelname.lower(),
                "logger": record.name, "message": record.getMessage()}
        fields = getattr(record, FIELDS_ATTRIBUTE, None)
        if fields:
            line.update(fields)
        elif has_request_context():
            line.update(request_fields())
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def request_fields() -> dict:
    """The request id and, once a view has named it, the call_sid of the current request."""
    fields = {"request_id": g.get("request_id")}
    if g.get("call_sid"):
        fields["call_sid"] = g.call_sid
    return fields


class StdoutHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is at the time (pytest swaps it per test)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)
        self.setFormatter(JsonFormatter())

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value) -> None:
        pass  # always sys.stdout; StreamHandler.__init__ assigns it


def configure(level: str) -> None:
    """Send every log line of the process to stdout as JSON, at ``level`` and above.

    The handler goes on the root logger so library lines (redis-py, werkzeug) are JSON too; a
    handler installed by an earlier call is replaced, so building several apps logs each line once.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, StdoutHandler)]:
        root.removeHandler(handler)
    root.addHandler(StdoutHandler())
    root.setLevel(level)


class GunicornLogger(glogging.Logger):
    """gunicorn's own lines (boot, worker exits) in the same JSON format (``logger_class``)."""

    def setup(self, cfg) -> None:
        """Let gunicorn set up its handlers, then give them the JSON formatter."""
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())
