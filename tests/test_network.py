import ipaddress
import json

import pytest

from burki_sip import create_app
from burki_sip.network import address_allowed
from burki_sip.parsers import allowed_ips
from security_support import KEY, snapshot

BRIDGE = "52.21.157.171"  # the address the SIP bridge publishes for its signalling


@pytest.mark.parametrize(("address", "allowed"), [
    ("52.21.157.171", True),
    ("10.1.2.3", True),
    ("10.2.0.1", False),
    ("2001:db8::5", True),
    ("::ffff:52.21.157.171", True),  # an IPv4 client on a dual-stack socket
    ("127.0.0.1", False),
    ("not-an-address", False),
    (None, False),
    ("", False),
])
def test_addresses_and_ranges_are_matched(address, allowed):
    networks = allowed_ips(f"{BRIDGE}, 10.1.0.0/16 2001:db8::/32")
    assert address_allowed(address, networks) is allowed


def test_a_host_address_with_a_prefix_means_its_range():
    assert allowed_ips("10.0.0.7/24") == (ipaddress.ip_network("10.0.0.0/24"),)


@pytest.mark.parametrize("value", ["10.0.0.300", "bridge.example.com", "10.0.0.0/33"])
def test_a_bad_allow_list_stops_the_start_naming_the_setting(fake_redis, value):
    with pytest.raises(ValueError, match=f"SIP_ALLOWED_IPS={value!r} is invalid"):
        create_app({"SIP_ALLOWED_IPS": value}, redis_client=fake_redis)


def post_status(client, remote_addr, headers=None):
    return client.post("/sip-status", data=json.dumps({"call_sid": "CA1", "status": "ringing"}),
                       content_type="application/json", headers=headers or {},
                       environ_base={"REMOTE_ADDR": remote_addr})


def test_an_address_outside_the_list_is_403_before_authentication(fake_redis):
    app = create_app({"TESTING": True, "SIP_ALLOWED_IPS": BRIDGE, "SIP_BRIDGE_API_KEY": KEY},
                     redis_client=fake_redis)
    refused = post_status(app.test_client(), "203.0.113.9", {"X-API-Key": KEY})
    assert refused.status_code == 403
    assert "203.0.113.9 is not allowed" in refused.get_json()["error"]
    assert snapshot(fake_redis) == {}
    assert post_status(app.test_client(), BRIDGE).status_code == 401  # allowed, then the key
    assert post_status(app.test_client(), BRIDGE, {"X-API-Key": KEY}).status_code == 200


def test_the_list_guards_reads_as_well(fake_redis):
    app = create_app({"TESTING": True, "SIP_ALLOWED_IPS": BRIDGE}, redis_client=fake_redis)
    response = app.test_client().get("/sip-status/CA1",
                                     environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 403


@pytest.mark.parametrize(("proxies", "forwarded", "allowed"), [
    (0, BRIDGE, False),                     # header ignored by default: no spoofing
    (1, BRIDGE, True),                      # Heroku: the router appended the client address
    (1, f"{BRIDGE}, 198.51.100.7", False),  # the caller wrote the first entry itself
    (2, f"{BRIDGE}, 198.51.100.7", True),   # two trusted proxies
    (1, None, False),                       # no header: the TCP peer (the proxy) counts
])
def test_forwarded_for_counts_only_as_deep_as_the_trusted_proxies(fake_redis, proxies, forwarded,
                                                                  allowed):
    app = create_app({"TESTING": True, "SIP_ALLOWED_IPS": BRIDGE,
                      "TRUSTED_PROXY_COUNT": proxies}, redis_client=fake_redis)
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    response = post_status(app.test_client(), "10.9.9.9", headers)
    assert response.status_code == (200 if allowed else 403)
