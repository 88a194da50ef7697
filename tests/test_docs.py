"""The API page: Swagger UI from the installed package, on /openapi.json, under a strict CSP."""

import json
import re
from html.parser import HTMLParser

import pytest

from burki_sip import create_app
from security_support import KEY


class Scripts(HTMLParser):
    """The page's ``<script>`` elements: their ``src`` (``None`` for an inline one)."""

    def __init__(self):
        super().__init__()
        self.sources, self.config = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.sources.append(attrs.get("src"))
        if attrs.get("id") == "swagger-ui":
            self.config = json.loads(attrs["data-config"])


@pytest.fixture
def page(client):
    response = client.get("/docs/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    scripts = Scripts()
    scripts.feed(response.get_data(as_text=True))
    return response, scripts


def test_the_front_page_and_docs_lead_to_the_page(client):
    assert client.get("/").headers["Location"] == "/docs/"
    assert client.get("/docs").headers["Location"].endswith("/docs/")


def test_swagger_ui_comes_from_the_service_and_reads_the_document(client, page):
    _, scripts = page
    assert None not in scripts.sources  # no inline script: the CSP forbids them
    assert all(source.startswith("/") for source in scripts.sources)  # nothing from the internet
    for source in [*scripts.sources, "/docs/swagger-ui.css"]:
        with client.get(source) as response:  # a file: closed when read
            assert response.status_code == 200
            assert response.mimetype in ("text/javascript", "text/css")
    assert scripts.config["url"] == "/openapi.json"
    assert scripts.config["validatorUrl"] is None  # Swagger UI would post the document online


def test_the_page_allows_no_inline_script_and_no_other_origin(page):
    response, _ = page
    policy = dict(directive.split(" ", 1) for directive in
                  response.headers["Content-Security-Policy"].split("; "))
    assert policy["script-src"] == "'self'" and policy["default-src"] == "'none'"
    assert not re.search(r"https?:|\*", response.headers["Content-Security-Policy"])


def test_the_page_is_open_like_the_document_it_shows(fake_redis):
    app = create_app({"TESTING": True, "SIP_INBOUND_API_KEYS": KEY}, redis_client=fake_redis)
    client = app.test_client()
    assert client.get("/docs/").status_code == 200
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/sip-status/CA1").status_code == 401


def test_a_missing_file_of_the_page_is_a_json_404(client):
    response = client.get("/docs/nothing-here.js")
    assert response.status_code == 404 and response.get_json() == {"error": "not found"}
