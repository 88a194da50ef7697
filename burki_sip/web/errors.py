"""Error types and the handlers that turn every failure into a JSON body with an ``error`` string."""

from __future__ import annotations

import logging

import redis
from flask import Flask, current_app, jsonify, request
from redis.exceptions import RedisClusterException
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, InternalServerError

from ..bridge import BridgeError
from ..calls.events import BacklogFullError
from . import metrics

log = logging.getLogger(__name__)

CALL_SID_REQUIRED = "call_sid required"

# Seconds a client (the bridge retries) should wait before retrying after a 503.
RETRY_AFTER_SECONDS = 1
# ... after a 503 for a full event backlog: consumers need longer than Redis to come back.
BACKLOG_RETRY_AFTER_SECONDS = 10


class ApiError(Exception):
    """A client-visible error with its HTTP status and, optionally, per-field messages."""

    def __init__(self, message: str, status_code: int = 400, fields: dict | None = None,
                 headers: dict | None = None) -> None:
        super().__init__(message)
        self.message, self.status_code, self.fields = message, status_code, fields
        self.headers = headers or {}


def error_response(message: str, status_code: int, fields: dict | None = None,
                   headers: dict | None = None):
    """Build the JSON error response every handler returns."""
    body = {"error": message, **({"fields": fields} if fields else {})}
    return jsonify(body), status_code, headers or {}


def handle_api_error(exc: ApiError | BridgeError):
    return error_response(exc.message, exc.status_code, getattr(exc, "fields", None),
                          getattr(exc, "headers", None))


def handle_validation_error(exc: ValidationError):
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    if CALL_SID_REQUIRED in messages.get("call_sid", ()):
        # docs/contract.md gives this answer exactly, for callers that compare it whole.
        return error_response(CALL_SID_REQUIRED, 400)
    names = ", ".join(sorted(map(str, messages)))
    return error_response(f"invalid field{'s' if len(messages) > 1 else ''}: {names}", 400,
                          messages)


def handle_redis_error(exc: redis.RedisError | RedisClusterException):
    metrics.REDIS_ERRORS.labels(type(exc).__name__).inc()
    log.error("redis unavailable: %s: %s", type(exc).__name__, exc)
    return error_response("storage unavailable, retry later", 503,
                          headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def handle_backlog_full(exc: BacklogFullError):
    metrics.REFUSED.labels(exc.kind).inc()
    log.warning("refused a %s request: %s", exc.kind, exc)
    return error_response(f"{exc}, retry later", 503,
                          headers={"Retry-After": str(BACKLOG_RETRY_AFTER_SECONDS)})


def handle_http_exception(exc: HTTPException):
    """werkzeug's error, in the JSON shape: its name as the message, ``Allow`` on a 405."""
    if isinstance(exc, InternalServerError):
        log.error("unhandled error", exc_info=exc.original_exception or exc)
    headers = {"Allow": ", ".join(exc.valid_methods)} if getattr(exc, "valid_methods", None) \
        else {}
    message = exc.name.lower()
    if exc.code == 413:  # werkzeug does not say which limit was hit: name them
        config = current_app.config
        message = f"request body too large (limit {config['MAX_CONTENT_LENGTH']} bytes)"
        if request.mimetype == "multipart/form-data":
            message += (f"; a multipart form may have at most {config['MAX_FORM_PARTS']} parts "
                        f"and {config['MAX_FORM_MEMORY_SIZE']} bytes per text field")
    return error_response(message, exc.code or 500, headers=headers)


def init_app(app: Flask) -> None:
    """Register the JSON error handlers on the app, so routing 404/405s are covered too."""
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(BridgeError, handle_api_error)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(redis.RedisError, handle_redis_error)
    app.register_error_handler(BacklogFullError, handle_backlog_full)
    # The cluster client's "no node reachable" is not a RedisError, but means the same.
    app.register_error_handler(RedisClusterException, handle_redis_error)
    app.register_error_handler(HTTPException, handle_http_exception)
