"""``rediss://`` against a real TLS redis-server whose certificate no system trusts."""

import pytest

from burki_sip import create_app
from certs import make_certificates
from support import RedisServer, free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """A private CA and a certificate for 127.0.0.1 it signed, like a managed Redis's own."""
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_redis(certificates):
    """A redis-server with TLS on one port (for the app) and plain TCP on another (to inspect)."""
    tls_port = free_port()
    server = RedisServer(None, "--tls-port", str(tls_port), "--tls-cert-file",
                         str(certificates.cert), "--tls-key-file", str(certificates.key),
                         "--tls-ca-cert-file", str(certificates.ca), "--tls-auth-clients", "no")
    server.tls_url = f"rediss://127.0.0.1:{tls_port}/0"
    server.start()
    yield server
    server.stop()


@pytest.fixture
def inspect(tls_redis):
    """A plain client of the same server, flushed before and after the test."""
    with tls_redis.flushed_client() as client:
        yield client


def prewarm(tls_redis, **settings):
    app = create_app({"TESTING": True, "REDIS_URL": tls_redis.tls_url, **settings})
    return app.test_client().post("/sip-prewarm", json={"call_sid": "tls-1"})


def test_certificate_is_checked_by_default(tls_redis, inspect, caplog):
    response = prewarm(tls_redis)

    assert response.status_code == 503
    assert response.json == {"error": "storage unavailable, retry later"}
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text
    assert inspect.exists("burki:sip:call:{tls-1}:context") == 0


def test_required_is_the_same_as_the_default(tls_redis, inspect):
    assert prewarm(tls_redis, REDIS_SSL_CERT_REQS="required").status_code == 503


def test_cert_reqs_none_accepts_a_self_signed_certificate(tls_redis, inspect):
    response = prewarm(tls_redis, REDIS_SSL_CERT_REQS="none")

    assert response.status_code == 200
    assert inspect.exists("burki:sip:call:{tls-1}:context") == 1


def test_trusted_ca_keeps_checking_on(tls_redis, inspect, certificates):
    response = prewarm(tls_redis, REDIS_SSL_CA_CERTS=str(certificates.ca))

    assert response.status_code == 200
    assert inspect.exists("burki:sip:call:{tls-1}:context") == 1


def test_a_different_ca_is_refused_even_when_configured(tls_redis, inspect, tmp_path):
    other = make_certificates(tmp_path)  # a CA that did not sign the server's certificate

    assert prewarm(tls_redis, REDIS_SSL_CA_CERTS=str(other.ca)).status_code == 503
