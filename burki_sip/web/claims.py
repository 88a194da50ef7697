"""Claims over HTTP, for media-stream handlers without Redis access (see docs/lifecycle.md, "Claims").

The routes are on ``sip.bp``, so the SIP routes' guard (``auth.py``) covers them as it covers
every route of that blueprint. Their bodies and answers are described here, next to them.
"""

from __future__ import annotations

from flask import jsonify
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..calls.claims import OWNER_MAX, WAIT_MAX, check_owner
from .blueprint import errors
from .errors import ApiError
from .extension import get_store
from .schemas import CallPathSchema, core_rule
from .sip import bp
from .telemetry import note_call_sid, note_outcome

TOKEN_MAX = 64
OWNER_FOR_A_WAIT = ("owner required with a wait above 0: a claim whose answer was lost can only "
                    "be claimed again or released by its owner")


class ClaimSchema(Schema):
    """``POST /sip-prewarm/{call_sid}/claim``: who claims. No body: an owner of this claim alone."""

    owner = fields.String(validate=core_rule(check_owner), metadata={
        "minLength": 1, "maxLength": OWNER_MAX,
        "description": "The stream's stable id: claiming again as the same owner (a reconnect) "
                       "gives the same claim and token. Required with a `wait` above 0."})
    wait = fields.Float(validate=validate.Range(
        0, WAIT_MAX, error=f"wait must be 0 to {WAIT_MAX:g} seconds"), metadata={
        "description": "Seconds to wait for a context not prewarmed yet (the media stream may "
                       "connect before the prewarm lands); 0, the default, answers at once. "
                       "Above 0 it needs an `owner`: a client that gives up waiting may leave a "
                       "claim granted, which only its owner can claim again or release."})

    @validates_schema
    def owner_for_a_wait(self, data: dict, **kwargs) -> None:
        """A waiting claim names its owner: one whose answer was lost (the client timed out)
        is found again only by claiming as that owner; an anonymous one would be lost."""
        if data.get("wait") and "owner" not in data:
            raise ValidationError(OWNER_FOR_A_WAIT, "owner")


class ReleaseSchema(Schema):
    """``DELETE /sip-prewarm/{call_sid}/claim``: the token of the claim to end."""

    token = fields.String(required=True, validate=validate.Length(1, TOKEN_MAX))


class ClaimedSchema(Schema):
    """The claim is this caller's: the context, and the token that releases it."""

    call_sid = fields.String(required=True)
    context = fields.Dict(required=True)
    token = fields.String(required=True)
    owner = fields.String(required=True)
    claimed_at = fields.String(required=True, metadata={"description": "ISO 8601 UTC."})
    waited_ms = fields.Integer(required=True, metadata={
        "description": "How long the claim waited for the context to arrive (0: it was there)."})


class ClaimConflictSchema(Schema):
    """Another owner holds the claim: who, and since when."""

    error = fields.String(required=True)
    owner = fields.String(required=True)
    claimed_at = fields.String(required=True)
    waited_ms = fields.Integer(required=True)


class ReleasedSchema(Schema):
    """Whether the token held the claim, which is now ended (false: it held none, nothing changed)."""

    call_sid = fields.String(required=True)
    released = fields.Boolean(required=True)


@bp.post("/sip-prewarm/<call_sid>/claim")
@bp.arguments(CallPathSchema(), location="path", as_kwargs=True)
@bp.arguments(ClaimSchema(), location="optional_json", required=False)
@bp.response(200, ClaimedSchema)
@bp.alt_response(409, schema=ClaimConflictSchema)
@errors(400, 404, 413, 415, 503)
def claim(body: dict, call_sid: str):
    """Claim a call's context for a media stream: 200 to one owner at a time, 409 to others."""
    note_call_sid(call_sid)
    result = get_store().claim(call_sid, owner=body.get("owner"), wait=body.get("wait", 0.0))
    waited_ms = round(result.waited * 1000)
    note_outcome(claim=result.outcome, owner=result.owner, waited_ms=waited_ms)  # never the token
    if result.missing:
        raise ApiError(f"no context for call {call_sid} (never prewarmed, or expired)", 404)
    if result.already_claimed:
        # A Response, so that it is not serialised through ClaimedSchema, the 200's.
        return jsonify({"error": f"call {call_sid} is already claimed", "owner": result.owner,
                        "claimed_at": result.claimed_at, "waited_ms": waited_ms}), 409
    return {"call_sid": call_sid, "context": result.context, "token": result.token,
            "owner": result.owner, "claimed_at": result.claimed_at, "waited_ms": waited_ms}


@bp.delete("/sip-prewarm/<call_sid>/claim")
@bp.arguments(CallPathSchema(), location="path", as_kwargs=True)
@bp.arguments(ReleaseSchema())
@bp.response(200, ReleasedSchema)
@errors(400, 413, 415, 503)
def release(body: dict, call_sid: str):
    """End a claim, so the call can be claimed again (after a stream dropped)."""
    note_call_sid(call_sid)
    token = body["token"]
    released = get_store().release(call_sid, token)
    note_outcome(released=released)
    return {"call_sid": call_sid, "released": released}
