"""The asyncio store over ``rediss://``, with the same certificate settings as the service."""

import asyncio

import pytest
import redis

from burki_sip.calls import CallStore, Keys, open_async_store
from certs import make_certificates
from support import RedisServer, free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """A private CA and a certificate for 127.0.0.1 it signed."""
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_redis(certificates):
    """A redis-server with TLS on one port and plain TCP on another (to prewarm and inspect)."""
    tls_port = free_port()
    server = RedisServer(None, "--tls-port", str(tls_port), "--tls-cert-file",
                         str(certificates.cert), "--tls-key-file", str(certificates.key),
                         "--tls-ca-cert-file", str(certificates.ca), "--tls-auth-clients", "no")
    server.tls_url = f"rediss://127.0.0.1:{tls_port}/0"
    server.start()
    with server.flushed_client() as client:
        CallStore(client, Keys()).save_context({"call_sid": "tls-1"})
        yield server
    server.stop()


def claim_over_tls(tls_redis, **settings):
    async def main():
        async with open_async_store({"REDIS_URL": tls_redis.tls_url, **settings}) as store:
            return await store.claim("tls-1", owner="stream-a")
    return asyncio.run(main())


def test_a_private_ca_is_trusted_when_configured(tls_redis, certificates):
    assert claim_over_tls(tls_redis, REDIS_SSL_CA_CERTS=str(certificates.ca)).claimed


def test_the_certificate_is_checked_by_default(tls_redis):
    with pytest.raises(redis.ConnectionError) as raised:
        claim_over_tls(tls_redis)
    assert "CERTIFICATE_VERIFY_FAILED" in str(raised.value)


def test_cert_reqs_none_accepts_a_self_signed_certificate(tls_redis):
    assert claim_over_tls(tls_redis, REDIS_SSL_CERT_REQS="none").owner == "stream-a"
