"""The OpenAPI 3.1 document at ``/openapi.json``, built from ``app.url_map`` and the schemas.

A view is described where it is defined, with ``apidoc.doc`` under its route decorator; the document
walks every rule of the app, so a new route only needs its ``@doc``. Components shared by every
operation (error answers, the request id, security schemes) live in ``openapi_parts.py``.
"""

from __future__ import annotations

import inspect
import re
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, current_app

from . import openapi_parts as parts
from .apidoc import Operation, doc

bp = Blueprint("openapi", __name__)

EXTENSION = "burki_sip.openapi"
RULE_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
UNDOCUMENTED_METHODS = frozenset({"HEAD", "OPTIONS"})


def openapi_path(rule: str) -> str:
    """A werkzeug rule (``/calls/<call_sid>``) as an OpenAPI path (``/calls/{call_sid}``)."""
    return RULE_ARGUMENT.sub(r"{\1}", rule)


def operation_object(endpoint: str, view, operation: Operation, arguments) -> dict:
    """The OpenAPI operation of one view."""
    summary, _, description = (inspect.getdoc(view) or endpoint).partition("\n")
    result = {"operationId": endpoint.replace(".", "_"), "summary": summary.strip(),
              "tags": list(operation.tags) or [endpoint.partition(".")[0]],
              "parameters": [parts.path_parameter(name) for name in sorted(arguments)]
              + [parts.REQUEST_ID_PARAMETER, *operation.parameters],
              "responses": {str(code): parts.success(answer)
                            for code, answer in operation.responses.items()}}
    if description.strip():
        result["description"] = description.strip()
    security, guard_errors = parts.guard_of(endpoint)
    errors = sorted({*operation.errors, *guard_errors})
    result["responses"].update({str(code): parts.ERRORS[code] for code in errors})
    if operation.body is not None:
        result["requestBody"] = {"required": operation.body_required, "content": {
            media: {"schema": operation.body} for media in operation.media}}
    if (operation.security or security) is not None:
        result["security"] = operation.security or security
    return result


def build(app: Flask) -> dict:
    """The whole document for ``app``: every documented rule of its URL map, every component."""
    spec = APISpec(title="burki-sip", version=package_version(), openapi_version="3.1.0",
                   plugins=[MarshmallowPlugin()], info={"description": parts.DESCRIPTION})
    parts.add_components(spec)
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        view = app.view_functions[rule.endpoint]
        operation = getattr(view, "openapi", None)
        if rule.endpoint == "static" or operation is None:
            continue  # an undocumented route fails tests/test_openapi.py, by name
        methods = sorted((rule.methods or set()) - UNDOCUMENTED_METHODS)
        spec.path(path=openapi_path(rule.rule), operations={
            method.lower(): operation_object(rule.endpoint, view, operation, rule.arguments)
            for method in methods})
    return spec.to_dict()


def package_version() -> str:
    """The installed version of burki-sip."""
    try:
        return version("burki-sip")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "0.0.0"


@bp.get("/openapi.json")
@doc({200: parts.OPENAPI_DOCUMENT}, tags=("meta",))
def openapi_json():
    """This document (OpenAPI 3.1)."""
    document = current_app.extensions.get(EXTENSION)
    if document is None:
        # Built on first use, when every blueprint is registered; the URL map no longer changes.
        document = current_app.extensions[EXTENSION] = build(current_app)
    return document


def init_app(app: Flask) -> None:
    """Serve the document at ``/openapi.json``."""
    app.register_blueprint(bp)

