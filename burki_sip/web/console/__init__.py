"""The operator console: recent calls and each call's timeline as pages, read-only.

On exactly when ``SIP_CONSOLE_USERS`` names its logins: without them the blueprint is not
registered at all, so ``/console`` is the app's plain 404. When on, every route of the blueprint
(its static files too) needs one of those logins over HTTP Basic, checked by the blueprint's own
``before_request``: the bridge's keys open nothing here, and a console login opens no SIP route.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, current_app, render_template, request

from ..providers.guard import basic_digests, basic_matches

log = logging.getLogger(__name__)

EXTENSION = "burki_sip.console"
REALM = 'Basic realm="burki-sip console", charset="UTF-8"'
# Pages and their data never leave the browser's memory, and are never framed or fetched elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "img-src 'self'; connect-src 'self'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static")


@bp.before_request
def login_required():
    """401 with a Basic challenge unless the request carries a console login."""
    if basic_matches(current_app.extensions[EXTENSION], request.headers):
        return None
    if request.authorization is not None:
        log.warning("console login refused from %s", request.remote_addr)
    body = render_template("console/denied.html")
    return current_app.response_class(body, 401, {"WWW-Authenticate": REALM},
                                      mimetype="text/html")


@bp.after_request
def secure_headers(response):
    """The console's pages are private to the operator's tab."""
    response.headers.update(SECURITY_HEADERS)
    return response


def init_app(app: Flask) -> None:
    """Serve the console when ``SIP_CONSOLE_USERS`` gives it logins."""
    users = app.config.get("SIP_CONSOLE_USERS")
    if not users:
        return
    app.extensions[EXTENSION] = basic_digests(users)
    app.register_blueprint(bp)


from . import views  # noqa: E402,F401  (the routes, on ``bp``)
