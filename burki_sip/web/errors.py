"""Error types and the handlers that turn every failure into a JSON body with an ``error`` string."""

from __future__ import annotations

import logging

import redis
from flask import Flask, current_app, has_request_context, jsonify, request
from redis.exceptions import RedisClusterException
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, InternalServerError

from ..bridge.errors import BridgeError
from ..calls.events import BacklogFullError
from . import metrics

log = logging.getLogger(__name__)

CALL_SID_REQUIRED = "call_sid required"

# Seconds a client (the bridge retries) should wait before retrying after a 503.
RETRY_AFTER_SECONDS = 1
# ... after a 503 for a full event backlog: consumers need longer than Redis to come back.
BACKLOG_RETRY_AFTER_SECONDS = 10

HTTP_MESSAGES = {
    400: "bad request",
    404: "not found",
    405: "method not allowed",
    413: "request body too large",
    415: "unsupported media type",
    500: "internal server error",
}


class ApiError(Exception):
    """A client-visible error with its HTTP status and, optionally, per-field messages."""

    def __init__(self, message: str, status_code: int = 400, fields: dict | None = None,
                 headers: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.fields = fields
        self.headers = headers or {}


def error_response(message: str, status_code: int, fields: dict | None = None,
                   headers: dict | None = None):
    """Build the JSON error response every handler returns."""
    body = {"error": message}
    if fields:
        body["fields"] = fields
    response = jsonify(body)
    response.status_code = status_code
    response.headers.update(headers or {})
    return response


def validation_message(messages: dict) -> str:
    """One sentence summarising marshmallow's per-field messages."""
    names = ", ".join(sorted(str(name) for name in messages))
    return f"invalid field{'s' if len(messages) > 1 else ''}: {names}"


def handle_api_error(exc: ApiError):
    return error_response(exc.message, exc.status_code, exc.fields, exc.headers)


def handle_bridge_error(exc: BridgeError):
    return error_response(exc.message, exc.status_code)


def handle_validation_error(exc: ValidationError):
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    if CALL_SID_REQUIRED in messages.get("call_sid", ()):
        # docs/contract.md gives this answer exactly, for callers that compare it whole.
        return error_response(CALL_SID_REQUIRED, 400)
    return error_response(validation_message(messages), 400, messages)


def handle_redis_error(exc: redis.RedisError | RedisClusterException):
    metrics.redis_error(exc)
    log.error("redis unavailable: %s: %s", type(exc).__name__, exc)
    return error_response("storage unavailable, retry later", 503,
                          headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def handle_backlog_full(exc: BacklogFullError):
    metrics.backlog_refused(exc.kind)
    log.warning("refused a %s request: %s", exc.kind, exc)
    return error_response(f"{exc}, retry later", 503,
                          headers={"Retry-After": str(BACKLOG_RETRY_AFTER_SECONDS)})


def too_large_message(config) -> str:
    """The 413 message, naming the limit that applies (werkzeug does not say which one hit)."""
    message = HTTP_MESSAGES[413]
    if config.get("MAX_CONTENT_LENGTH"):
        message += f" (limit {config['MAX_CONTENT_LENGTH']} bytes)"
    if has_request_context() and request.mimetype == "multipart/form-data":
        message += (f"; a multipart form may have at most {config.get('MAX_FORM_PARTS')} parts "
                    f"and {config.get('MAX_FORM_MEMORY_SIZE')} bytes per text field")
    return message


def handle_http_exception(exc: HTTPException):
    if isinstance(exc, InternalServerError):
        log.error("unhandled error", exc_info=exc.original_exception or exc)
    code = exc.code or 500
    message = HTTP_MESSAGES.get(code) or (exc.name or "error").lower()
    headers = {}
    if code == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    if code == 413:
        message = too_large_message(current_app.config)
    return error_response(message, code, headers=headers)


def init_app(app: Flask) -> None:
    """Register the JSON error handlers on the app, so routing 404/405s are covered too."""
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(BridgeError, handle_bridge_error)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(redis.RedisError, handle_redis_error)
    app.register_error_handler(BacklogFullError, handle_backlog_full)
    # The cluster client's "no node reachable" is not a RedisError, but means the same.
    app.register_error_handler(RedisClusterException, handle_redis_error)
    app.register_error_handler(HTTPException, handle_http_exception)
