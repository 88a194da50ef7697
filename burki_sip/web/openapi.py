"""The OpenAPI 3.1 document at ``/openapi.json``, and Swagger UI on it at ``/docs/``.

flask-smorest documents the schemas ``@bp.arguments`` loads and ``@bp.response`` serialises
through, so the document cannot describe a body the route does not check; ``SharedParts`` reads
``auth``'s tables, so the security shown is the one enforced. Swagger UI's files come from
flask-swagger-ui (the page works offline); ``templates/index.template.html`` replaces its page to
start it from ``static/docs.js`` under a strict Content-Security-Policy, with no inline script.
That relies on the package's template name and variables (``base_url``, ``app_name``,
``config_json``), not a documented API: tests/integration/test_console_browser.py fails if a
release changes them.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import flask_smorest
from apispec import BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, current_app, jsonify, redirect, url_for
from flask_swagger_ui import get_swaggerui_blueprint

from . import errors
from .auth import GUARDED_BLUEPRINTS, SIGNED_ENDPOINTS
from .blueprint import ERROR_RESPONSES, Blueprint
from .openapi_components import (BRIDGE_AUTH, REQUEST_ID, REQUEST_ID_PARAMETER, SIGNED_AUTH,
                                 add_components)
from .responses import ErrorSchema
from .schemas import CALL_SID_MAX, CALL_SID_PATTERN, Variables, check_call_sid

EXTENSION = "burki_sip.openapi"
DESCRIPTION = (
    "Backend side of the Burki SIP bridge. Every error is a JSON object with an `error` string, "
    "and `fields` (messages per field) when a body failed validation. Any other path answers 404 "
    "and any other method 405 (with `Allow`), in the same shape. Every answer carries "
    "`X-Request-ID`: the caller's when it sent a sane one, else a new one.")
# Swagger UI sets inline styles (no code runs from a style); nothing from another origin.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:", "connect-src 'self'", "base-uri 'none'", "form-action 'none'",
    "frame-ancestors 'none'"))
# validatorUrl: Swagger UI would otherwise send the document to an online validator.
SWAGGER_UI = {"app_name": "burki-sip API", "validatorUrl": None}

bp = Blueprint("meta", __name__)


class Api(flask_smorest.Api):
    """flask-smorest's Api: errors in the service's shape (``errors``), no ``default`` answer."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error):
        """The JSON error contract, whichever of the two handlers Flask holds."""
        return errors.handle_http_exception(error)


class SharedParts(BasePlugin):
    """apispec plugin: the request id of every operation, and the guard of its blueprint."""

    def operation_helper(self, path=None, operations=None, *, rule=None, **kwargs) -> None:
        """Add the parts to each operation of the URL rule ``rule``."""
        guarded = rule.endpoint.partition(".")[0] in GUARDED_BLUEPRINTS
        for operation in operations.values():
            operation.setdefault("parameters", []).append(REQUEST_ID_PARAMETER)
            responses = operation.setdefault("responses", {})
            for response in responses.values():
                if isinstance(response, dict):  # the others are the shared error answers
                    response.setdefault("headers", {})[REQUEST_ID] = REQUEST_ID
            if guarded:
                operation["security"] = (SIGNED_AUTH if rule.endpoint in SIGNED_ENDPOINTS
                                         else BRIDGE_AUTH)
                responses.update({401: ERROR_RESPONSES[401], 403: ERROR_RESPONSES[403]})


def json_schema_of_field(self, field, **kwargs) -> dict:
    """apispec attribute function: the rules our custom fields and validators enforce."""
    if check_call_sid in field.validators:
        return {"minLength": 1, "maxLength": CALL_SID_MAX,
                "pattern": f"^{CALL_SID_PATTERN.pattern}$"}
    if isinstance(field, Variables):
        types = ["object", "string"] + (["null"] if field.allow_none else [])
        return {"type": types, "description": "An object, or a string holding a JSON object."}
    return {}


@bp.get("/openapi.json")
@bp.response(200, {"type": "object", "required": ["openapi", "paths"]},
             description="The OpenAPI 3.1 document.")
def openapi_json():
    """This document (OpenAPI 3.1)."""
    return jsonify(current_app.extensions[EXTENSION].spec.to_dict())


def secured(response):
    """``after_request`` of the API page and its files: the Content-Security-Policy."""
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def init_app(app: Flask) -> Api:
    """The app's ``Api`` (register documented blueprints with it), serving ``/openapi.json``, and
    the API page at ``/docs/`` (``/docs`` redirects there) with ``/`` as a link to it."""
    try:
        release = version("burki-sip")
    except PackageNotFoundError:  # running from a checkout that was never installed
        release = "0.0.0"
    marshmallow = MarshmallowPlugin()
    api = Api(app, spec_kwargs={
        "title": "burki-sip", "version": release, "openapi_version": "3.1.0",
        "info": {"description": DESCRIPTION}, "marshmallow_plugin": marshmallow,
        "extra_plugins": [SharedParts()]})
    marshmallow.converter.add_attribute_function(json_schema_of_field)
    # flask-smorest registers the schema of its pagination header up front; nothing here pages.
    api.spec.components.schemas.pop("PaginationMetadata", None)
    add_components(api.spec)
    app.extensions[EXTENSION] = api
    api.register_blueprint(bp)
    page = get_swaggerui_blueprint("/docs", "/openapi.json", config=SWAGGER_UI)
    page.after_request(secured)
    app.register_blueprint(page)
    app.add_url_rule("/", "home", lambda: redirect(url_for("swagger_ui.show")))
    return api
