"""Log lines as one JSON object per line, for every process: service, CLI and consumers."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from typing import Callable

# json.dumps with options builds a new encoder for every call; one line per request reuses this.
_LINE_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)


def json_line(created: float, level: str, logger: str, message: str, fields: dict) -> str:
    """One log line: time (ISO 8601 UTC, milliseconds), level, logger, message, then ``fields``."""
    moment = datetime.fromtimestamp(created, timezone.utc).isoformat(timespec="milliseconds")
    return _LINE_ENCODER.encode({"time": moment.replace("+00:00", "Z"), "level": level,
                                 "logger": logger, "message": message, **fields})


class JsonFormatter(logging.Formatter):
    """A record as one JSON line with its ``fields`` (``extra={"fields": ...}``) or
    ``context()``'s."""

    def __init__(self, context: Callable[[], dict] = dict) -> None:
        super().__init__()
        self.context = context

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None) or self.context()
        if record.exc_info:
            # exc_text first: burki_sip.redact's filter leaves the traceback there, redacted.
            text = record.exc_text or self.formatException(record.exc_info)
            fields = {**fields, "exception": text}
        return json_line(record.created, record.levelname.lower(), record.name,
                         record.getMessage(), fields)


class ConsoleHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` (or ``stderr``) is at each line: test runners swap them."""

    def __init__(self, stream_name: str = "stdout",
                 formatter: logging.Formatter | None = None) -> None:
        super().__init__(getattr(sys, stream_name))
        self.stream_name = stream_name
        self.setFormatter(formatter or JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = getattr(sys, self.stream_name)  # under the handler's lock, as emit runs
        super().emit(record)


def configure(level: str, stream_name: str = "stdout",
              formatter: logging.Formatter | None = None) -> None:
    """Send every log line of the process (libraries' too) to ``stream_name`` as JSON, once."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, ConsoleHandler)]:
        root.removeHandler(handler)
    root.addHandler(ConsoleHandler(stream_name, formatter))
    root.setLevel(level)
