"""Provider fixtures (tests/fixtures/providers/<provider>/<route>-<step>.<form|json>) posted as the
provider posts them, and helpers to read back what was stored.

``status-*`` files are status callbacks (``/sip-status``), ``webhook-*`` files call hooks and
call-control events (``/sip-webhook``); ``.form`` is one URL-encoded line, ``.json`` a JSON body,
``.query`` the query string of a GET (jambonz's and Vonage's hooks sent with GET). Where they come
from: docs/providers.md and each provider's SOURCES.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "providers"
FORM = "application/x-www-form-urlencoded"
QUERY = "GET"  # a fixture sent with GET, its fields in the URL's query string
# LiveKit posts its webhooks with this media type (livekit-api's WebhookReceiver expects it).
MEDIA = {"livekit": "application/webhook+json"}


def fixture(provider: str, name: str, suffix: str | None = None) -> tuple[str, bytes, str]:
    """(route, raw body, content type) of one fixture, ``name`` without its extension: the
    posted one where a ``.query`` one shares its name, unless ``suffix`` (or ``name.query``) says
    which. A ``.query`` one has no body but its query string, and ``QUERY`` for content type."""
    if name.endswith(".query"):  # the GET one, by its file name
        name, suffix = name.removesuffix(".query"), ".query"
    named = [p for p in (FIXTURES / provider).iterdir() if p.stem == name]
    [path] = ([p for p in named if p.suffix == suffix] if suffix else
              [p for p in named if p.suffix != ".query"] or named)
    route = "/sip-status" if name.startswith("status-") else "/sip-webhook"
    body = path.read_bytes().strip()
    if path.suffix == ".form":
        return route, body, FORM
    if path.suffix == ".query":
        return route, body, QUERY
    return route, body, MEDIA.get(provider, "application/json")


def fields(body: bytes) -> dict[str, str]:
    """A URL-encoded body as a flat dict (the fixtures send each field once)."""
    return {name: values[0] for name, values in
            parse_qs(body.decode(), keep_blank_values=True).items()}


def post(client, provider: str, name: str, query: str = "", headers: dict | None = None,
         body: bytes | None = None, suffix: str | None = None):
    """Send one fixture (or ``body`` in its place) to its route as the provider sends it: POSTed,
    or a ``.query`` one with GET, ``query``'s parameters after the provider's."""
    route, raw, content_type = fixture(provider, name, suffix)
    raw = raw if body is None else body
    if content_type == QUERY:
        extra = "&" + query.lstrip("?") if query else ""
        return client.get(f"{route}?{raw.decode()}{extra}", headers=headers or {})
    return client.post(route + query, data=raw, content_type=content_type, headers=headers or {})


def last_entry(app, kind: str) -> dict:
    """The newest entry of the ``webhook`` or ``status`` stream, with its payload decoded."""
    store = app.extensions["burki_sip"]
    [(_, entry)] = store.client.xrevrange(store.keys.events(kind), count=1)
    return {**entry, "payload": json.loads(entry["payload"])}
