"""The console's pages and their live documents: access, rendering, masking, flags, 404s."""

import base64

import pytest

from burki_sip import create_app

LOGIN = ("operator", "console-canary-pw")
BRIDGE_KEY = "bridge-canary-key-123"
FROM, TO = "+15559876543", "+15551234567"
CONSOLE = {"TESTING": True, "SIP_CONSOLE_USERS": f"{LOGIN[0]}:{LOGIN[1]}",
           "SIP_BRIDGE_API_KEY": BRIDGE_KEY}


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


OPERATOR = basic(*LOGIN)
BRIDGE = {"Authorization": f"Bearer {BRIDGE_KEY}"}


@pytest.fixture
def console(fake_redis):
    """A test client of the app with the console on."""
    return create_app(dict(CONSOLE), redis_client=fake_redis).test_client()


def prewarm(client, call_sid="CA1", **extra):
    body = {"call_sid": call_sid, "from_number": FROM, "to_number": TO, "outbound": False, **extra}
    assert client.post("/sip-prewarm", json=body, headers=BRIDGE).status_code == 200


def callback(client, call_sid, status, **facts):
    answer = client.post("/sip-status", json={"call_sid": call_sid, "status": status, **facts},
                         headers=BRIDGE)
    assert answer.status_code == 200
    return answer.get_json()


def page(client, path):
    response = client.get(path, headers=OPERATOR)
    return response.status_code, response.get_data(as_text=True)


def test_the_console_is_off_by_default(client):
    for path in ("/console", "/console/live", "/console/calls/CA1", "/console/static/console.js"):
        response = client.get(path, headers=OPERATOR)
        assert response.status_code == 404 and response.is_json


def test_a_bad_login_setting_is_refused_without_echoing_it(fake_redis):
    with pytest.raises(ValueError) as error:
        create_app({"SIP_CONSOLE_USERS": "opsecret-no-colon"}, redis_client=fake_redis)
    assert "SIP_CONSOLE_USERS" in str(error.value) and "opsecret" not in str(error.value)


@pytest.mark.parametrize("path", ["/console", "/console/live", "/console/calls/CA1",
                                  "/console/calls/CA1/live", "/console/static/console.css"])
@pytest.mark.parametrize("headers", [{}, basic("operator", "wrong"), basic("intruder", LOGIN[1]),
                                     BRIDGE, {"X-API-Key": BRIDGE_KEY}])
def test_without_a_console_login_every_route_is_401(console, path, headers):
    response = console.get(path, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Basic realm="burki-sip console"')
    assert "CA1" not in response.get_data(as_text=True)


def test_a_console_login_opens_no_sip_route(console):
    response = console.post("/sip-prewarm", json={"call_sid": "CA1"}, headers=OPERATOR)
    assert response.status_code == 401


def test_the_console_is_read_only(console):
    assert console.post("/console", headers=OPERATOR).status_code == 405
    assert console.delete("/console/calls/CA1", headers=OPERATOR).status_code == 405


def test_pages_forbid_framing_caching_and_outside_content(console):
    response = console.get("/console", headers=OPERATOR)
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "http" not in response.get_data(as_text=True).split("<body>")[0]  # nothing fetched


WALKS = {
    "queued": ["queued"], "initiated": ["initiated"], "ringing": ["ringing"],
    "early-media": ["ringing", "early-media"], "in-progress": ["ringing", "in-progress"],
    "completed": ["ringing", "in-progress", "completed"], "busy": ["ringing", "busy"],
    "no-answer": ["ringing", "no-answer"], "canceled": ["ringing", "canceled"],
    "failed": ["failed"],
}
GROUP = {"completed": "ok", "busy": "failed", "no-answer": "failed", "canceled": "failed",
         "failed": "failed"}


@pytest.mark.parametrize("final", list(WALKS))
def test_a_call_in_each_status_is_listed_and_drawn(console, final):
    prewarm(console, "CA-" + final)
    for status in WALKS[final]:
        callback(console, "CA-" + final, status)

    code, listing = page(console, "/console")
    assert code == 200
    assert f'data-status="{final}"' in listing
    assert f'status status-{GROUP.get(final, "live")}">{final}<' in listing
    code, timeline = page(console, f"/console/calls/CA-{final}")
    assert code == 200
    labels = [part.split('"')[0] for part in timeline.split('data-label="')[1:]]
    assert labels == ["prewarm", *WALKS[final]]
    live = console.get(f"/console/calls/CA-{final}/live", headers=OPERATOR).get_json()
    assert live["status"] == final and live["events"] == ["prewarm", *WALKS[final]]


def test_numbers_and_secrets_are_masked_everywhere(console):
    prewarm(console, variables={"api_token": "tok-canary", "note": f"bridge {BRIDGE_KEY}",
                                "callback": "+4915112345678"})
    console.post("/sip-webhook", headers=BRIDGE, json={
        "event": "inbound_call", "call_sid": "CA1", "from": FROM, "to": TO,
        "password": "pw-canary", "login": LOGIN[1]})
    _, timeline = page(console, "/console/calls/CA1")
    entry = timeline.split('/console/calls/CA1/events/webhook/')[1].split('"')[0]
    _, raw = page(console, f"/console/calls/CA1/events/webhook/{entry}")
    _, listing = page(console, "/console")

    for text in (listing, timeline, raw):
        for secret in (FROM, TO, "5559876543", "tok-canary", BRIDGE_KEY, "pw-canary", LOGIN[1],
                       "4915112345678"):
            assert secret not in text
    assert "+1******6543" in listing and "+1******4567" in timeline and "+1******6543" in raw
    assert "+49*******5678" in timeline and "[redacted]" in raw


def test_out_of_order_and_duplicate_callbacks(console):
    prewarm(console)
    for status, facts in [("in-progress", {}), ("ringing", {"sip_code": 180}),
                          ("in-progress", {}), ("completed", {"sip_code": 200, "reason": "bye"}),
                          ("busy", {"sip_code": 486})]:
        callback(console, "CA1", status, **facts)

    _, timeline = page(console, "/console/calls/CA1")
    events = timeline.split('<ol class="events">')[1]
    labels = [part.split('"')[0] for part in events.split('data-label="')[1:]]
    assert labels == ["prewarm", "in-progress", "ringing", "in-progress", "completed", "busy"]
    assert events.count("not applied") == 3 and events.count(">applied<") == 2
    assert "SIP 180" in events and "SIP 486" in events and "bye" in events
    _, listing = page(console, "/console")
    assert 'data-flag="refused"' in listing and 'data-flag="duplicates"' in listing


def test_an_unknown_call_is_a_404_page(console):
    for path in ("/console/calls/nobody", "/console/calls/bad%7Bsid%7D",
                 "/console/calls/nobody/events/status/1-0", "/console/calls/CA1/events/other/1-0"):
        code, body = page(console, path)
        assert code == 404 and "<h1>Not found</h1>" in body
    assert console.get("/console/calls/nobody/live", headers=OPERATOR).status_code == 404


def test_an_event_of_another_call_is_not_shown_under_this_one(console):
    prewarm(console, "CA1")
    event_id = callback(console, "CA2", "ringing")["event_id"]
    assert page(console, f"/console/calls/CA1/events/status/{event_id}")[0] == 404
    assert page(console, f"/console/calls/CA2/events/status/{event_id}")[0] == 200


def test_search_filter_and_pages(console):
    for number in range(55):
        prewarm(console, f"CA{number:03d}", from_number=f"+1555000{number:04d}")
        callback(console, f"CA{number:03d}", "ringing")
    callback(console, "CA007", "busy")  # now the call with the newest event: listed first

    _, first = page(console, "/console")
    assert first.count('class="call"') == 50 and first.index("CA054") < first.index("CA010")
    assert first.index("CA007") < first.index("CA054")
    _, second = page(console, "/console?page=2")
    assert second.count('class="call"') == 5 and "CA000" in second
    _, found = page(console, "/console?q=0042")
    assert found.count('class="call"') == 1 and "CA042" in found
    _, busy = page(console, "/console?status=busy")
    assert busy.count('class="call"') == 1 and "CA007" in busy
    _, sid = page(console, "/console?q=CA01")
    assert sid.count('class="call"') == 10


def test_the_live_rows_follow_new_callbacks(console):
    prewarm(console)
    webhook = {"event": "recording.ready", "call_sid": "CA1"}  # an event that sets no status
    assert console.post("/sip-webhook", json=webhook, headers=BRIDGE).status_code == 200
    before = console.get("/console/live", headers=OPERATOR).get_json()
    unchanged = console.get(f"/console/live?after={before['after']}", headers=OPERATOR).get_json()
    callback(console, "CA1", "ringing")
    after = console.get(f"/console/live?after={before['after']}", headers=OPERATOR).get_json()
    assert [c["status"] for c in before["calls"]] == ["none"]
    assert unchanged == {"after": before["after"]}  # nothing new: no rows read, none sent
    assert [c["status"] for c in after["calls"]] == ["ringing"]
    assert 'data-status="ringing"' in after["rows"] and after["after"] != before["after"]


def live(client, query=""):
    return client.get(f"/console/live?{query}", headers=OPERATOR).get_json()


def test_the_list_poll_sends_only_the_rows_of_calls_recorded_since(console):
    for call_sid in ("CA1", "CA2", "CA3"):
        callback(console, call_sid, "ringing")
    drawn = live(console)["after"]
    callback(console, "CA1", "in-progress")
    callback(console, "CA4", "ringing")
    update = live(console, f"after={drawn}")
    assert "html" not in update and update["removed"] == []
    assert [c["call_sid"] for c in update["calls"]] == ["CA4", "CA1"]  # newest first
    assert update["rows"].count('class="call"') == 2 and "CA2" not in update["rows"]
    assert 'data-call-sid="CA1" data-status="in-progress"' in update["rows"]
    assert live(console, f"after={update['after']}") == {"after": update["after"]}


def test_the_list_poll_names_the_calls_the_filter_no_longer_matches(console):
    for call_sid in ("CA1", "CA2"):
        callback(console, call_sid, "ringing")
    drawn = live(console, "status=ringing")["after"]
    callback(console, "CA1", "in-progress")
    callback(console, "CA3", "ringing")
    update = live(console, f"status=ringing&after={drawn}")
    assert update["removed"] == ["CA1"] and [c["call_sid"] for c in update["calls"]] == ["CA3"]


@pytest.mark.parametrize("query", ["page=2&after={drawn}", "", "after=", "after=nonsense",
                                   "after=1-0", "after=1-x,0-0", "after={drawn},0-0"])
def test_the_list_poll_draws_the_list_anew_when_it_cannot_tell_what_is_new(console, query):
    callback(console, "CA1", "ringing")
    drawn = live(console)["after"]
    callback(console, "CA2", "ringing")
    answer = live(console, query.format(drawn=drawn))
    assert "rows" not in answer and "<table" in answer["html"]


def test_more_new_entries_than_the_bound_draw_the_list_anew(console):
    from burki_sip.web.console.listing import NEW_ENTRIES_LIMIT
    drawn = live(console)["after"]
    for number in range(NEW_ENTRIES_LIMIT):
        callback(console, f"CA{number}", "ringing")
    within = live(console, f"after={drawn}")
    callback(console, "CA-one-more", "ringing")
    beyond = live(console, f"after={drawn}")
    assert "html" not in within and len(within["calls"]) == 50  # the page's length
    assert "rows" not in beyond and beyond["html"].count('class="call"') == 50


def test_entries_deleted_since_the_page_was_drawn_redraw_it(console, fake_redis):
    callback(console, "CA1", "ringing")
    newest = callback(console, "CA2", "ringing")["event_id"]
    drawn = live(console)["after"]
    fake_redis.xdel("burki:sip:events:status", newest)  # as an erasure of CA2 does
    answer = live(console, f"after={drawn}")
    assert "rows" not in answer and "CA2" not in answer["html"]


def test_an_erasure_since_the_page_was_drawn_redraws_it(console):
    """An erasure deletes the call's entries and then records its own entry: the streams only
    moved forward, but the erased call's row must go."""
    from burki_sip.calls.erasure import Erasure
    callback(console, "CA1", "ringing")
    callback(console, "CA2", "ringing")
    drawn = live(console)["after"]
    console.application.extensions["burki_sip"].erase(Erasure(call_sids=("CA2",)))
    answer = live(console, f"after={drawn}")
    assert "rows" not in answer and "CA2" not in answer["html"] and "CA1" in answer["html"]


def test_the_call_a_search_names_stays_first_in_the_poll_s_rows(console):
    callback(console, "CA1", "ringing")
    callback(console, "CA10", "ringing")
    drawn = live(console, "q=CA1")["after"]
    callback(console, "CA10", "in-progress")
    update = live(console, f"q=CA1&after={drawn}")
    assert [c["call_sid"] for c in update["calls"]] == ["CA1", "CA10"]


def test_the_call_page_poll_sends_only_what_changed(console):
    prewarm(console)
    callback(console, "CA1", "ringing")
    first = console.get("/console/calls/CA1/live", headers=OPERATOR).get_json()
    same = console.get(f"/console/calls/CA1/live?after={first['after']}", headers=OPERATOR)
    console.application.extensions["burki_sip"].claim("CA1", owner="stream-1")
    claimed = console.get(f"/console/calls/CA1/live?after={first['after']}", headers=OPERATOR)
    callback(console, "CA1", "in-progress")
    moved = console.get(f"/console/calls/CA1/live?after={claimed.get_json()['after']}",
                        headers=OPERATOR).get_json()
    assert first["events"] == ["prewarm", "ringing"]
    assert same.get_json() == {"after": first["after"]}
    assert claimed.get_json()["events"] == ["prewarm", "ringing", "claim"]
    assert moved["status"] == "in-progress" and moved["events"][-1] == "in-progress"


def test_a_call_only_prewarmed_is_found_by_its_call_sid_not_listed(console):
    prewarm(console, "CA-quiet")
    callback(console, "CA-busy", "ringing")
    _, listing = page(console, "/console")
    _, found = page(console, "/console?q=CA-quiet")
    code, timeline = page(console, "/console/calls/CA-quiet")
    assert "CA-quiet" not in listing and "CA-busy" in listing
    assert 'data-call-sid="CA-quiet"' in found and "CA-busy" not in found
    assert code == 200 and 'data-label="prewarm"' in timeline


def test_a_call_recorded_without_references_shows_its_status_times(console, fake_redis):
    """As a call written by a process older than the per-call references reads."""
    prewarm(console)
    prewarm(console, "CA-quiet")  # no status, no events: nothing to explain
    for status in ("ringing", "completed"):
        callback(console, "CA1", status)
    fake_redis.delete("burki:sip:call:{CA1}:events")
    code, timeline = page(console, "/console/calls/CA1")
    labels = [part.split('"')[0] for part in timeline.split('data-label="')[1:]]
    assert code == 200 and labels == ["prewarm", "ringing", "completed"]
    assert "keeps no list of its events" in timeline
    assert "keeps no list" not in page(console, "/console/calls/CA-quiet")[1]


def test_the_script_and_style_are_served_from_the_package(console):
    for name, kind in (("console.js", "javascript"), ("console.css", "css")):
        with console.get(f"/console/static/{name}", headers=OPERATOR) as response:
            assert response.status_code == 200 and kind in response.mimetype
            assert "http://" not in response.get_data(as_text=True)


def test_the_claim_is_a_moment_of_the_timeline(console):
    prewarm(console)
    console.application.extensions["burki_sip"].claim_context("CA1")
    callback(console, "CA1", "in-progress")
    _, timeline = page(console, "/console/calls/CA1")
    labels = [part.split('"')[0] for part in timeline.split('data-label="')[1:]]
    assert labels == ["prewarm", "claim", "in-progress"]
    assert 'data-flag="unclaimed"' not in timeline


def test_console_with_a_slash_leads_to_the_list(console):
    response = console.get("/console/", headers=OPERATOR)
    assert response.status_code == 302 and response.headers["Location"].endswith("/console")


@pytest.mark.parametrize("query", ["_method=DELETE", "_external=1&_scheme=javascript",
                                   "_anchor=x&q=CA1"])
def test_url_building_words_in_the_query_are_only_text(console, query):
    prewarm(console)
    status, html = page(console, f"/console?{query}")
    assert status == 200
    assert "javascript:" not in html and "_method" not in html and "_scheme" not in html


def test_the_call_page_says_how_the_context_met_the_stream(console):
    prewarm(console)
    assert console.post("/sip-prewarm/CA1/claim", json={"owner": "s"}, headers=BRIDGE).status_code == 200

    code, call = page(console, "/console/calls/CA1")
    assert code == 200
    assert '<small id="handoff">(ready ' in call and " ms before the stream asked)</small>" in call


def test_the_docs_give_the_list_s_limits_as_the_code_has_them():
    from pathlib import Path

    from burki_sip.web.console.entries import SCAN_LIMIT
    from burki_sip.web.console.listing import NEW_ENTRIES_LIMIT, PAGE_SIZE
    text = (Path(__file__).parents[1] / "docs" / "console.md").read_text()
    assert f"at most {NEW_ENTRIES_LIMIT} entries each (`NEW_ENTRIES_LIMIT`" in text
    assert f"more than {NEW_ENTRIES_LIMIT} new entries" in text
    assert f"up to {SCAN_LIMIT:,} of them" in text and f"{PAGE_SIZE} a page" in text
    assert f"keeps the page at {PAGE_SIZE} rows" in text
