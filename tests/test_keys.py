import pytest

from burki_sip.calls.keys import Keys


def test_call_keys_share_the_call_sid_hash_tag():
    keys = Keys()
    assert keys.context("sip-1") == "burki:sip:call:{sip-1}:context"


def test_events_keys():
    keys = Keys("staging:sip")
    assert keys.events("webhook") == "staging:sip:events:webhook"
    assert keys.events("status") == "staging:sip:events:status"
    with pytest.raises(ValueError):
        keys.events("other")


def test_health_key_is_under_the_prefix():
    assert Keys("p").health() == "p:health:readyz"
