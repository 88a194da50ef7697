"""The data of the calls list: a page of it, and what its poll sends when anything was recorded."""

from __future__ import annotations

import time

from flask import request

from ...calls.keys import EVENT_KINDS
from ...calls.lifecycle import RANKS
from ..extension import get_store
from .calls import CallSummary, call_summary, page_of_calls, summaries, with_events
from .entries import calls_since, valid_entry_id
from .flags import STATUS_GROUPS, matcher
from .pages import known_call
from .present import row

PAGE_SIZE = 50
LISTING_ARGUMENTS = ("page", "q", "status")
# The poll reads at most this many new entries of each stream; with more, the page is drawn anew.
NEW_ENTRIES_LIMIT = 200


def listing_arguments() -> dict:
    """The request's listing arguments, and only those (url_for takes ``_scheme`` and the like)."""
    return {name: request.args[name] for name in LISTING_ARGUMENTS if name in request.args}


def wanted() -> tuple[int, str, str]:
    """The request's page number, search text and status word."""
    page = max(1, request.args.get("page", 1, type=int) or 1)
    return page, request.args.get("q", "")[:128], request.args.get("status", "")[:32]


def listing() -> dict:
    """The calls page's data for the request's ``page``, ``q`` and ``status`` arguments."""
    page, query, status = wanted()
    matches = matcher(query, status) if query or status else None
    found, looked = page_of_calls(get_store(), (page - 1) * PAGE_SIZE, PAGE_SIZE + 1, matches)
    if page == 1:
        found = named_first(query, matches, found)
    return {"rows": rows(found), "page": page, "page_size": PAGE_SIZE,
            "more": len(found) > PAGE_SIZE, "looked": looked if matches else None,
            "q": query, "status": status, "statuses": list(RANKS) + list(STATUS_GROUPS)}


def listing_update(after: str | None, heads: str) -> dict | None:
    """The rows of the calls recorded since ``after`` (the streams' ids the page was drawn
    with) up to ``heads``, newest first, and the call_sids among them that the page's filter
    no longer matches; ``None`` when the page must be drawn anew: not its first page, ``after``
    unreadable, or more than ``NEW_ENTRIES_LIMIT`` new entries in a stream."""
    page, query, status = wanted()
    since, until = stream_ids(after), stream_ids(heads)
    if page != 1 or since is None or until is None:
        return None
    store = get_store()
    news = calls_since(store, since, until, NEW_ENTRIES_LIMIT)
    if news is None:
        return None
    matches, found = matcher(query, status), summaries(store, news)
    shown = with_events(store, [call for call in found if matches(call)][:PAGE_SIZE])
    return {"rows": rows(named_first(query, matches, shown)),
            "removed": [call.call_sid for call in found if not matches(call)]}


def rows(found: list[CallSummary]) -> list[dict]:
    """The list's lines of the first ``PAGE_SIZE`` calls of ``found``."""
    now = time.time_ns() // 1_000_000
    return [row(call, now) for call in found[:PAGE_SIZE]]


def named_first(query: str, matches, found: list[CallSummary]) -> list[CallSummary]:
    """``found`` with the call ``query`` names exactly first, if anything is stored for it:
    found even when it has no event among the streams' newest entries (a call only prewarmed)."""
    query = query.strip()
    if not query:
        return found
    call = call_summary(get_store(), query) if known_call(query) else None
    named = [call] if call is not None and matches(call) else []
    return named + [other for other in found if other.call_sid != query]


def stream_heads() -> str:
    """The newest entry id of each stream, as one text: it changes when anything is recorded."""
    return ",".join(map(get_store().last_event_id, EVENT_KINDS))


def stream_ids(text: str | None) -> dict[str, str] | None:
    """``stream_heads``'s text read back, by stream; ``None`` when it is not one."""
    ids = (text or "").split(",")
    if len(ids) != len(EVENT_KINDS) or not all(map(valid_entry_id, ids)):
        return None
    return dict(zip(EVENT_KINDS, ids))

