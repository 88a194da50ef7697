"""The asyncio store over ``rediss://``, with the same certificate settings as the service."""

import asyncio

import pytest
import redis

from burki_sip.calls import CallStore, Keys, open_async_store

pytestmark = pytest.mark.integration


@pytest.fixture
def tls_call(tls_redis):
    """Call tls-1 prewarmed on the TLS server (over its plain TCP port)."""
    CallStore(tls_redis, Keys()).save_context({"call_sid": "tls-1"})


def claim_over_tls(redis_tls, **settings):
    async def main():
        async with open_async_store({"REDIS_URL": redis_tls.tls_url, **settings}) as store:
            return await store.claim("tls-1", owner="stream-a")
    return asyncio.run(main())


def test_a_private_ca_is_trusted_when_configured(redis_tls, tls_call, tls_certificates):
    assert claim_over_tls(redis_tls, REDIS_SSL_CA_CERTS=str(tls_certificates.ca)).claimed


def test_the_certificate_is_checked_by_default(redis_tls, tls_call):
    with pytest.raises(redis.ConnectionError) as raised:
        claim_over_tls(redis_tls)
    assert "CERTIFICATE_VERIFY_FAILED" in str(raised.value)


def test_cert_reqs_none_accepts_a_self_signed_certificate(redis_tls, tls_call):
    assert claim_over_tls(redis_tls, REDIS_SSL_CERT_REQS="none").owner == "stream-a"
