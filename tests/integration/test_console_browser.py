"""The console in a real headless Chromium (Debian's), against the service under gunicorn.

Nothing is downloaded: Playwright drives the system browser through ``executable_path``.
"""

import os

import pytest
import requests

from support import Gunicorn, required_binary

pytestmark = pytest.mark.integration

USER, PASSWORD = "operator", "browser-canary-pw"
CALL, OTHER = "sip-browser-001", "sip-browser-002"
WAIT_MS = 15_000  # generous on a shared machine; each wait returns as soon as it holds


@pytest.fixture
def console_service(own_redis_server):
    """gunicorn with the console on, on a redis-server of the test's own."""
    server = Gunicorn(own_redis_server.url, workers=2,
                      SIP_CONSOLE_USERS=f"{USER}:{PASSWORD}").start()
    yield server
    server.stop()


@pytest.fixture
def browser():
    """Headless Chromium from the system (``chromium`` package), closed after the test."""
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM") or required_binary("chromium", "chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        yield browser
        browser.close()


def post(service, path, body):
    response = requests.post(service.url + path, json=body, timeout=5)
    assert response.status_code == 200, response.text


def listed(page):
    return page.locator("tr.call").evaluate_all("rows => rows.map(r => r.dataset.callSid)")


def test_the_console_follows_a_call_live_in_a_browser(console_service, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1100, "height": 700}, http_credentials={
        "username": USER, "password": PASSWORD, "origin": console_service.url})
    page = context.new_page()
    page.goto(console_service.url + "/console")
    assert page.locator("tr.empty").inner_text().startswith("No calls")
    page.evaluate("window.loadedOnce = true")  # gone if the page reloads
    page.evaluate("document.querySelector('tbody').dataset.kept = 'yes'")  # gone if redrawn whole

    post(console_service, "/sip-prewarm", {"call_sid": CALL, "from_number": "+15559876543",
                                           "to_number": "+15551234567", "outbound": False})
    for status in ("ringing", "in-progress", "completed"):  # listed from its first event on
        post(console_service, "/sip-status", {"call_sid": CALL, "status": status})
        page.wait_for_selector(f'tr[data-call-sid="{CALL}"][data-status="{status}"]',
                               timeout=WAIT_MS)
    assert page.evaluate("window.loadedOnce") is True
    assert not page.locator("tr.empty").is_visible()

    post(console_service, "/sip-status", {"call_sid": OTHER, "status": "ringing"})
    page.wait_for_selector(f'tr[data-call-sid="{OTHER}"]', timeout=WAIT_MS)
    assert listed(page) == [OTHER, CALL]  # a new call appears on top
    post(console_service, "/sip-webhook", {"call_sid": CALL, "event": "recording.ready"})
    page.wait_for_selector(f'tbody tr.call:first-child[data-call-sid="{CALL}"]', timeout=WAIT_MS)
    assert listed(page) == [CALL, OTHER]  # a new event moves its call to the top
    assert page.evaluate("window.loadedOnce") is True
    assert page.evaluate("document.querySelector('tbody').dataset.kept") == "yes"  # rows moved
    row = page.locator(f'tr[data-call-sid="{CALL}"]').inner_text()
    assert "+1******6543" in row and "5559876543" not in row
    page.screenshot(path=tmp_path / "console-calls.png", full_page=True)

    page.click(f'a[href="/console/calls/{CALL}"]')
    page.wait_for_selector("ol.events li", timeout=WAIT_MS)
    labels = page.locator("ol.events li").evaluate_all("items => items.map(i => i.dataset.label)")
    assert labels == ["prewarm", "ringing", "in-progress", "completed", "recording.ready"]
    assert page.locator("svg.axis g.mark").count() == 5

    page.evaluate("window.loadedOnce = true")
    post(console_service, "/sip-status", {"call_sid": CALL, "status": "ringing"})  # late
    page.wait_for_selector("ol.events li.not-applied[data-label=ringing]", timeout=WAIT_MS)
    assert page.evaluate("window.loadedOnce") is True
    page.screenshot(path=tmp_path / "console-call.png", full_page=True)

    phone = context.new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(console_service.url + "/console")
    phone.wait_for_selector(f'tr[data-call-sid="{CALL}"]', timeout=WAIT_MS)
    phone.screenshot(path=tmp_path / "console-calls-phone.png", full_page=True)
    phone.goto(f"{console_service.url}/console/calls/{CALL}")
    phone.wait_for_selector("ol.events li", timeout=WAIT_MS)
    phone.screenshot(path=tmp_path / "console-call-phone.png", full_page=True)
    context.close()
    assert all((tmp_path / name).stat().st_size > 5000 for name in (
        "console-calls.png", "console-call.png", "console-calls-phone.png",
        "console-call-phone.png"))


def test_over_http_the_console_needs_its_login(console_service):
    assert requests.get(console_service.url + "/console", timeout=5).status_code == 401
    assert requests.get(console_service.url + "/console", auth=(USER, PASSWORD),
                        timeout=5).status_code == 200


def test_off_by_default_under_gunicorn(service):
    response = requests.get(service.url + "/console", auth=(USER, PASSWORD), timeout=5)
    assert response.status_code == 404 and response.json() == {"error": "not found"}


def test_the_api_page_shows_the_sip_operations_offline(service, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    elsewhere, problems = [], []

    def only_the_service(route):
        if route.request.url.startswith(service.url + "/"):
            return route.continue_()
        elsewhere.append(route.request.url)  # the page must not need the internet
        return route.abort()

    page.route("**/*", only_the_service)
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(service.url + "/")  # the front page leads to the API page
    assert page.url == service.url + "/docs/"
    for path in ("/sip-prewarm", "/sip-webhook", "/sip-status", "/sip-status/{call_sid}"):
        page.wait_for_selector(f'.opblock-summary-path[data-path="{path}"]', timeout=WAIT_MS)
    page.click('.opblock-post .opblock-summary-path[data-path="/sip-prewarm"]')
    page.wait_for_selector(".opblock.is-open .body-param__example", timeout=WAIT_MS)
    assert '"call_sid"' in page.locator(".opblock.is-open .body-param__example").inner_text()
    page.screenshot(path=tmp_path / "api-page.png", full_page=True)
    assert (elsewhere, problems) == ([], [])  # nothing fetched outside, no CSP refusal, no error
    assert (tmp_path / "api-page.png").stat().st_size > 5000
