"""Reading request bodies: a JSON object, or a form (providers post forms)."""

from __future__ import annotations

from flask import Request

from ..jsontext import strict_loads
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


def json_or_form(request: Request) -> dict:
    """The body of a provider post: a JSON object or a form, as a dict; a field sent several
    times keeps all its values as a list."""
    if request.is_json:
        return json_object(request)
    if request.mimetype not in FORM_TYPES:
        if not request.content_length and not request.get_data(cache=True):
            raise ApiError("request body is empty")
        raise ApiError("expected a JSON object or a form-encoded body", 415)
    form = request.form.to_dict(flat=False)
    if not form:
        raise ApiError("request body is empty")
    # werkzeug counts the parts of a multipart form only: URL-encoded forms are counted here.
    if request.max_form_parts and sum(map(len, form.values())) > request.max_form_parts:
        raise ApiError(f"form has more than {request.max_form_parts} fields", 413)
    return {name: values[0] if len(values) == 1 else values for name, values in form.items()}
