"""``@doc``: how a view describes itself for the OpenAPI document (built by ``openapi.py``).

Kept free of imports from the rest of the package, so any module with a view can use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

JSON = ("application/json",)
JSON_OR_FORM = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class Operation:
    """What ``@doc`` records about a view; see ``doc`` for the fields."""

    responses: dict[int, Any]
    body: Any = None
    body_required: bool = True
    media: tuple[str, ...] = JSON
    errors: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    security: list[dict] | None = None
    parameters: tuple[Any, ...] = ()


def doc(responses: dict[int, Any], **details: Any):
    """Describe a view for the OpenAPI document.

    Args:
        responses: status code to a marshmallow schema (a JSON body) or to a full response object.
        **details: ``body`` (the schema of the request body), ``body_required`` (default
            true), ``media`` (its media types),
            ``errors`` (error status codes, each a shared component of ``openapi_parts.ERRORS``),
            ``tags``, ``security`` (e.g. ``openapi_parts.BRIDGE_AUTH``) and extra ``parameters``.
    """
    def decorate(view):
        view.openapi = Operation(responses, **details)
        return view
    return decorate
