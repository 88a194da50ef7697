"""The event entry schema (``Event``), the consumer's bookkeeping, and the backlog answer (fake)."""

import json

import pytest

from burki_sip.calls.consumer import Consumer
from burki_sip.calls.delivery import ConsumerSettings, Delivery
from burki_sip.calls.intake import ConsumerState
from burki_sip.calls.events import SCHEMA_VERSION, Event, EventFormatError, block_ms_for
from burki_sip.calls.keys import Keys
from burki_sip.calls.store import Transition

ENTRY = {"schema": "1", "received_at": "2026-04-30T12:00:00.000Z", "call_sid": "CA1",
         "content_type": "application/x-www-form-urlencoded",
         "payload": '{"CallSid":"CA1","CallStatus":"ringing"}', "request_id": "req-1",
         "delivery_id": "msg_1", "provider": "twilio", "provider_call_id": "CA1",
         "status": "ringing", "applied": "true", "unattributed": "true"}


def test_an_entry_parses_into_its_typed_fields():
    event = Event.parse("status", "1-0", ENTRY)

    assert event == Event(id="1-0", kind="status", schema="1",
                          received_at="2026-04-30T12:00:00.000Z",
                          content_type="application/x-www-form-urlencoded",
                          payload={"CallSid": "CA1", "CallStatus": "ringing"}, call_sid="CA1",
                          provider="twilio", provider_call_id="CA1", request_id="req-1",
                          delivery_id="msg_1", status="ringing", applied=True,
                          extra={"unattributed": "true"})
    assert json.loads(json.dumps(event.as_dict()))["payload"]["CallStatus"] == "ringing"


def test_a_webhook_entry_without_optional_fields_parses_them_as_none():
    event = Event.parse("webhook", "2-0", {"received_at": "t", "content_type": "application/json",
                                           "payload": "{}"})
    assert (event.schema, event.call_sid, event.status, event.applied, event.extra) == (
        "0", None, None, None, {})  # written before the schema field existed


@pytest.mark.parametrize(("change", "message"), [
    ({"payload": None}, "lacks payload"),
    ({"received_at": None}, "lacks received_at"),
    ({"payload": "{not json"}, "payload is not JSON"),
    ({"payload": "[1]"}, "payload is not a JSON object"),
    ({"applied": "yes"}, "applied is 'yes'"),
])
def test_a_malformed_entry_is_refused_with_the_reason(change, message):
    fields = {name: value for name, value in {**ENTRY, **change}.items() if value is not None}
    with pytest.raises(EventFormatError, match=message):
        Event.parse("status", "3-0", fields)


def test_every_new_entry_follows_the_schema(store, any_redis):
    store.record_event("status", {"call_sid": "CA1", "status": "ringing"}, "application/json",
                       "CA1", "msg_9", Transition("ringing"),
                       extra={"request_id": "req-9", "provider": "bridge"})
    [(entry_id, fields)] = any_redis.xrange("burki:sip:events:status")
    event = Event.parse("status", entry_id, fields)
    assert (event.schema, event.delivery_id, event.request_id, event.provider, event.applied) == (
        SCHEMA_VERSION, "msg_9", "req-9", "bridge", True)


class Client:
    def __init__(self, **kwargs):
        self.kwargs = kwargs

    def get_connection_kwargs(self):
        return self.kwargs


@pytest.mark.parametrize(("timeout", "block_ms"), [(2.0, 1000), (1.0, 500), (0.1, 50),
                                                   (None, 1000)])
def test_blocking_reads_end_before_the_socket_timeout(timeout, block_ms):
    assert block_ms_for(Client(socket_timeout=timeout)) == block_ms


def test_own_failures_are_due_after_the_retry_delay_and_forgotten_once_gone():
    state = ConsumerState(Keys(), ConsumerSettings("status", "g", "c", retry_delay=2.0))
    rows = [{"message_id": "1-0", "time_since_delivered": 2500, "times_delivered": 2},
            {"message_id": "2-0", "time_since_delivered": 500, "times_delivered": 1}]
    assert state.own_idle_ms() == 0  # first: whatever was left pending before a restart
    assert state.own_due(rows, 0) == (["1-0", "2-0"], 500)

    state.failed(Delivery("1-0", {}, 3), RuntimeError("boom"))
    state.errors["9-0"] = "old"
    assert state.own_due(rows, 2000) == (["1-0"], 2500)
    assert set(state.errors) == {"1-0"}  # 9-0 is no longer pending: handled elsewhere
    assert [d.deliveries for d in state.deliveries([("1-0", {"a": "b"})], rows)] == [3]


def test_an_entry_is_dead_after_max_deliveries_failed_with_its_last_error():
    state = ConsumerState(Keys(), ConsumerSettings("status", "billing", "c1", max_deliveries=3))
    state.failed(Delivery("5-0", {"payload": "{}"}, 3), ValueError("bad customer"))
    assert not state.is_dead(Delivery("5-0", {}, 3))
    dead = Delivery("5-0", {"payload": "{}"}, 4)
    assert state.is_dead(dead)
    fields = state.dead_fields(dead)
    assert {name: fields[name] for name in ("payload", "dead_entry_id", "dead_group",
                                            "dead_deliveries", "dead_error")} == {
        "payload": "{}", "dead_entry_id": "5-0", "dead_group": "billing",
        "dead_deliveries": "3", "dead_error": "bad customer"}


@pytest.mark.parametrize("kind", ["status", "webhook"])
def test_a_full_backlog_is_a_503_with_retry_after_and_writes_nothing(app, fake_redis, client,
                                                                     kind):
    app.extensions["burki_sip"].events_max_backlog = 2
    fake_redis.xgroup_create(f"burki:sip:events:{kind}", "billing", "$", mkstream=True)
    answers = [client.post(f"/sip-{kind}", json={"call_sid": f"c{n}", "status": "ringing",
                                                 "event": "inbound_call"},
                           headers={"Idempotency-Key": f"k{n}"}) for n in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 503]
    assert answers[2].headers["Retry-After"] == "10"
    assert answers[2].get_json() == {"error": f"{kind} events backlog full: 2 entries not yet "
                                              "acknowledged, retry later"}
    assert fake_redis.exists("burki:sip:call:{c1}:status")  # an inbound webhook opens the call
    assert not fake_redis.exists("burki:sip:call:{c2}:status",
                                 f"burki:sip:call:{{c2}}:delivery:{kind}:k2")


def test_a_consumer_restarted_under_its_name_goes_on_where_it_stopped(store, any_redis):
    """On fakeredis as on every real topology: the development Redis and the unit tests alike."""
    ids = [store.record_event("status", {"n": n}, "application/json", f"c{n}").event_id
           for n in range(3)]
    settings = ConsumerSettings("status", "billing", "b1", from_start=True, block_ms=1,
                                max_deliveries=1)
    handled = []
    first = Consumer(any_redis, Keys(), settings)
    assert first.ensure_group() is True
    first.poll(lambda event: handled.append(event.id), stop=lambda: len(handled) == 1)

    restarted = Consumer(any_redis, Keys(), settings)
    assert restarted.ensure_group() is False  # the group was there: no error, nothing reset
    restarted.poll(lambda event: handled.append(event.id))
    assert handled == ids and any_redis.xlen("burki:sip:events:status:dead") == 0


def test_events_without_a_subcommand_still_shows_them(runner, app):
    app.extensions["burki_sip"].record_event("webhook", {"n": 1}, "application/json", "c1")
    assert '{"n":1}' in runner.invoke(args=["events", "webhook"]).output
    assert "consume" in runner.invoke(args=["events", "--help"]).output


def test_recovery_pages_through_own_pending_and_leaves_new_failures_to_the_retry_delay():
    state = ConsumerState(Keys(), ConsumerSettings("status", "g", "c", batch=2))
    page = [{"message_id": f"{n}-0", "time_since_delivered": 10, "times_delivered": 1}
            for n in (1, 2)]
    assert state.own_start() == "-" and state.own_due(page, 0)[0] == ["1-0", "2-0"]
    state.failed(Delivery("1-0", {}, 2), RuntimeError("boom"))
    assert state.recovering and state.own_start() == "(2-0"  # a full page: more may follow
    last = [{"message_id": "3-0", "time_since_delivered": 10, "times_delivered": 1}]
    assert state.own_due(last, 0)[0] == ["3-0"]
    assert not state.recovering and state.own_start() == "-"
    assert state.own_idle_ms() is None  # 1-0 waits for its retry delay


def test_consumer_settings_follow_the_service_settings():
    from burki_sip.config import load

    config = load({"REDIS_SOCKET_TIMEOUT": "0.5", "SIP_EVENTS_MAXLEN": "500"})
    options = ConsumerSettings.from_config(config, "status", "billing", "b1", max_deliveries=9,
                                           claim_idle=30)
    assert (options.claim_idle, options.block_ms, options.dead_maxlen, options.max_deliveries) == (
        30.0, 250, 500, 9)
    # The takeover time is each consumer's option, not the service's: the environment has no say.
    assert ConsumerSettings.from_config(load({"SIP_EVENTS_CLAIM_IDLE": "30"}), "status", "billing",
                                        "b1").claim_idle == 60.0
