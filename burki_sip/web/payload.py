"""Reading request bodies: a JSON object, or a provider's callback.

A callback is a JSON object or a form, or, sent with GET, its query string: jambonz sends its hooks
with GET when configured so, Vonage its answer webhook by default (Twilio, SignalWire and Plivo can
too). Those fields are URL-encoded as a form's body would be, so they are read, detected and
recorded as a form.
"""

from __future__ import annotations

from flask import Request
from werkzeug.datastructures import MultiDict

from ..jsontext import compact_json, strict_loads
from .errors import ApiError

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def json_object(request: Request) -> dict:
    """The body as a JSON object, or an ``ApiError`` (400, or 415 when it is not JSON at all)."""
    if not request.is_json:
        raise ApiError("expected a JSON body (Content-Type: application/json)", 415)
    data = request.get_data(cache=True)
    if not data:
        raise ApiError("request body is empty")
    try:
        value = strict_loads(data)  # NaN and Infinity are refused, as JSON itself does
    except (ValueError, RecursionError) as exc:
        raise ApiError("request body is not valid JSON") from exc
    if not isinstance(value, dict):
        raise ApiError("request body must be a JSON object")
    return value


def flat(fields: MultiDict) -> dict:
    """Form or query fields in their order; a field sent several times keeps all its values."""
    return {name: values[0] if len(values) == 1 else values
            for name, values in fields.to_dict(flat=False).items()}


def callback_body(request: Request) -> tuple[dict, str]:
    """A callback's fields and the media type they are recorded as: 400 when there are none, 413
    past ``MAX_FORM_PARTS``, 415 for a body neither JSON nor a form.

    A HEAD (which Flask routes to every GET view) is refused: it must change nothing, and a
    monitor probing the URL would otherwise record a callback.
    """
    if request.method == "HEAD":
        raise ApiError("HEAD records nothing: send the callback with GET or POST", 405,
                       headers={"Allow": "GET, POST"})
    if request.method == "GET":
        fields, where, media_type = request.args, "query", FORM_TYPES[0]
        if not fields:
            raise ApiError("a GET callback carries its fields in the query string, and it is empty")
    elif request.is_json:
        return json_object(request), request.mimetype
    elif request.mimetype not in FORM_TYPES:
        if not request.content_length and not request.get_data(cache=True):
            raise ApiError("request body is empty")
        raise ApiError("expected a JSON object or a form-encoded body", 415)
    else:
        fields, where, media_type = request.form, "form", request.mimetype
        if not fields:
            raise ApiError("request body is empty")
    # werkzeug counts the parts of a multipart form only: URL-encoded fields are counted here.
    if request.max_form_parts and sum(map(len, fields.listvalues())) > request.max_form_parts:
        raise ApiError(f"{where} has more than {request.max_form_parts} fields", 413)
    return flat(fields), media_type


def signed_text(request: Request) -> bytes:
    """What a GET's body-signing schemes cover: its fields as one JSON object, in their order,
    without whitespace (Vonage's documented rule for a GET's ``payload_hash``; jambonz signs the
    JSON of the same fields)."""
    return compact_json(flat(request.args)).encode("utf-8")
