"""Retention with consumer groups on a real redis-server: nothing unread is trimmed, writes past
the backlog limit are refused with nothing written, and the backlog is visible."""

import pytest
import requests
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from burki_sip import create_app
from burki_sip.cli import Session, main
from burki_sip.calls.backlog import stream_states
from burki_sip.calls.consumer import Consumer
from burki_sip.calls.delivery import ConsumerSettings
from burki_sip.calls.events import BacklogFullError
from burki_sip.calls.keys import Keys
from burki_sip.calls.store import CallStore, Transition
from support import Gunicorn

pytestmark = pytest.mark.integration

STREAM = "burki:sip:events:status"
MAXLEN, BACKLOG = 20, 100


@pytest.fixture
def app(real_redis):
    real_redis.config_set("stream-node-max-entries", 10)  # so approximate trimming shows at 20
    yield create_app({"TESTING": True, "SIP_EVENTS_MAXLEN": MAXLEN,
                      "SIP_EVENTS_MAX_BACKLOG": BACKLOG}, redis_client=real_redis)
    real_redis.config_set("stream-node-max-entries", 100)


def post(client, n):
    return client.post("/sip-status", data={"CallSid": f"call-{n}", "CallStatus": "ringing"},
                       headers={"Idempotency-Key": f"delivery-{n}"})


def catch_up(real_redis, handled):
    consumer = Consumer(real_redis, Keys(), ConsumerSettings("status", "billing", "b1", block_ms=10))
    while consumer.poll(lambda event: handled.append(event.id)):
        pass


def test_a_group_nobody_reads_loses_nothing_and_refuses_past_the_limit(app, real_redis):
    real_redis.xgroup_create(STREAM, "billing", "$", mkstream=True)
    client = app.test_client()
    answers = {n: post(client, n) for n in range(10 * MAXLEN)}

    accepted = [n for n, answer in answers.items() if answer.status_code == 200]
    assert accepted == list(range(BACKLOG))
    kept = {entry_id for entry_id, _ in real_redis.xrange(STREAM)}
    assert {answers[n].get_json()["event_id"] for n in accepted} <= kept  # none trimmed
    for n in range(BACKLOG, 10 * MAXLEN):
        assert answers[n].status_code == 503 and answers[n].headers["Retry-After"].isdigit()
        assert "backlog full" in answers[n].get_json()["error"]
        assert not real_redis.exists(f"burki:sip:call:{{call-{n}}}:status",
                                     f"burki:sip:call:{{call-{n}}}:delivery:status:delivery-{n}")
    assert real_redis.xlen(STREAM) == BACKLOG

    handled = []
    catch_up(real_redis, handled)
    retried = {n: post(client, n) for n in range(BACKLOG, 2 * BACKLOG)}  # the providers retry
    assert all(answer.status_code == 200 for answer in retried.values())
    catch_up(real_redis, handled)
    every_answered = [a.get_json()["event_id"] for a in [*answers.values(), *retried.values()]
                      if a.status_code == 200]
    assert sorted(handled) == sorted(every_answered)
    post(client, "after")  # the next write trims what the group acknowledged, MAXLEN kept
    assert MAXLEN <= real_redis.xlen(STREAM) < 2 * BACKLOG


def test_acknowledged_entries_are_trimmed_down_to_maxlen_unread_ones_never(app, real_redis):
    real_redis.xgroup_create(STREAM, "billing", "$", mkstream=True)
    client, handled = app.test_client(), []
    for n in range(60):
        post(client, n)
    catch_up(real_redis, handled)  # all 60 acknowledged
    unread = [post(client, n).get_json()["event_id"] for n in range(60, 90)]

    kept = [entry_id for entry_id, _ in real_redis.xrange(STREAM)]
    assert set(unread) <= set(kept)
    assert len(kept) < 60 + 30  # acknowledged ones went


def test_without_groups_the_stream_is_capped_at_maxlen_as_before(app, real_redis):
    client = app.test_client()
    for n in range(10 * MAXLEN):
        assert post(client, n).status_code == 200
    assert MAXLEN <= real_redis.xlen(STREAM) < 3 * MAXLEN


def test_the_backlog_is_visible_in_metrics_and_events_groups(app, real_redis):
    real_redis.xgroup_create(STREAM, "billing", "$", mkstream=True)
    client = app.test_client()
    for n in range(BACKLOG + 5):
        post(client, n)
    real_redis.xreadgroup("billing", "b1", {STREAM: ">"}, count=3)  # 3 pending
    real_redis.xadd(STREAM + ":dead", {"dead_error": "boom"})

    samples = [sample for family in text_string_to_metric_families(
        client.get("/metrics").get_data(as_text=True)) for sample in family.samples]
    labels = {"stream": "status", "group": "billing"}

    def value(name, **match):
        [found] = [s.value for s in samples if s.name == name and s.labels == match]
        return found
    assert value("burki_sip_events_unacknowledged", **labels) == BACKLOG
    assert value("burki_sip_events_pending", **labels) == 3
    assert value("burki_sip_events_oldest_unacknowledged_age_seconds", **labels) >= 0
    assert value("burki_sip_events_dead_lettered", stream="status") == 1
    assert value("burki_sip_events_refused_total", stream="status") >= 5
    assert value("burki_sip_events_backlog_up") == 1

    output = CliRunner().invoke(main, ["events", "groups"],
                                obj=Session(app.extensions["burki_sip"])).output
    assert "status: 100 entries, 1 dead-lettered, 1 group(s)" in output
    assert "  billing: 100 unacknowledged (3 pending, 97 not delivered), oldest " in output


def test_a_cluster_checks_the_backlog_before_the_call_keys(cluster_redis):
    store = CallStore(cluster_redis, Keys(), events_maxlen=MAXLEN, streams_in_script=False,
                      events_max_backlog=5)
    cluster_redis.xgroup_create(STREAM, "billing", "$", mkstream=True)
    for n in range(5):
        store.record_event("status", {"n": n}, "application/json", f"c{n}", f"d{n}",
                           Transition("ringing"))
    with pytest.raises(BacklogFullError):
        store.record_event("status", {"n": 5}, "application/json", "c5", "d5",
                           Transition("ringing"))
    assert not cluster_redis.exists("burki:sip:call:{c5}:status")
    assert not cluster_redis.exists("burki:sip:call:{c5}:delivery:status:d5")
    assert cluster_redis.xlen(STREAM) == 5
    [status] = [state for state in stream_states(cluster_redis, Keys()) if state.kind == "status"]
    assert [(g.group, g.unacknowledged) for g in status.groups] == [("billing", 5)]


def test_gunicorn_workers_show_the_backlog_once_and_add_up_refusals(redis_server, real_redis,
                                                                    tmp_path):
    real_redis.xgroup_create(STREAM, "billing", "$", mkstream=True)
    service = Gunicorn(redis_server.url, workers=2, SIP_EVENTS_MAXLEN="2",
                       SIP_EVENTS_MAX_BACKLOG="3",
                       PROMETHEUS_MULTIPROC_DIR=str(tmp_path)).start()
    try:
        codes = [requests.post(f"{service.url}/sip-status", timeout=10,
                               json={"call_sid": f"g{n}", "status": "ringing"}).status_code
                 for n in range(8)]
        text = requests.get(f"{service.url}/metrics", timeout=10).text
    finally:
        service.stop()

    assert codes == [200] * 3 + [503] * 5
    samples = [(s.name, s.labels, s.value) for family in text_string_to_metric_families(text)
               for s in family.samples]
    assert ("burki_sip_events_refused_total", {"stream": "status"}, 5.0) in samples
    assert [s for s in samples if s[0] == "burki_sip_events_unacknowledged"] == [
        ("burki_sip_events_unacknowledged", {"stream": "status", "group": "billing"}, 3.0)]
