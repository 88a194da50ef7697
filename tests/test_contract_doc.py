"""docs/contract.md describes every route the app serves, and the README points to it."""

import pytest

from support import ROOT

CONTRACT = (ROOT / "docs" / "contract.md").read_text()


def served_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":  # Flask's default static folder; the app has none
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield f"`{method} {rule.rule}`"


def test_every_route_is_in_the_contract(app):
    missing = [route for route in served_routes(app) if route not in CONTRACT]
    assert missing == [], "describe these in docs/contract.md"


@pytest.mark.parametrize("phrase", ['{"error": "call_sid required"}', "Retry-After: 1",
                                    "`OPTIONS`", "X-Request-ID", "duplicate"])
def test_the_contract_states_the_shared_rules(phrase):
    assert phrase in CONTRACT


def test_the_readme_links_the_contract_not_an_outside_page():
    readme = (ROOT / "README.md").read_text()
    assert "(docs/contract.md)" in readme
    assert "../shared" not in readme and "sip-endpoints.md" not in readme
