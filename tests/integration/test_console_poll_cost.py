"""What the calls list's poll costs a real redis-server under traffic: the commands it sends.

The figures are printed and go in docs/console.md; the asserts hold what does not depend on
the machine (which commands, how many), never a time.
"""

import base64
import time

import pytest

from burki_sip import create_app
from burki_sip.calls.store import Transition

pytestmark = pytest.mark.integration

LOGIN = {"Authorization": "Basic " + base64.b64encode(b"operator:poll-cost-pw").decode()}
HISTORY, NEW = 1500, 5  # calls recorded before the page was drawn, and in one poll's interval


def record(store, call_sid, *statuses):
    for status in statuses:
        store.record_event("status", {"call_sid": call_sid, "status": status},
                           "application/json", call_sid, None, Transition(status))


def measured(client, web, query):
    """The poll's answer, the commands it sent by name, and its time in ms."""
    client.config_resetstat()
    started = time.perf_counter()
    answer = web.get(f"/console/live?{query}", headers=LOGIN).get_json()
    took = (time.perf_counter() - started) * 1000
    sent = {name.removeprefix("cmdstat_"): stat["calls"]
            for name, stat in client.info("commandstats").items()}
    sent.pop("config|resetstat", None)
    return answer, sent, took


def test_a_list_poll_under_traffic_reads_only_what_was_recorded_since(real_redis):
    app = create_app({"TESTING": True, "SIP_CONSOLE_USERS": "operator:poll-cost-pw"},
                     redis_client=real_redis)
    store, web = app.extensions["burki_sip"], app.test_client()
    for number in range(HISTORY):
        store.save_context({"call_sid": f"old-{number}", "from_number": "+15550001111"})
        record(store, f"old-{number}", "ringing", "in-progress", "completed")
    drawn = web.get("/console/live", headers=LOGIN).get_json()["after"]
    for number in range(NEW):
        record(store, f"new-{number}", "ringing", "in-progress")

    whole, whole_sent, whole_ms = measured(real_redis, web, "")  # every poll, before
    news, news_sent, news_ms = measured(real_redis, web, f"after={drawn}")
    _, rare_sent, rare_ms = measured(real_redis, web, "status=busy")  # a filter matching none
    print(f"\nwhole list: {sum(whole_sent.values())} commands {whole_sent}, {whole_ms:.1f} ms"
          f"\nwith status=busy: {sum(rare_sent.values())} commands, {rare_ms:.1f} ms"
          f"\nsince after: {sum(news_sent.values())} commands {news_sent}, {news_ms:.1f} ms")

    newest_first = [f"new-{number}" for number in reversed(range(NEW))]
    assert [call["call_sid"] for call in news["calls"]] == newest_first
    assert "html" in whole and "rows" in news
    assert news_sent["xrevrange"] == 2  # the streams' heads: no walk back through the streams
    assert news_sent["xrange"] == 1 + 2 * NEW  # the new entries, then the new calls' by id
    assert news_sent["hgetall"] == NEW  # only the calls those entries name are read
    assert whole_sent["hgetall"] >= 50 and whole_sent["xrevrange"] > 2
