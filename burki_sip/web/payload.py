"""Reading request bodies: a JSON object, or a form (providers post forms)."""

from __future__ import annotations

from flask import Request

from ..jsontext import strict_loads
from .errors import ApiError

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def is_json(request: Request) -> bool:
    """True for ``application/json`` and ``application/*+json`` bodies."""
    return request.is_json


def json_object(request: Request) -> dict:
    """The body as a JSON object, or an ``ApiError`` (400, or 415 when it is not JSON at all)."""
    if not is_json(request):
        raise ApiError("expected a JSON body (Content-Type: application/json)", 415)
    return decode_object(request.get_data(cache=True))


def decode_object(data: bytes) -> dict:
    """Decode ``data`` as a JSON object; NaN and Infinity are refused, as JSON itself does."""
    if not data:
        raise ApiError("request body is empty")
    try:
        value = strict_loads(data)
    except (ValueError, RecursionError) as exc:
        raise ApiError("request body is not valid JSON") from exc
    if not isinstance(value, dict):
        raise ApiError("request body must be a JSON object")
    return value


def form_object(request: Request) -> dict:
    """The form fields as a dict; a field sent several times keeps all its values as a list.

    werkzeug counts the parts of a multipart form only; ``MAX_FORM_PARTS`` bounds URL-encoded
    forms here too, so both kinds of provider form answer 413 alike.
    """
    form = request.form.to_dict(flat=False)
    if not form:
        raise ApiError("request body is empty")
    if request.max_form_parts and sum(map(len, form.values())) > request.max_form_parts:
        raise ApiError(f"form has more than {request.max_form_parts} fields", 413)
    return {name: values[0] if len(values) == 1 else values for name, values in form.items()}


def json_or_form(request: Request) -> dict:
    """The body of a provider post: a JSON object or a form, as a dict."""
    if is_json(request):
        return decode_object(request.get_data(cache=True))
    if request.mimetype in FORM_TYPES:
        return form_object(request)
    if not request.content_length and not request.get_data(cache=True):
        raise ApiError("request body is empty")
    raise ApiError("expected a JSON object or a form-encoded body", 415)
