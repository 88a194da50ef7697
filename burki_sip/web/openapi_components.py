"""The OpenAPI components every operation shares: error answers, the request id, security schemes.

The guard's schemes are read from what it verifies (``providers.guard.ALL_SCHEMES``);
``openapi.SharedParts`` puts them on the guarded blueprints' operations.
"""

from __future__ import annotations

from apispec import APISpec

from ..calls.drivers import ACK_TIMEOUT_MS
from ..signatures import TOLERANCE_SECONDS
from .blueprint import ERROR_RESPONSES
from .erasure_jobs import BUSY_RETRY_AFTER_SECONDS, MAX_RUNNING
from .errors import BACKLOG_RETRY_AFTER_SECONDS, RETRY_AFTER_SECONDS
from .payload import MAX_FORM_PARTS
from .providers.guard import ALL_SCHEMES, BASIC
from .responses import ErrorSchema

ERROR_DESCRIPTIONS = {
    400: "The body is not valid JSON, not an object, or failed validation.",
    401: "Missing or wrong credentials (see the security schemes); the `error` says why. "
         "Carries `WWW-Authenticate: Bearer`.",
    403: "The caller's address is not in `SIP_ALLOWED_IPS`.",
    404: "No such path, or no such call.",
    405: "The path exists but not with this method; see `Allow`.",
    413: "The body is larger than `MAX_CONTENT_LENGTH` (so is every field of a form), or a form "
         f"(or a GET callback's query) has more than {MAX_FORM_PARTS} fields.",
    415: "The body's Content-Type is not one this operation accepts.",
    500: "A bug; the body still has an `error` string.",
    503: "Not done now; retry after `Retry-After` seconds (repeating the request is safe). Redis "
         "is unreachable, did not answer within `REDIS_SOCKET_TIMEOUT`, or refused the command "
         "(full at `maxmemory` (OOM), read-only, no primary during a failover): Retry-After "
         f"{RETRY_AFTER_SECONDS}. Fewer replicas than `REDIS_ACK_REPLICAS` acknowledged the "
         f"write within {ACK_TIMEOUT_MS} ms: Retry-After {RETRY_AFTER_SECONDS}. Webhook and "
         "status: a consumer group's backlog reached `SIP_EVENTS_MAX_BACKLOG` and nothing was "
         f"written: Retry-After {BACKLOG_RETRY_AFTER_SECONDS}. Erasures: this worker already runs "
         f"{MAX_RUNNING} (too many erasures running): Retry-After {BUSY_RETRY_AFTER_SECONDS}.",
}
REQUEST_ID = "X-Request-ID"
REQUEST_ID_PARAMETER = "RequestId"
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
        "description": f"Standard Webhooks: `webhook-id`, `webhook-timestamp` (within "
                       f"{TOLERANCE_SECONDS} s) and `webhook-signature` (`v1,` HMAC-SHA256 of "
                       "`id.timestamp.body` with a `SIP_WEBHOOK_SECRETS` secret). Accepted when "
                       "secrets are configured."},
}


def provider_scheme(scheme) -> tuple[str, dict]:
    """A provider's signature (or HTTP Basic) as a named security scheme."""
    settings = " and ".join(f"`{name}`" for name in scheme.settings)
    description = f"{scheme.summary} Accepted when {settings} is set (docs/providers.md)."
    if scheme is BASIC:
        return "basicAuth", {"type": "http", "scheme": "basic", "description": description}
    return f"{scheme.name}Signature", {"type": "apiKey", "in": "header", "name": scheme.header,
                                       "description": description}


# What the guard verifies: a provider's signature is accepted on the two routes providers call.
PROVIDER_SCHEMES = dict(map(provider_scheme, ALL_SCHEMES))
BRIDGE_AUTH = [{"bearerAuth": []}, {"apiKeyAuth": []}]
SIGNED_AUTH = [*BRIDGE_AUTH, {"webhookSignature": []}, *({name: []} for name in PROVIDER_SCHEMES)]


def add_components(spec: APISpec) -> None:
    """Register the shared components: error answers, request id, security schemes."""
    spec.components.header(REQUEST_ID, {
        "description": "The request's id: the caller's `X-Request-ID` if sane, else generated.",
        "required": True, "schema": {"type": "string"}})
    spec.components.header("Retry-After", {"description": "Seconds to wait before retrying.",
                                           "schema": {"type": "string"}})
    spec.components.parameter(REQUEST_ID_PARAMETER, "header", {
        "name": REQUEST_ID, "required": False, "schema": {"type": "string"},
        "description": "Correlates the call with the service's log line; echoed back. Kept when "
                       "it is 1-128 of `A-Z a-z 0-9 . _ : @ + = / -`, else replaced."})
    for code, name in ERROR_RESPONSES.items():
        headers = {REQUEST_ID: REQUEST_ID}
        if code == 503:
            headers["Retry-After"] = "Retry-After"
        spec.components.response(name, {
            "description": ERROR_DESCRIPTIONS[code], "headers": headers,
            "content": {"application/json": {"schema": ErrorSchema}}})
    for name, scheme in {**SECURITY_SCHEMES, **PROVIDER_SCHEMES}.items():
        spec.components.security_scheme(name, scheme)
