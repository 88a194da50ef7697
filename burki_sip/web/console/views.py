"""The console's routes: pages, the small JSON documents the pages poll, and raw stored entries."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from ...calls.keys import EVENT_KINDS
from . import bp
from .entries import valid_entry_id
from .listing import listing, listing_arguments, listing_update, stream_heads
from .pages import call_page_data, current_version, known_call, stored_entry
from .present import payload_of, shown

# Polled this often by the pages' script (ms): see docs/console.md for why polling, not SSE.
POLL_MS = 1500


def missing(call_sid: str):
    """The console's own 404 page."""
    return render_template("console/missing.html", call_sid=call_sid), 404


@bp.get("")
def calls():
    """The calls with the newest events, newest first."""
    live = url_for("console.calls_live", **listing_arguments(), after=stream_heads())
    return render_template("console/calls.html", poll_ms=POLL_MS, live=live, **listing())


@bp.get("/")
def slash():
    """``/console/`` as typed: the calls list."""
    return redirect(url_for("console.calls"))


@bp.get("/live")
def calls_live():
    """What changed in the calls list since ``after`` (the streams' newest ids when the page was
    drawn): nothing when nothing was recorded; else the rows of just the calls recorded since,
    for the page to move to its top, and those the page's filter no longer matches; or, when
    that cannot be told from the new entries alone, the whole list anew."""
    heads, after = stream_heads(), request.args.get("after")
    if after == heads:
        return {"after": heads}
    update = listing_update(after, heads)
    if update is not None:
        return {"after": heads, "rows": render_template("console/_rows.html", **update),
                "removed": update["removed"], "calls": described(update["rows"])}
    data = listing()
    return {"after": heads, "html": render_template("console/_list.html", **data),
            "calls": described(data["rows"])}


def described(rows: list[dict]) -> list[dict]:
    """The rows sent, as data: what a script (or a test) reads without parsing the HTML."""
    return [{"call_sid": r["call_sid"], "status": r["status"],
             "flags": [flag for flag, _ in r["flags"]]} for r in rows]


@bp.get("/calls/<call_sid>")
def call(call_sid: str):
    """One call's timeline, context and TTLs."""
    data = call_page_data(call_sid)
    if data is None:
        return missing(call_sid)
    live = url_for("console.call_live", call_sid=call_sid, after=data["after"])
    return render_template("console/call.html", poll_ms=POLL_MS, live=live, **data)


@bp.get("/calls/<call_sid>/live")
def call_live(call_sid: str):
    """The call page's changing part, only when the call changed since ``after``: an unchanged
    call costs one small pipeline, and none of its events is read."""
    seen = request.args.get("after")
    if known_call(call_sid) and seen is not None and seen == current_version(call_sid):
        return {"after": seen}
    data = call_page_data(call_sid)
    if data is None:
        return {"error": "unknown call"}, 404
    return {"after": data["after"], "html": render_template("console/_timeline.html", **data),
            "status": data["call"]["status"],
            "events": [mark["label"] for mark in data["timeline"]["marks"]]}


@bp.get("/calls/<call_sid>/events/<kind>/<entry_id>")
def event(call_sid: str, kind: str, entry_id: str):
    """One stored stream entry of the call, its payload decoded, secrets and numbers masked."""
    if kind not in EVENT_KINDS or not known_call(call_sid) or not valid_entry_id(entry_id):
        return missing(call_sid)
    fields = stored_entry(kind, entry_id)
    if fields is None or fields.get("call_sid") != call_sid:
        return missing(call_sid)
    return render_template("console/event.html", call_sid=call_sid, kind=kind, entry_id=entry_id,
                           shown=shown(payload_of(fields)))

