"""The Blueprint of every documented route: flask-smorest's, reading bodies the service's way.

Bodies are read by ``payload`` (strict JSON, 415 for another media type) and validation errors go
to ``errors``, so answers keep the JSON error contract. Give ``@bp.arguments`` a schema instance:
webargs would build one per request from a class.
"""

from __future__ import annotations

import flask_smorest
from flask import Request
from marshmallow import Schema, ValidationError
from webargs.flaskparser import FlaskParser

from . import payload

ERROR_RESPONSES = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
                   405: "MethodNotAllowed", 413: "PayloadTooLarge", 415: "UnsupportedMediaType",
                   500: "InternalServerError", 503: "ServiceUnavailable"}


class Parser(FlaskParser):
    """webargs' Flask parser, reading bodies with ``payload`` and raising marshmallow's errors."""

    DEFAULT_VALIDATION_STATUS = 400
    __location_map__ = {**FlaskParser.__location_map__, "optional_json": "load_optional_json"}

    def load_json(self, req: Request, schema: Schema) -> dict:
        """A JSON object body, as ``payload`` reads it (webargs' own reader accepts NaN)."""
        return payload.json_object(req)

    def load_optional_json(self, req: Request, schema: Schema) -> dict:
        """A JSON object body, or ``{}`` when the request has no body at all."""
        return payload.json_object(req) if req.get_data(cache=True) else {}

    def handle_error(self, error: ValidationError, req, schema, *, error_status_code,
                     error_headers):
        """Raise the schema's messages for ``errors``, without webargs' location ("json")."""
        [messages] = error.messages.values()
        raise ValidationError(messages) from error


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with the parser above."""

    ARGUMENTS_PARSER = Parser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **flask_smorest.Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "optional_json": "application/json"}


def errors(*codes: int):
    """Decorator documenting the error answers a view can give (shared ``Error`` responses)."""
    return Blueprint.doc(responses={code: ERROR_RESPONSES[code] for code in codes})


def posted(schema, **doc):
    """Decorator documenting a body the view reads itself (``payload.callback_body``): ``schema``
    as JSON or as a provider's form; ``doc`` adds to the operation (e.g. ``parameters``)."""
    content = {media: {"schema": schema} for media in ("application/json", *payload.FORM_TYPES)}
    return Blueprint.doc(requestBody={"required": True, "content": content}, **doc)
