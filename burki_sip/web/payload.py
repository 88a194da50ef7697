"""Reading requests: a JSON object body, or a provider's callback and its delivery id.

A callback is a JSON object or a form, or, sent with GET, its query string: jambonz sends its hooks
with GET when configured so, Vonage its answer webhook by default (Twilio, SignalWire and Plivo can
too). Those fields are URL-encoded as a form's body would be, so they are read, detected and
recorded as a form.
"""

from __future__ import annotations

from flask import Request
from marshmallow import Schema, fields, validate
from werkzeug.datastructures import MultiDict

from ..jsontext import compact_json, strict_loads
from .errors import ApiError
from .providers import registry
from .schemas import check_call_sid

# Most fields a form may have (werkzeug's MAX_FORM_PARTS): far more than any provider posts.
MAX_FORM_PARTS = 200

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
DELIVERY_HEADERS = ("webhook-id", "Idempotency-Key")
DELIVERY_ID_MAX = 200


def _delivery_id(header: str, description: str) -> fields.String:
    """A delivery id header, as ``delivery_id`` accepts it."""
    return fields.String(data_key=header, validate=validate.Length(1, DELIVERY_ID_MAX), metadata={
        "pattern": "^[!-~]+$", "description": description + ": a repeat within "
        "`SIP_DEDUPE_TTL` is answered `duplicate: true` and recorded nowhere."})


class DeliverySchema(Schema):
    """The headers of a delivery that make its repeats duplicates (read by ``delivery_id``)."""

    webhook_id = _delivery_id("webhook-id", "Standard Webhooks delivery id")
    idempotency_key = _delivery_id("Idempotency-Key", "Used when there is no `webhook-id`")


class CallbackQuerySchema(Schema):
    """The query of a callback URL the bridge gave a provider (read by ``callbacks``)."""

    provider = fields.String(validate=validate.OneOf(registry.NAMES), metadata={
        "description": "Read the payload as this provider's (it is detected from the body and "
                       "headers otherwise)."})
    call_sid = fields.String(validate=check_call_sid, metadata={
        "description": "The bridge's call_sid: the event is recorded under it, the provider's "
                       "call id kept as `provider_call_id`."})


CALLBACK_PARAMETERS = [{"in": "header", "schema": DeliverySchema},
                       {"in": "query", "schema": CallbackQuerySchema}]
# A GET callback's own fields, which the provider puts in the URL.
QUERY_CALLBACK_PARAMETERS = [*CALLBACK_PARAMETERS, {
    "in": "query", "name": "fields", "style": "form", "explode": True,
    "schema": {"type": "object", "additionalProperties": {"type": "string"}},
    "description": "The callback's fields as the provider sends them with GET (jambonz's hooks, "
                   "Vonage's answer and event webhooks, ...): read, authenticated and recorded "
                   "as the same fields posted as a form (docs/providers.md)."}]


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


def delivery_id(request: Request) -> str | None:
    """The delivery's ``webhook-id`` (Standard Webhooks) or ``Idempotency-Key``, if sent."""
    for header in DELIVERY_HEADERS:
        value = request.headers.get(header)
        if value is None:
            continue
        if not value or len(value) > DELIVERY_ID_MAX or not value.isprintable() or " " in value:
            raise ApiError(f"{header} must be 1 to {DELIVERY_ID_MAX} printable characters "
                           "without spaces")
        return value
    return None
