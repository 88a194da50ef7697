"""``rediss://`` against a real TLS redis-server whose certificate no system trusts."""

import pytest

from burki_sip import create_app
from certs import make_certificates

pytestmark = pytest.mark.integration


def prewarm(redis_tls, **settings):
    app = create_app({"TESTING": True, "REDIS_URL": redis_tls.tls_url, **settings})
    return app.test_client().post("/sip-prewarm", json={"call_sid": "tls-1"})


def test_certificate_is_checked_by_default(redis_tls, tls_redis, caplog):
    response = prewarm(redis_tls)

    assert response.status_code == 503
    assert response.json == {"error": "storage unavailable, retry later"}
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text
    assert tls_redis.exists("burki:sip:call:{tls-1}:context") == 0


def test_required_is_the_same_as_the_default(redis_tls, tls_redis):
    assert prewarm(redis_tls, REDIS_SSL_CERT_REQS="required").status_code == 503


def test_cert_reqs_none_accepts_a_self_signed_certificate(redis_tls, tls_redis):
    response = prewarm(redis_tls, REDIS_SSL_CERT_REQS="none")

    assert response.status_code == 200
    assert tls_redis.exists("burki:sip:call:{tls-1}:context") == 1


def test_trusted_ca_keeps_checking_on(redis_tls, tls_redis, tls_certificates):
    response = prewarm(redis_tls, REDIS_SSL_CA_CERTS=str(tls_certificates.ca))

    assert response.status_code == 200
    assert tls_redis.exists("burki:sip:call:{tls-1}:context") == 1


def test_a_different_ca_is_refused_even_when_configured(redis_tls, tls_redis, tmp_path):
    other = make_certificates(tmp_path)  # a CA that did not sign the server's certificate

    assert prewarm(redis_tls, REDIS_SSL_CA_CERTS=str(other.ca)).status_code == 503
