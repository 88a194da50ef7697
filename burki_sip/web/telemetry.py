"""Per-request bookkeeping: the request id, the access log line and the request metrics.

Every route pays for it, so the benchmark's no-op floor measures it. Nothing here logs request
bodies or headers: bodies carry phone numbers and headers carry keys. What a caller chose (the
method, the path, the request id, the call_sid, a claim's owner) is redacted as any log text is.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
import time
import uuid

import click
from flask import Flask, Response, g, has_request_context, request

from .. import logs, redact
from . import metrics, redaction

REQUEST_ID_HEADER = "X-Request-ID"
# What a caller's (or Heroku's router's) request id may look like; anything else is replaced.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:@+=/-]{1,128}")
ACCESS_LOGGER = "burki_sip.access"
# The outcome fields a caller chose; the others are the service's own words (ids, statuses).
CALLER_OUTCOMES = frozenset({"owner"})
access_log = logging.getLogger(ACCESS_LOGGER)


def note_call_sid(call_sid: str | None) -> None:
    """Tell the access log which call this request is about (views call this once they know)."""
    if call_sid:
        g.call_sid = call_sid


def note_outcome(**fields) -> None:
    """Add what the request did to its access line (``event_id``, ``applied``, ``duplicate``,
    ``claimed``...), so one call can be followed in the log by its call_sid alone."""
    g.setdefault("outcome", {}).update(fields)


def request_id_of(header: str | None) -> str:
    """The caller's ``X-Request-ID`` when it is a sane token, else a new random one; logged,
    stored with events and sent back, it is redacted as any other field."""
    if header and REQUEST_ID_PATTERN.fullmatch(header):
        return redact.redact_text(header, redaction.secrets())
    return str(uuid.uuid4())


def redacted(value):
    """A string a caller chose, as a log may show it: the app's secrets and numbers hidden."""
    return _redacted_text(value, redaction.secrets()) if isinstance(value, str) else value


# The hot routes' paths, and a call's call_sid, come again and again: each is redacted once.
_redacted_text = functools.lru_cache(maxsize=4096)(redact.redact_text)


def request_fields() -> dict:
    """The request id and, once a view has named it, the call_sid of the current request."""
    if not has_request_context():
        return {}
    fields = {"request_id": g.get("request_id")}
    if g.get("call_sid"):
        fields["call_sid"] = redacted(g.call_sid)
    return fields


def start_request() -> None:
    """Stamp the request with its start time and its id."""
    g.request_started = time.perf_counter()
    g.request_id = request_id_of(request.headers.get(REQUEST_ID_HEADER))


def finish_request(response: Response) -> Response:
    """Count the request, log its one access line and return its id in the response header."""
    seconds = time.perf_counter() - g.get("request_started", time.perf_counter())
    route = request.url_rule.rule if request.url_rule else metrics.UNMATCHED_ROUTE
    metrics.observe_request(route, request.method, response.status_code, seconds)
    g.request_id = g.get("request_id") or request_id_of(None)
    response.headers[REQUEST_ID_HEADER] = g.request_id
    if access_log.isEnabledFor(logging.INFO):
        fields = {"method": redacted(request.method), "path": redacted(request.path),
                  "route": route, "status": response.status_code,
                  "duration_ms": round(seconds * 1000, 3),
                  **request_fields()}
        for name, value in g.get("outcome", {}).items():
            # A view's name never hides the request's own fields.
            fields.setdefault(name, redacted(value) if name in CALLER_OUTCOMES else value)
        # Written directly, in JsonFormatter's format: logging's record, handlers and filter
        # would cost more than the rest of this bookkeeping (docs/PERFORMANCE.md), so the text a
        # caller chose is redacted above. One write per line, flushed, so the lines of
        # concurrent workers never interleave.
        sys.stdout.write(logs.json_line(time.time(), "info", ACCESS_LOGGER, "request", fields)
                         + "\n")
        sys.stdout.flush()
    return response


def init_app(app: Flask) -> None:
    """Log JSON lines at ``LOG_LEVEL`` and hook the per-request bookkeeping in.

    Call it before any other ``before_request`` is registered, so the clock starts first. A command
    line (``flask``) keeps stdout for its own output, so there the lines go to stderr.
    """
    in_command_line = click.get_current_context(silent=True) is not None
    logs.configure(app.config["LOG_LEVEL"], "stderr" if in_command_line else "stdout",
                   logs.JsonFormatter(request_fields))
    app.before_request(start_request)
    app.after_request(finish_request)
