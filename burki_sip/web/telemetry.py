"""Per-request bookkeeping: the request id, the access log line and the request metrics.

One clock read at each end, two metric updates and one log line per request: every route pays
for it, so the benchmark's no-op floor measures it.
"""

from __future__ import annotations

import re
import time
import uuid

from flask import Flask, Response, g, request

from .. import redact
from . import logs, metrics, redaction

REQUEST_ID_HEADER = "X-Request-ID"
# What a caller's (or Heroku's router's) request id may look like; anything else is replaced.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:@+=/-]{1,128}")


def note_call_sid(call_sid: str | None) -> None:
    """Tell the access log which call this request is about (views call this once they know)."""
    if call_sid:
        g.call_sid = call_sid


def note_outcome(**fields) -> None:
    """Add what the request did to its access line (``event_id``, ``applied``, ``duplicate``,
    ``claimed``...), so one call can be followed in the log by its call_sid alone."""
    g.setdefault("outcome", {}).update(fields)


def request_id_of(header: str | None) -> str:
    """The caller's ``X-Request-ID`` when it is a sane token, else a new random one.

    The id is logged, stored with events and sent back, so a configured key or a phone number
    in it is redacted as in any other field (``redact.redact_text``).
    """
    if header and REQUEST_ID_PATTERN.fullmatch(header):
        return redact.redact_text(header, redaction.secrets())
    return str(uuid.uuid4())


def start_request() -> None:
    """Stamp the request with its start time and its id."""
    g.request_started = time.perf_counter()
    g.request_id = request_id_of(request.headers.get(REQUEST_ID_HEADER))


def finish_request(response: Response) -> Response:
    """Count the request, log its one access line and return its id in the response header."""
    started = g.get("request_started")
    seconds = time.perf_counter() - started if started is not None else 0.0
    rule = request.url_rule
    route = rule.rule if rule is not None else metrics.UNMATCHED_ROUTE
    status = response.status_code
    metrics.observe_request(route, request.method, status, seconds)
    request_id = g.get("request_id") or request_id_of(None)
    response.headers[REQUEST_ID_HEADER] = request_id
    if logs.access_enabled():
        fields = {"method": request.method, "path": request.path, "route": route,
                  "status": status, "duration_ms": round(seconds * 1000, 3),
                  "request_id": request_id}
        if g.get("call_sid"):
            fields["call_sid"] = g.call_sid
        for name, value in g.get("outcome", {}).items():
            fields.setdefault(name, value)  # a view's name never hides the request's own fields
        logs.write_access_line(fields)
    return response


def init_app(app: Flask) -> None:
    """Configure JSON logging at ``LOG_LEVEL`` and hook the per-request bookkeeping in.

    Call it before any other ``before_request`` is registered, so the clock starts first.
    """
    logs.configure(app.config["LOG_LEVEL"])
    app.before_request(start_request)
    app.after_request(finish_request)
