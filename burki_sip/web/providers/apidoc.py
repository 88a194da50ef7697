"""The providers' part of the OpenAPI document: their security schemes and query parameters.

Read from the schemes and adapters themselves (``guard.ALL_SCHEMES``, ``registry.NAMES``), so the
document lists exactly what is verified and detected.
"""

from __future__ import annotations

from ..schemas import CALL_SID_MAX, CALL_SID_PATTERN
from .guard import ALL_SCHEMES, BASIC
from .registry import NAMES
from .signing import Scheme


def component_name(scheme: Scheme) -> str:
    """``twilioSignature``, ``telnyxSignature``, ...; HTTP Basic is ``basicAuth``."""
    return "basicAuth" if scheme is BASIC else f"{scheme.name}Signature"


def security_scheme(scheme: Scheme) -> dict:
    """The OpenAPI security scheme of one provider scheme."""
    settings = " and ".join(f"`{name}`" for name in scheme.settings)
    description = f"{scheme.summary} Accepted when {settings} is set (docs/providers.md)."
    if scheme is BASIC:
        return {"type": "http", "scheme": "basic", "description": description}
    return {"type": "apiKey", "in": "header", "name": scheme.header, "description": description}


SECURITY_SCHEMES = {component_name(scheme): security_scheme(scheme) for scheme in ALL_SCHEMES}
SECURITY = [{name: []} for name in SECURITY_SCHEMES]

PARAMETERS = (
    {"name": "provider", "in": "query", "required": False,
     "schema": {"type": "string", "enum": list(NAMES)},
     "description": "Read the payload as this provider's (it is detected from the body and "
                    "headers otherwise)."},
    {"name": "call_sid", "in": "query", "required": False,
     "schema": {"type": "string", "minLength": 1, "maxLength": CALL_SID_MAX,
                "pattern": f"^{CALL_SID_PATTERN.pattern}$"},
     "description": "The bridge's call_sid, put in the callback URL given to the provider: the "
                    "event is recorded under it, the provider's call id kept as "
                    "`provider_call_id`."},
)
