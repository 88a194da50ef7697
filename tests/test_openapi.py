import pytest
from openapi_spec_validator import validate

from burki_sip import create_app
from burki_sip.web.apidoc import doc
from burki_sip.web.openapi import build, openapi_path
from burki_sip.web.openapi_parts import BRIDGE_AUTH
from burki_sip.web.responses import HealthSchema
from burki_sip.web.schemas import TWILIO_STATUS_FIELDS, PrewarmSchema, StatusSchema


@pytest.fixture
def document(client) -> dict:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def undocumented(app, document: dict) -> list[str]:
    """Every ``METHOD /path`` of the app's URL map that the document does not describe."""
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
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


def test_a_route_without_doc_is_reported(fake_redis):
    app = create_app({"TESTING": True}, redis_client=fake_redis)
    app.add_url_rule("/secret-admin/<int:n>", "secret", lambda n: "", methods=["DELETE"])
    assert undocumented(app, build(app)) == ["DELETE /secret-admin/<int:n>"]


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


def test_security_schemes_are_declared(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert (schemes["apiKeyAuth"]["in"], schemes["apiKeyAuth"]["name"]) == ("header", "X-API-Key")


def test_rule_arguments_become_path_parameters():
    assert openapi_path("/sip-status/<call_sid>") == "/sip-status/{call_sid}"
    assert openapi_path("/a/<int:n>/<path:rest>") == "/a/{n}/{rest}"


def test_the_document_is_built_once_per_app(client):
    assert client.get("/openapi.json").get_json() is not None
    first = client.application.extensions["burki_sip.openapi"]
    client.get("/openapi.json")
    assert client.application.extensions["burki_sip.openapi"] is first


def test_a_new_route_needs_only_its_doc(fake_redis):
    app = create_app({"TESTING": True}, redis_client=fake_redis)

    @doc({200: HealthSchema}, errors=(404,), security=BRIDGE_AUTH, tags=("calls",))
    def call(call_sid):
        """One call.

        More about it.
        """

    app.add_url_rule("/calls/<call_sid>", "call", call)
    operation = build(app)["paths"]["/calls/{call_sid}"]["get"]

    [parameter, request_id] = operation["parameters"]
    assert (parameter["name"], parameter["in"], parameter["required"]) == ("call_sid", "path", True)
    assert parameter["schema"]["pattern"] == "^[!-z|~]+$"
    assert request_id == {"$ref": "#/components/parameters/RequestId"}
    assert operation["security"] == [{"bearerAuth": []}, {"apiKeyAuth": []}]
    assert (operation["summary"], operation["description"]) == ("One call.", "More about it.")
    assert set(operation["responses"]) == {"200", "404"}
