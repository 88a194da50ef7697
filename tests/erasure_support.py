"""Traffic for the erasure tests, and everything a Redis holds as text.

``Traffic`` posts, through the app, one caller's calls in every provider format that carries a
number (the provider fixtures with the caller's number and call ids replaced), a prewarmed
bridge call with status callbacks, a prewarm alone and an unattributed webhook. ``World`` is
two callers' traffic, some of it dead-lettered through a real consumer, and a consumer group
half way through the status stream. ``dump`` reads every key and every stream entry back, so a
test can look for any byte of a number.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode

from burki_sip import create_app
from burki_sip.calls.consumer import Consumer
from burki_sip.calls.delivery import ConsumerSettings
from burki_sip.calls.keys import EVENT_KINDS, Keys
from burki_sip.web.providers import registry
from providers_support import FIXTURES, FORM, QUERY, fixture

# The caller's number in each provider's fixtures, as digits (with or without "+" around them).
CALLERS = {"twilio": ("14158675309",), "jambonz": ("441173185201",), "livekit": ("15105550100",),
           "plivo": ("14155551234",), "signalwire": ("12135877632", "13103384645"),
           "telnyx": ("35319605860",), "vonage": ("447700900000",)}
KEYS = Keys()
MINE, OTHER = "+14158675309", "+14155550100"
# Every form MINE is stored in holds these digits: +1..., 1..., %2B1..., sip:1...@, 0415..., 415...
TRACE = "4158675309"
STATUS = KEYS.events("status")
STREAMS = [key for kind in EVENT_KINDS for key in (KEYS.events(kind), KEYS.dead_letters(kind))]


def _replace(value, replacements: dict[str, str]):
    if isinstance(value, dict):
        return {name: _replace(item, replacements) for name, item in value.items()}
    if isinstance(value, list):
        return [_replace(item, replacements) for item in value]
    if isinstance(value, str):
        for old, new in replacements.items():
            value = value.replace(old, new)
    return value


def provider_posts(provider: str, digits: str, tag: str) -> tuple[list, set[str]]:
    """(route, body, content type) of each of a provider's fixtures as a call of ``digits``
    (the caller's number's digits), its provider call id suffixed with ``tag``; and those ids.
    A ``.query`` fixture's body is its query string, sent with GET (content type ``QUERY``)."""
    posts, ids = [], set()
    for path in sorted((FIXTURES / provider).glob("*-*.*")):
        if "-refused" in path.stem:  # a fixture the service must refuse: nothing is stored
            continue
        route, raw, content_type = fixture(provider, path.name if path.suffix == ".query"
                                           else path.stem)
        form = content_type in (FORM, QUERY)
        body = dict(parse_qsl(raw.decode(), keep_blank_values=True)) if form else json.loads(raw)
        call_id = registry.read(body, {}, form, provider)[1].call_id
        replacements = {caller: digits for caller in CALLERS[provider]}
        if call_id:
            replacements[str(call_id)] = f"{call_id}-{tag}"
            ids.add(f"{call_id}-{tag}")
        body = _replace(body, replacements)
        posts.append((route, urlencode(body).encode() if form else json.dumps(body).encode(),
                      content_type))
    return posts, ids


class Traffic:
    """One caller's calls (``calls``: every id they are known by) and what was posted."""

    def __init__(self, client, number: str, tag: str) -> None:
        self.client, self.number, self.tag, self.digits = client, number, tag, number[1:]
        self.calls: set[str] = set()
        self.delivery = 0

    def post(self, route: str, body, content_type: str = "application/json", query: str = ""):
        """POST through the app (GET with a ``QUERY`` body in the URL); every request carries a
        delivery id, so markers are made too."""
        self.delivery += 1
        headers = {"Idempotency-Key": f"{self.tag}-{self.delivery}"}
        data = body if isinstance(body, bytes) else json.dumps(body)
        if content_type == QUERY:
            answer = self.client.get(f"{route}{query}&{data.decode()}", headers=headers)
        else:
            answer = self.client.post(route + query, data=data, content_type=content_type,
                                      headers=headers)
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()

    def providers(self) -> None:
        """Every provider's fixtures as calls of this caller; every other provider's calls
        under the bridge's call_sid (``?call_sid=``), the others under the provider's id."""
        for n, provider in enumerate(sorted(CALLERS)):
            query = f"?provider={provider}"
            if n % 2:
                query += f"&call_sid={self.tag}-{provider}"
                self.calls.add(f"{self.tag}-{provider}")
            posts, ids = provider_posts(provider, self.digits, self.tag)
            self.calls.update(ids)
            for route, body, content_type in posts:
                answer = self.post(route, body, content_type, query)
                if answer.get("call_sid"):
                    self.calls.add(answer["call_sid"])

    def bridge(self) -> None:
        """A prewarmed call with the bridge's own callbacks (no number in them), a prewarm
        alone, and an unattributed webhook with the number in a SIP URI, national and encoded."""
        for call in (f"{self.tag}-bridge", f"{self.tag}-prewarm"):
            self.post("/sip-prewarm", {"call_sid": call, "from_number": self.number,
                                       "to_number": "+15550001111",
                                       "variables": {"customer_id": f"{self.tag}-customer"}})
            self.calls.add(call)
        for status in ("ringing", "in-progress", "completed"):
            self.post("/sip-status", {"call_sid": f"{self.tag}-bridge", "status": status})
        self.post("/sip-webhook", {"event": "note", "caller": f"sip:{self.digits}@pbx.example",
                                   "national": "0" + self.digits[1:],
                                   "link": f"https://x.example/cb?From=%2B{self.digits}"})

    def all(self) -> "Traffic":
        """All of it."""
        self.bridge()
        self.providers()
        return self


def dead_letter(client, kind: str, failing) -> None:
    """Dead-letter the entries ``failing(event)`` says, through a real consumer (one try each);
    the group acknowledges everything else."""
    settings = ConsumerSettings(kind, "billing", "billing-1", from_start=True, max_deliveries=1,
                                retry_delay=0.05, block_ms=10, batch=100)
    consumer = Consumer(client, KEYS, settings)

    def handle(event):
        if failing(event):
            raise RuntimeError("refused")

    consumer.ensure_group()
    while True:
        handled = consumer.poll(handle)
        [group] = [each for each in client.xinfo_groups(KEYS.events(kind))
                   if each["name"] == "billing"]
        if not handled and not group["pending"] and not group["lag"]:
            return


def dump(client) -> dict[str, str]:
    """Every key under the prefix and its value as text (a stream: every entry, in order)."""
    found = {}
    for key in client.scan_iter(match="burki:sip:*", count=1000):
        kind = client.type(key)
        if kind == "string":
            value = client.get(key)
        elif kind == "hash":
            value = json.dumps(client.hgetall(key), sort_keys=True)
        elif kind == "list":
            value = json.dumps(client.lrange(key, 0, -1))
        elif kind == "stream":
            value = json.dumps(client.xrange(key))
        else:
            raise AssertionError(f"{key} is a {kind}: the erasure tests do not know it")
        found[key] = value
    return found


class World:
    """Two callers' calls in every format, some dead-lettered, and a group half way through."""

    def __init__(self, client) -> None:
        self.client = client
        app = create_app({"TESTING": True}, redis_client=client)
        self.store, http = app.extensions["burki_sip"], app.test_client()
        self.mine, self.other = Traffic(http, MINE, "mine").all(), Traffic(http, OTHER, "other").all()
        for kind in EVENT_KINDS:
            dead_letter(client, kind, lambda event: event.provider in ("twilio", "vonage")
                        or (event.call_sid or "").endswith("-bridge"))
        half = client.xlen(STATUS) // 2
        self.records = Consumer(client, KEYS, ConsumerSettings("status", "records", "r-1",
                                                               from_start=True, batch=half,
                                                               block_ms=10))
        self.records.ensure_group()
        self.records.poll(lambda event: None)
        self.unread = [entry_id for entry_id, _ in client.xrange(STATUS)][half:]

    def read_on(self) -> list[Event]:
        """What the records group reads from where it was."""
        events = []
        while self.records.poll(events.append):
            pass
        return events


def text_of(found: dict[str, str]) -> str:
    return "\n".join(f"{key}\n{value}" for key, value in found.items())


def names(fields: dict, calls: set[str]) -> bool:
    return bool({fields.get("call_sid"), fields.get("provider_call_id")} & calls)


def untouched(found: dict[str, str], calls: set[str]) -> dict:
    """Every key and stream entry that neither holds the number nor belongs to ``calls``."""
    kept = {}
    for key, value in found.items():
        if key in STREAMS:
            kept[key] = [entry for entry in json.loads(value)
                         if TRACE not in json.dumps(entry) and not names(entry[1], calls)]
        elif KEYS.call_sid_of(key) not in calls and TRACE not in key + value:
            kept[key] = value
    return kept
