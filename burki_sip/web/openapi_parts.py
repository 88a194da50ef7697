"""The shared pieces of the OpenAPI document: error answers, the request id, security schemes, and
how the custom marshmallow fields and validators show in JSON Schema."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from ..signatures import TOLERANCE_SECONDS
from .auth import GUARDED_BLUEPRINTS, SIGNED_ENDPOINTS
from .providers import apidoc as providers
from .responses import ErrorSchema
from .schemas import CALL_SID_MAX, CALL_SID_PATTERN, Variables, check_call_sid

DESCRIPTION = (
    "Backend side of the Burki SIP bridge. Every error is a JSON object with an `error` string, "
    "and `fields` (messages per field) when a body failed validation. Any other path answers 404 "
    "and any other method 405 (with `Allow`), in the same shape. Every answer carries "
    "`X-Request-ID`: the caller's when it sent a sane one, else a new one.")

CALL_SID_SCHEMA = {"type": "string", "minLength": 1, "maxLength": CALL_SID_MAX,
                   "pattern": f"^{CALL_SID_PATTERN.pattern}$"}

REQUEST_ID = "X-Request-ID"
REQUEST_ID_PARAMETER = "RequestId"

# Status code -> (component name, description). Each operation lists the ones it can answer.
ERROR_COMPONENTS = {
    400: ("BadRequest", "The body is not valid JSON, not an object, or failed validation."),
    401: ("Unauthorized", "Missing or wrong credentials (see the security schemes); the "
                          "`error` says why. Carries `WWW-Authenticate: Bearer`."),
    403: ("Forbidden", "The caller's address is not in `SIP_ALLOWED_IPS`."),
    404: ("NotFound", "No such path, or no such call."),
    405: ("MethodNotAllowed", "The path exists but not with this method; see `Allow`."),
    413: ("PayloadTooLarge", "The body is larger than `MAX_CONTENT_LENGTH`, or a form has more "
                             "than `MAX_FORM_PARTS` fields or a field larger than "
                             "`MAX_FORM_MEMORY_SIZE`."),
    415: ("UnsupportedMediaType", "The body's Content-Type is not one this operation accepts."),
    500: ("InternalServerError", "A bug; the body still has an `error` string."),
    503: ("ServiceUnavailable", "Redis did not answer in time, or (webhook, status) a consumer "
                                "group's backlog reached `SIP_EVENTS_MAX_BACKLOG` and nothing was "
                                "written; retry after `Retry-After` seconds."),
}
ERRORS = {code: name for code, (name, _) in ERROR_COMPONENTS.items()}
PROVIDER_ERRORS = (400, 413, 415, 503)

DELIVERY_ID = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"}
DELIVERY_PARAMETERS = tuple(
    {"name": name, "in": "header", "required": False, "schema": DELIVERY_ID,
     "description": f"{what}: a repeat within `SIP_DEDUPE_TTL` is answered `duplicate: true` "
                    "and recorded nowhere."}
    for name, what in (("webhook-id", "Standard Webhooks delivery id"),
                       ("Idempotency-Key", "Used when there is no `webhook-id`")))
# What /sip-webhook and /sip-status take besides the body: dedupe headers, provider query params.
CALLBACK_PARAMETERS = DELIVERY_PARAMETERS + providers.PARAMETERS

# The SIP routes get theirs from ``guard_of``; other operations may opt in with ``@doc(security=)``.
SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer",
                   "description": "`Authorization: Bearer <key>`: one of `SIP_INBOUND_API_KEYS`, "
                                  "else `SIP_BRIDGE_API_KEY`. With no key configured the SIP "
                                  "routes are open."},
    "apiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                   "description": "The same key in `X-API-Key`, for callers that cannot set "
                                  "`Authorization`."},
    "webhookSignature": {
        "type": "apiKey", "in": "header", "name": "webhook-signature",
        "description": "Standard Webhooks: `webhook-id`, `webhook-timestamp` (within "
                       f"{TOLERANCE_SECONDS} s) and "
                       "`webhook-signature` (`v1,` HMAC-SHA256 of `id.timestamp.body` with a "
                       "`SIP_WEBHOOK_SECRETS` secret). Accepted when secrets are configured."},
    **providers.SECURITY_SCHEMES,
}
BRIDGE_AUTH = [{"bearerAuth": []}, {"apiKeyAuth": []}]
SIGNED_AUTH = [*BRIDGE_AUTH, {"webhookSignature": []}, *providers.SECURITY]
GUARD_ERRORS = (401, 403)


def guard_of(endpoint: str) -> tuple[list[dict] | None, tuple[int, ...]]:
    """The security requirement and the extra errors of an operation ``auth`` guards.

    Read from ``auth``'s own tables, so the document cannot drift from what is enforced.
    """
    if endpoint.partition(".")[0] not in GUARDED_BLUEPRINTS:
        return None, ()
    return (SIGNED_AUTH if endpoint in SIGNED_ENDPOINTS else BRIDGE_AUTH), GUARD_ERRORS

OPENAPI_DOCUMENT = {"description": "The OpenAPI 3.1 document.", "content": {
    "application/json": {"schema": {"type": "object", "required": ["openapi", "paths"]}}}}

PATH_PARAMETERS = {"call_sid": ("The call's identifier, as in the prewarm.", CALL_SID_SCHEMA)}


def json_schema_of_field(self, field, **kwargs) -> dict:
    """apispec attribute function: the rules our custom fields and validators enforce."""
    if check_call_sid in field.validators:
        return {key: value for key, value in CALL_SID_SCHEMA.items() if key != "type"}
    if isinstance(field, Variables):
        types = ["object", "string"] + (["null"] if field.allow_none else [])
        return {"type": types, "description": "An object, or a string holding a JSON object."}
    return {}


def add_components(spec: APISpec) -> None:
    """Register every shared component on ``spec`` (built with a ``MarshmallowPlugin``)."""
    for plugin in spec.plugins:
        if isinstance(plugin, MarshmallowPlugin):
            plugin.converter.add_attribute_function(json_schema_of_field)
    spec.components.schema("Error", schema=ErrorSchema)
    spec.components.header(REQUEST_ID, {
        "description": "The request's id: the caller's `X-Request-ID` if sane, else generated.",
        "required": True, "schema": {"type": "string"}})
    spec.components.header("Retry-After", {"description": "Seconds to wait before retrying.",
                                           "schema": {"type": "string"}})
    spec.components.parameter(REQUEST_ID_PARAMETER, "header", {
        "name": REQUEST_ID, "required": False, "schema": {"type": "string"},
        "description": "Correlates the call with the service's log line; echoed back. Kept when "
                       "it is 1-128 of `A-Z a-z 0-9 . _ : @ + = / -`, else replaced."})
    for code, (name, description) in ERROR_COMPONENTS.items():
        spec.components.response(name, error_response(code, description))
    for name, scheme in SECURITY_SCHEMES.items():
        spec.components.security_scheme(name, scheme)


def error_response(code: int, description: str) -> dict:
    """An error answer: the ``Error`` body and its headers."""
    headers = {REQUEST_ID: REQUEST_ID}
    if code == 503:
        headers["Retry-After"] = "Retry-After"
    return {"description": description, "headers": headers,
            "content": {"application/json": {"schema": "Error"}}}


def success(answer: Any) -> dict:
    """A success answer: a marshmallow schema as a JSON body, or a whole response object."""
    if isinstance(answer, dict):
        response = dict(answer)
    else:
        response = {"description": (answer.__doc__ or "OK").strip().split("\n")[0],
                    "content": {"application/json": {"schema": answer}}}
    response["headers"] = {REQUEST_ID: REQUEST_ID}
    return response


def path_parameter(name: str) -> dict:
    """A path parameter of a rule, e.g. ``call_sid``."""
    description, schema = PATH_PARAMETERS.get(name, ("", {"type": "string"}))
    return {"name": name, "in": "path", "required": True, "schema": schema,
            "description": description}
