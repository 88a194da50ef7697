"""The console's routes: pages, the small JSON documents the pages poll, and raw stored entries."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from marshmallow import ValidationError

from ...calls.flags import STATUS_GROUPS, matcher
from ...calls.history import CallHistory
from ...calls.index import now_ms
from ...calls.keys import EVENT_KINDS
from ...calls.lifecycle import RANKS
from .. import redaction
from ..extension import get_store
from ..schemas import check_call_sid
from . import bp
from .present import marks, payload_of, placed, row, shown

PAGE_SIZE = 50
# Polled this often by the pages' script (ms): see docs/console.md for why polling, not SSE.
POLL_MS = 1500


def history() -> CallHistory:
    """The read API on the app's store."""
    return CallHistory(get_store())


LISTING_ARGUMENTS = ("page", "q", "status")


def listing_arguments() -> dict:
    """The request's listing arguments, and only those (url_for takes ``_scheme`` and the like)."""
    return {name: request.args[name] for name in LISTING_ARGUMENTS if name in request.args}


def listing() -> dict:
    """The calls page's data for the request's ``page``, ``q`` and ``status`` arguments."""
    page = max(1, request.args.get("page", 1, type=int) or 1)
    query, status = request.args.get("q", "")[:128], request.args.get("status", "")[:32]
    start, calls, store = (page - 1) * PAGE_SIZE, history(), get_store()
    if query or status:
        found, looked = calls.find(matcher(query, status), start, PAGE_SIZE + 1)
        total = None
    else:
        found, total = calls.recent(start, PAGE_SIZE + 1)
        looked = None
    now = now_ms()
    rows = [row(call, now, store.index.horizon) for call in found[:PAGE_SIZE]]
    return {"rows": rows, "page": page, "more": len(found) > PAGE_SIZE, "total": total,
            "looked": looked, "q": query, "status": status,
            "statuses": list(RANKS) + list(STATUS_GROUPS)}


def known_call(call_sid: str) -> bool:
    """A call_sid that could name a call (the same rule as the SIP routes)."""
    try:
        check_call_sid(call_sid)
    except ValidationError:
        return False
    return True


def missing(call_sid: str):
    """The console's own 404 page."""
    return render_template("console/missing.html", call_sid=call_sid), 404


def call_page_data(call_sid: str) -> dict | None:
    """The timeline page's data, or ``None`` for an unknown call."""
    timeline = history().timeline(call_sid) if known_call(call_sid) else None
    if timeline is None:
        return None
    call, secrets = timeline.summary, secrets_of()
    return {"call": row(call, now_ms(), get_store().index.horizon),
            "timeline": placed(marks(timeline)),
            "context": shown(call.context, secrets) if call.context else None,
            "context_ttl": call.context_ttl, "status_ttl": call.status_ttl,
            "claimed_at": call.claimed_at, "truncated": timeline.truncated}


def secrets_of() -> frozenset[str]:
    """Every configured secret value, hidden wherever it might appear in stored data."""
    return redaction.secrets()


@bp.get("")
def calls():
    """The recent calls, newest first."""
    return render_template("console/calls.html", poll_ms=POLL_MS,
                           live=url_for("console.calls_live", **listing_arguments()), **listing())


@bp.get("/")
def slash():
    """``/console/`` as typed: the calls list."""
    return redirect(url_for("console.calls"))


@bp.get("/live")
def calls_live():
    """The calls list's rows, for the page to swap in without a reload."""
    data = listing()
    return {"html": render_template("console/_list.html", **data),
            "calls": [{"call_sid": r["call_sid"], "status": r["status"],
                       "flags": [flag for flag, _ in r["flags"]]} for r in data["rows"]]}


@bp.get("/calls/<call_sid>")
def call(call_sid: str):
    """One call's timeline, context and TTLs."""
    data = call_page_data(call_sid)
    if data is None:
        return missing(call_sid)
    return render_template("console/call.html", poll_ms=POLL_MS,
                           live=url_for("console.call_live", call_sid=call_sid), **data)


@bp.get("/calls/<call_sid>/live")
def call_live(call_sid: str):
    """The timeline's part that changes, for the page to swap in without a reload."""
    data = call_page_data(call_sid)
    if data is None:
        return {"error": "unknown call"}, 404
    return {"html": render_template("console/_timeline.html", **data),
            "status": data["call"]["status"],
            "events": [mark["label"] for mark in data["timeline"]["marks"]]}


@bp.get("/calls/<call_sid>/events/<kind>/<entry_id>")
def event(call_sid: str, kind: str, entry_id: str):
    """One stored stream entry of the call, its payload decoded, secrets and numbers masked."""
    if kind not in EVENT_KINDS or not known_call(call_sid) or not valid_entry_id(entry_id):
        return missing(call_sid)
    fields = history().event(kind, entry_id)
    if fields is None or fields.get("call_sid") != call_sid:
        return missing(call_sid)
    return render_template("console/event.html", call_sid=call_sid, kind=kind, entry_id=entry_id,
                           shown=shown(payload_of(fields), secrets_of()))


def valid_entry_id(entry_id: str) -> bool:
    """``<ms>-<seq>``, as Redis writes stream ids."""
    ms, dash, seq = entry_id.partition("-")
    return bool(dash) and ms.isdigit() and seq.isdigit()
