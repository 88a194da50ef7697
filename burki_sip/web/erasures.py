"""Erasure over HTTP, for the platform's own tooling (docs/privacy.md): ``POST /sip-erasures``.

The routes are on ``sip.bp``, so the SIP routes' guard (``auth.py``) asks them for the API key.
The work is the CLI's (``burki-sip erase``); ``erasure_jobs`` runs it beside the request.
"""

from __future__ import annotations

from flask import g, url_for
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..calls.erasure import MAX_CALL_SIDS, MAX_NUMBERS, Erasure
from ..calls.erasure import FAILED, FINISHED, INTERRUPTED, RUNNING
from ..calls.numbers import e164
from .blueprint import errors
from .erasure_jobs import BUSY_RETRY_AFTER_SECONDS, WAIT_SECONDS, BusyError, Job
from .errors import ApiError
from .extension import get_store
from .schemas import check_call_sid, core_rule
from .sip import bp
from .telemetry import note_outcome


class Items(fields.List):
    """A list whose items' errors are one list of messages, as the error contract's ``fields``
    has them (marshmallow would key them by index)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ValidationError as exc:
            messages = exc.messages
            if isinstance(messages, dict):
                messages = [f"item {index}: {text}" for index, texts in messages.items()
                            for text in texts]
            raise ValidationError(messages) from exc


class ErasureRequestSchema(Schema):
    """``POST /sip-erasures``: the calls, or the numbers, to erase."""

    call_sids = Items(fields.String(validate=check_call_sid),
                      validate=validate.Length(1, MAX_CALL_SIDS), metadata={
                          "description": "Erase these calls: their keys and every stream entry "
                                         "naming them."})
    numbers = Items(fields.String(validate=core_rule(e164)),
                    validate=validate.Length(1, MAX_NUMBERS), metadata={
                              "description": "Erase these E.164 numbers wherever they are stored, "
                                             "and every call they took part in."})
    dry_run = fields.Boolean(load_default=False, metadata={
        "description": "Count what would be erased; erase nothing."})

    @validates_schema
    def one_of(self, data: dict, **kwargs) -> None:
        """Exactly one of ``call_sids`` and ``numbers``."""
        if ("call_sids" in data) == ("numbers" in data):
            raise ValidationError("send either call_sids or numbers, not both", "call_sids")


class ErasureSchema(Schema):
    """One erasure's progress or result: counts only, never a number."""

    id = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(
        (RUNNING, FINISHED, FAILED, INTERRUPTED)), metadata={
            "description": "`interrupted`: its worker stopped (a deploy); post it again."})
    dry_run = fields.Boolean(required=True)
    calls = fields.Integer(required=True, metadata={"description": "Calls erased so far."})
    keys = fields.Integer(required=True)
    entries = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                          metadata={"description": "Stream entries erased, by stream."})
    event_id = fields.String(required=True, allow_none=True, metadata={
        "description": "The `erasure` entry in the status stream, once finished."})
    error = fields.String(allow_none=True)
    started_at = fields.String()
    updated_at = fields.String(required=True)


class ErasurePathSchema(Schema):
    """An erasure's id in the URL."""

    erasure_id = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{32}$"))


@bp.post("/sip-erasures")
@bp.arguments(ErasureRequestSchema())
@bp.response(200, ErasureSchema)
@bp.alt_response(202, schema=ErasureSchema, description=(
    f"Still running after {WAIT_SECONDS} s: `Location` is its record's URL."))
@errors(400, 413, 415, 503)
def erasures(body: dict):
    """Erase calls, or numbers and every call they took part in; 202 if it takes longer."""
    store = get_store()
    job = Job(store, Erasure(tuple(body.get("call_sids", ())), tuple(body.get("numbers", ())),
                             body["dry_run"], g.get("request_id")))
    try:
        job.start()
    except BusyError:
        raise ApiError("too many erasures running, retry later", 503,
                       headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)}) from None
    note_outcome(erasure=job.id)
    if not job.wait():
        return store.erasure_record(job.id), 202, {
            "Location": url_for("sip.erasure", erasure_id=job.id)}
    if job.error is not None:
        raise job.error  # a Redis failure: 503 with Retry-After, as for every route
    return store.erasure_record(job.id)


@bp.get("/sip-erasures/<erasure_id>")
@bp.arguments(ErasurePathSchema(), location="path", as_kwargs=True)
@bp.response(200, ErasureSchema)
@errors(400, 404, 503)
def erasure(erasure_id: str):
    """An erasure's progress or result, for a day after its last change."""
    found = get_store().erasure_record(erasure_id)
    if found is None:
        raise ApiError(f"no erasure {erasure_id} (unknown, or older than a day)", 404)
    return found
