"""Claims in the sync store: on fakeredis, one redis-server, a Redis Cluster and Sentinel."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from burki_sip.calls import ALREADY_CLAIMED, CLAIMED, MISSING, CallStore, Keys, Lifetimes
from burki_sip.calls.connection import is_cluster
from burki_sip.calls.lifecycle import status_view
from burki_sip.calls.store import Transition
from support import wait_until

CONTEXT_KEY, STATUS_KEY = "burki:sip:call:{c1}:context", "burki:sip:call:{c1}:status"


@pytest.fixture
def prewarmed(store):
    """``store`` with call c1 prewarmed."""
    store.save_context({"call_sid": "c1", "agenda": "support"})
    return store


def test_first_owner_gets_the_context_and_a_token(prewarmed):
    claim = prewarmed.claim("c1", owner="stream-a")

    assert (claim.outcome, claim.claimed) == (CLAIMED, True)
    assert claim.context["agenda"] == "support"
    assert claim.token and claim.owner == "stream-a" and claim.claimed_at.endswith("Z")


def test_another_owner_is_told_who_holds_it_and_since_when(prewarmed):
    first = prewarmed.claim("c1", owner="stream-a")
    other = prewarmed.claim("c1", owner="stream-b")

    assert (other.outcome, other.already_claimed) == (ALREADY_CLAIMED, True)
    assert (other.owner, other.claimed_at) == ("stream-a", first.claimed_at)
    assert other.context is None and other.token is None


def test_the_same_owner_claims_again_with_the_same_token(prewarmed):
    first = prewarmed.claim("c1", owner="stream-a")
    again = prewarmed.claim("c1", owner="stream-a")

    assert again.claimed and again == first


def test_never_prewarmed_is_missing(store):
    claim = store.claim("never", owner="stream-a")
    assert (claim.outcome, claim.missing, claim.context) == (MISSING, True, None)
    assert store.load_status("never") == (None, -2)  # a missing claim writes nothing


def test_expired_context_is_missing_even_when_it_was_claimed(prewarmed, any_redis):
    prewarmed.claim("c1", owner="stream-a")
    any_redis.pexpire(CONTEXT_KEY, 1)
    wait_until(lambda: not any_redis.exists(CONTEXT_KEY), timeout=5, what="context expired")

    assert prewarmed.claim("c1", owner="stream-a").missing
    assert prewarmed.claim("c1", owner="stream-b").missing


def test_release_lets_another_owner_claim(prewarmed):
    first = prewarmed.claim("c1", owner="stream-a")

    assert prewarmed.release("c1", first.token) is True
    second = prewarmed.claim("c1", owner="stream-b")
    assert second.claimed and second.token != first.token
    assert prewarmed.claim("c1", owner="stream-a").owner == "stream-b"


def test_release_after_a_reconnect_lets_the_same_owner_claim_anew(prewarmed):
    first = prewarmed.claim("c1", owner="stream-a")
    prewarmed.release("c1", first.token)

    again = prewarmed.claim("c1", owner="stream-a")
    assert again.claimed and again.token != first.token


def test_release_with_a_token_that_holds_nothing_changes_nothing(prewarmed):
    first = prewarmed.claim("c1", owner="stream-a")

    assert prewarmed.release("c1", "not-the-token") is False
    assert prewarmed.release("never", first.token) is False
    assert prewarmed.claim("c1", owner="stream-b").already_claimed
    assert prewarmed.release("c1", first.token) is True
    assert prewarmed.release("c1", first.token) is False  # already released


def test_claims_without_an_owner_are_each_their_own(prewarmed):
    first = prewarmed.claim("c1")
    assert first.claimed and first.owner.startswith("anonymous-")
    assert prewarmed.claim("c1").already_claimed


def test_claim_context_still_hands_the_context_out_once(prewarmed):
    assert prewarmed.claim_context("c1")["agenda"] == "support"
    assert prewarmed.claim_context("c1") is None
    assert prewarmed.claim_context("never") is None
    assert prewarmed.inspect_context("c1")[2] is True


@pytest.mark.parametrize("owner", ["", "x" * 129, "tab\there", 7])
def test_an_owner_must_be_short_printable_text(prewarmed, owner):
    with pytest.raises(ValueError, match="owner must be 1 to 128 printable characters"):
        prewarmed.claim("c1", owner=owner)


def test_the_claim_and_its_release_are_in_the_call_s_timeline(prewarmed):
    prewarmed.record_event("status", {}, "application/json", "c1", transition=Transition("ringing"))
    claim = prewarmed.claim("c1", owner="stream-a")
    prewarmed.release("c1", claim.token)

    view = status_view("c1", prewarmed.load_status("c1")[0])
    assert set(view["timeline"]) == {"ringing", "claimed", "released"}
    assert view["timeline"]["claimed"] == claim.claimed_at
    assert view["claimed_by"] == "stream-a" and claim.token not in str(view)


def test_the_timeline_places_claims_among_the_statuses_by_time():
    at = "2026-04-30T12:00:0{}.000Z".format
    state = {"status": "completed", "released_at": at(8), "completed_at": at(9),
             "claimed_at": at(2), "in-progress_at": at(3), "ringing_at": at(1)}
    assert list(status_view("c1", state)["timeline"]) == [
        "ringing", "claimed", "in-progress", "released", "completed"]


def test_a_claim_before_any_callback_opens_the_status_with_the_idle_ttl(any_redis, keys):
    store = CallStore(any_redis, keys, Lifetimes(prewarm_ttl=300, idle_ttl=2000),
                      streams_in_script=not is_cluster(any_redis))
    store.save_context({"call_sid": "c1"})
    store.claim("c1", owner="stream-a")

    assert 1990 <= any_redis.ttl(STATUS_KEY) <= 2000
    store.record_event("status", {}, "application/json", "c1", transition=Transition("ringing"))
    assert any_redis.hget(STATUS_KEY, "status") == "ringing"
    assert any_redis.hget(STATUS_KEY, "claimed_by") == "stream-a"


def test_a_claim_lasts_at_least_as_long_as_its_context(any_redis, keys):
    store = CallStore(any_redis, keys, Lifetimes(prewarm_ttl=3000, idle_ttl=100))
    store.save_context({"call_sid": "c1"})
    store.claim("c1", owner="stream-a")
    assert 2990 <= any_redis.ttl(STATUS_KEY) <= 3000


def test_the_claim_ends_with_the_call_s_retention(any_redis, keys):
    store = CallStore(any_redis, keys, Lifetimes(retention=5000), streams_in_script=False)
    store.save_context({"call_sid": "c1"})
    store.claim("c1", owner="stream-a")
    store.record_event("status", {}, "application/json", "c1", transition=Transition("completed"))

    assert 4990 <= any_redis.ttl(STATUS_KEY) <= 5000
    assert store.claim("c1", owner="stream-b").owner == "stream-a"


@pytest.mark.integration
def test_fifty_threads_claiming_one_call_give_it_to_exactly_one(real_redis):
    store = CallStore(real_redis, Keys())
    store.save_context({"call_sid": "c1", "agenda": "support"})
    start = Barrier(50)

    def claim(n):
        start.wait()
        return store.claim("c1", owner=f"stream-{n}")

    with ThreadPoolExecutor(50) as pool:
        claims = list(pool.map(claim, range(50)))

    winners = [claim for claim in claims if claim.claimed]
    assert len(winners) == 1 and winners[0].context["agenda"] == "support"
    assert {claim.owner for claim in claims} == {winners[0].owner}
    assert all(claim.already_claimed for claim in claims if claim is not winners[0])
