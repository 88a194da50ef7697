import re

import pytest
from openapi_spec_validator import validate

from burki_sip import create_app
from burki_sip.web import auth
from burki_sip.web.blueprint import Blueprint, errors
from burki_sip.web.health import HealthSchema
from burki_sip.web.openapi import EXTENSION
from burki_sip.web.openapi_components import BRIDGE_AUTH
from burki_sip.web.schemas import (TWILIO_STATUS_FIELDS, CallPathSchema, PrewarmSchema,
                                   StatusSchema)

# Pages for people, not API operations: the Swagger UI page with its files, and ``/`` leading to it.
PAGES = ("static", "home", "swagger_ui.")


@pytest.fixture
def document(client) -> dict:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def openapi_path(rule: str) -> str:
    """A werkzeug rule (``/calls/<call_sid>``) as an OpenAPI path (``/calls/{call_sid}``)."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def undocumented(app, document: dict) -> list[str]:
    """Every ``METHOD /path`` of the app's URL map that the document does not describe."""
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(PAGES):
            continue
        operations = document["paths"].get(openapi_path(rule.rule), {})
        missing += [f"{method} {rule.rule}" for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
                    if method.lower() not in operations]
    return missing


def test_document_is_valid_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_route_of_the_app_is_described(app, document):
    assert undocumented(app, document) == []
    assert {"/sip-prewarm", "/sip-prewarm/{call_sid}", "/sip-webhook", "/sip-status",
            "/sip-status/{call_sid}", "/healthz", "/readyz", "/metrics",
            "/openapi.json"} <= set(document["paths"])


def test_a_route_outside_the_documented_blueprints_is_reported(fake_redis):
    app = create_app({"TESTING": True}, redis_client=fake_redis)
    app.add_url_rule("/secret-admin/<int:n>", "secret", lambda n: "", methods=["DELETE"])
    document = app.test_client().get("/openapi.json").get_json()
    assert undocumented(app, document) == ["DELETE /secret-admin/<int:n>"]


def test_prewarm_body_is_the_validating_schema(document):
    body = document["paths"]["/sip-prewarm"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Prewarm"}
    prewarm = document["components"]["schemas"]["Prewarm"]
    assert set(prewarm["properties"]) == set(PrewarmSchema().fields)
    assert prewarm["required"] == ["call_sid"]
    assert prewarm["properties"]["call_sid"]["maxLength"] == 128
    assert prewarm["properties"]["assistant_id"]["type"] == ["integer", "null"]
    assert "object" in prewarm["properties"]["variables"]["type"]


def test_status_body_is_the_status_schema_under_either_names(document):
    body = document["paths"]["/sip-status"]["post"]["requestBody"]["content"]
    assert body["application/x-www-form-urlencoded"]["schema"] == {"anyOf": [
        {"$ref": "#/components/schemas/Status"}, {"$ref": "#/components/schemas/TwilioStatus"}]}
    schemas = document["components"]["schemas"]
    assert set(schemas["Status"]["properties"]) == set(StatusSchema().fields)
    twilio = schemas["TwilioStatus"]
    assert set(twilio["properties"]) == set(TWILIO_STATUS_FIELDS)
    assert twilio["required"] == ["CallSid"]
    for twilio_name, name in TWILIO_STATUS_FIELDS.items():
        assert twilio["properties"][twilio_name] == schemas["Status"]["properties"][name]


def test_deliveries_document_their_dedupe_headers(document):
    for path in ("/sip-webhook", "/sip-status"):
        names = {parameter.get("name") for parameter in
                 document["paths"][path]["post"]["parameters"]}
        assert {"webhook-id", "Idempotency-Key"} <= names


def test_provider_endpoints_take_json_or_forms(document):
    for path in ("/sip-webhook", "/sip-status"):
        content = document["paths"][path]["post"]["requestBody"]["content"]
        assert {"application/json", "application/x-www-form-urlencoded"} <= set(content)


@pytest.mark.parametrize(("path", "codes"), [
    ("/sip-prewarm", {"200", "400", "401", "403", "413", "415", "503"}),
    ("/sip-webhook", {"200", "400", "401", "403", "413", "415", "503"}),
    ("/readyz", {"200", "503"}),
])
def test_error_answers_share_the_error_shape(document, path, codes):
    operation = next(iter(document["paths"][path].values()))
    assert set(operation["responses"]) == codes
    for code in codes - {"200"}:
        name = operation["responses"][code]["$ref"].rsplit("/", 1)[1]
        answer = document["components"]["responses"][name]
        assert answer["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"}
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"] and set(error["properties"]) == {"error", "fields"}


def test_every_error_status_has_a_component(document):
    described = {name for name in document["components"]["responses"]}
    assert {"BadRequest", "NotFound", "MethodNotAllowed", "PayloadTooLarge",
            "UnsupportedMediaType", "ServiceUnavailable"} <= described


def test_the_503_answer_names_every_cause_and_its_retry_after(document):
    from burki_sip.calls.drivers import ACK_TIMEOUT_MS
    from burki_sip.web.erasure_jobs import BUSY_RETRY_AFTER_SECONDS, MAX_RUNNING
    from burki_sip.web.errors import BACKLOG_RETRY_AFTER_SECONDS, RETRY_AFTER_SECONDS

    answer = document["components"]["responses"]["ServiceUnavailable"]
    text = answer["description"]
    for cause in ("Redis is unreachable", "REDIS_SOCKET_TIMEOUT", "maxmemory", "OOM",
                  "REDIS_ACK_REPLICAS", f"{ACK_TIMEOUT_MS} ms", "SIP_EVENTS_MAX_BACKLOG",
                  f"already runs {MAX_RUNNING}", "too many erasures running"):
        assert cause in text, cause
    for seconds in {RETRY_AFTER_SECONDS, BACKLOG_RETRY_AFTER_SECONDS, BUSY_RETRY_AFTER_SECONDS}:
        assert f"Retry-After {seconds}" in text
    assert set(answer["headers"]) == {"Retry-After", "X-Request-ID"}


def test_security_schemes_are_declared(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert (schemes["apiKeyAuth"]["in"], schemes["apiKeyAuth"]["name"]) == ("header", "X-API-Key")


def test_a_new_route_documents_itself_from_its_decorators(fake_redis):
    bp = auth.guarded(Blueprint("calls", __name__))

    @bp.get("/calls/<call_sid>")
    @bp.arguments(CallPathSchema(), location="path", as_kwargs=True)
    @bp.response(200, HealthSchema)
    @errors(400, 404)
    def call(call_sid):
        """One call.

        More about it.
        """
        return {"status": "ok", "not": "in the schema"}

    app = create_app({"TESTING": True}, redis_client=fake_redis)
    app.extensions[EXTENSION].register_blueprint(bp)
    client = app.test_client()
    operation = client.get("/openapi.json").get_json()["paths"]["/calls/{call_sid}"]["get"]

    [parameter, request_id] = operation["parameters"]
    assert (parameter["name"], parameter["in"], parameter["required"]) == ("call_sid", "path", True)
    assert parameter["schema"]["pattern"] == "^[!-z|~]+$"
    assert request_id == {"$ref": "#/components/parameters/RequestId"}
    assert operation["security"] == BRIDGE_AUTH  # the blueprint is guarded
    assert (operation["summary"], operation["description"]) == ("One call.", "More about it.")
    assert set(operation["responses"]) == {"200", "400", "401", "403", "404"}
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Health"}
    # What is documented is what runs: the path is checked, the answer serialised by the schema.
    assert client.get("/calls/CA1").get_json() == {"status": "ok"}
    refused = client.get("/calls/a%20b")
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "invalid field: call_sid"
