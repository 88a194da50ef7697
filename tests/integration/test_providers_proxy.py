"""Provider signatures through a real proxy in front of real gunicorn.

The proxy is what a platform's edge does: the provider calls ``https://api.burki.dev/...``; the
proxy terminates that, and calls gunicorn on ``http://127.0.0.1:<port>`` with another Host,
adding ``X-Forwarded-Proto``/``-Host``/``-For``. The URL gunicorn sees is not the URL the provider
signed, so the signature verifies only from ``SIP_PUBLIC_URL``, or from the forwarded headers
when ``TRUSTED_PROXY_COUNT`` trusts the proxy.
"""

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from provider_signers import (JAMBONZ_SECRET, PLIVO_TOKEN, TWILIO_TOKEN, VONAGE_SECRET, jambonz,
                              plivo, query_payload, twilio, vonage)
from providers_support import FORM, QUERY, fixture
from support import Gunicorn

pytestmark = pytest.mark.integration

PUBLIC_HOST = "api.burki.dev"


class RewritingProxy(ThreadingHTTPServer):
    """Forwards every POST to gunicorn, rewriting scheme and host as an HTTPS edge does."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class ProxyHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's naming)
        self.forward(self.rfile.read(int(self.headers["Content-Length"])))

    def do_GET(self):  # noqa: N802
        self.forward(None)

    def forward(self, body: bytes | None):
        headers = {name: value for name, value in self.headers.items()
                   if name.lower() not in ("host", "content-length", "connection")}
        headers.update({"X-Forwarded-Proto": "https", "X-Forwarded-Host": PUBLIC_HOST,
                        "X-Forwarded-For": self.client_address[0]})
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=10)
        upstream.request(self.command, self.path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.getheader("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    def log_message(self, *args):
        pass


def behind_proxy(redis_url: str, **env: str):
    service = Gunicorn(redis_url, workers=1, **env).start()
    proxy = RewritingProxy(service.port)
    proxy.thread.start()
    return service, proxy


@pytest.fixture(scope="module")
def with_public_url(module_redis_server):
    """Twilio and Plivo signatures checked against SIP_PUBLIC_URL; the proxy is not trusted.
    Vonage's and jambonz's sign no URL, only what a GET carries in it."""
    service, proxy = behind_proxy(module_redis_server.url, TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
                                  PLIVO_AUTH_TOKEN=PLIVO_TOKEN,
                                  VONAGE_SIGNATURE_SECRET=VONAGE_SECRET,
                                  JAMBONZ_WEBHOOK_SECRET=JAMBONZ_SECRET,
                                  SIP_PUBLIC_URL=f"https://{PUBLIC_HOST}")
    yield service, proxy
    proxy.shutdown()
    proxy.server_close()
    service.stop()


@pytest.fixture(scope="module")
def with_trusted_proxy(module_redis_server):
    """No SIP_PUBLIC_URL: the URL comes from the one trusted proxy's forwarded headers."""
    service, proxy = behind_proxy(module_redis_server.url, TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
                                  TRUSTED_PROXY_COUNT="1")
    yield service, proxy
    proxy.shutdown()
    proxy.server_close()
    service.stop()


def signed_post(base: str, provider: str, signer, query: str = "", signed_url: str = ""):
    route, raw, _ = fixture(provider, "status-completed")
    headers = signer(signed_url or f"https://{PUBLIC_HOST}{route}{query}", raw, FORM)
    return requests.post(base + route + query, data=raw, timeout=10,
                         headers={**headers, "Content-Type": FORM})


@pytest.mark.parametrize(("provider", "signer"), [("twilio", twilio), ("plivo", plivo)])
def test_through_the_proxy_a_signature_verifies_against_the_public_url(with_public_url, provider,
                                                                       signer):
    _, proxy = with_public_url
    answer = signed_post(proxy.url, provider, signer, query="?tenant=acme&leg=a")
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "completed"


def test_a_signature_for_the_internal_url_is_refused(with_public_url):
    service, proxy = with_public_url
    answer = signed_post(proxy.url, "twilio", twilio,
                         signed_url=f"http://127.0.0.1:{service.port}/sip-status")
    assert answer.status_code == 401
    assert f"https://{PUBLIC_HOST}/sip-status" in answer.json()["error"]


def test_a_trusted_proxy_forwards_the_scheme_and_host_that_were_signed(with_trusted_proxy):
    service, proxy = with_trusted_proxy
    assert signed_post(proxy.url, "twilio", twilio).status_code == 200
    # Straight to gunicorn nobody rewrote anything: the URL it sees is not the signed one.
    assert signed_post(service.url, "twilio", twilio).status_code == 401


@pytest.mark.parametrize(("provider", "signer"), [("twilio", twilio), ("plivo", plivo),
                                                  ("vonage", vonage), ("jambonz", jambonz)])
def test_a_signed_get_goes_through_the_proxy_and_gunicorn(with_public_url, provider, signer):
    _, proxy = with_public_url
    route, raw, _ = fixture(provider, "status-completed.query")
    target = f"{route}?tenant=acme&{raw.decode()}"  # the callback URL's own query, then the fields
    headers = signer(f"https://{PUBLIC_HOST}{target}", query_payload(target.partition("?")[2]),
                     QUERY)
    answer = requests.get(proxy.url + target, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "completed"
    tampered = requests.get(proxy.url + target.replace("completed", "busy"), headers=headers,
                            timeout=10)
    assert tampered.status_code == 401, tampered.text
