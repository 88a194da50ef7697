"""Callbacks sent with GET: their fields are the URL's query string, not a body.

jambonz sends its hooks with GET when configured so, Vonage its answer webhook by default and its
event webhook when ``event_method`` is GET (Twilio, SignalWire and Plivo can too). The fields are
URL-encoded as a form's body would be, so they are read, detected and recorded as a form.
"""

from __future__ import annotations

from flask import Request

from ..jsontext import compact_json
from .errors import ApiError

# What a GET's fields are recorded as: URL-encoded name=value pairs, as a form's.
CONTENT_TYPE = "application/x-www-form-urlencoded"


def fields_of(request: Request) -> dict:
    """The query's fields in their order; a field sent several times keeps its values as a list."""
    fields = request.args.to_dict(flat=False)
    return {name: values[0] if len(values) == 1 else values for name, values in fields.items()}


def callback_fields(request: Request) -> dict:
    """A GET callback's fields: 400 when there are none, 413 past ``MAX_FORM_PARTS`` (as a form).

    A HEAD (which Flask routes to every GET view) is refused: it must change nothing, and a
    monitor probing the URL would otherwise record a callback.
    """
    if request.method == "HEAD":
        raise ApiError("HEAD records nothing: send the callback with GET or POST", 405,
                       headers={"Allow": "GET, POST"})
    fields = fields_of(request)
    if not fields:
        raise ApiError("a GET callback carries its fields in the query string, and it is empty")
    parts = sum(map(len, request.args.listvalues()))
    if request.max_form_parts and parts > request.max_form_parts:
        raise ApiError(f"query has more than {request.max_form_parts} fields", 413)
    return fields


def signed_text(request: Request) -> bytes:
    """What a GET's body-signing schemes cover: its fields as one JSON object, in their order,
    without whitespace (Vonage's documented rule for a GET's ``payload_hash``; jambonz signs the
    JSON of the same fields)."""
    return compact_json(fields_of(request)).encode("utf-8")
