"""The API page a person opens: Swagger UI at ``/docs/`` on ``/openapi.json``; ``/`` leads there.

Swagger UI's files come from the flask-swagger-ui package, so the page works offline. The app's
``templates/index.template.html`` replaces the package's page (Flask looks in the app's templates
first) to start Swagger UI from ``static/docs.js``, not an inline script, under a strict
Content-Security-Policy. Like ``/openapi.json`` it needs no credentials.
"""

from __future__ import annotations

from flask import Flask, redirect, url_for
from flask_swagger_ui import get_swaggerui_blueprint

# Swagger UI sets inline styles (no code runs from a style); nothing from another origin.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:", "connect-src 'self'", "base-uri 'none'", "form-action 'none'",
    "frame-ancestors 'none'"))
SWAGGER_UI = {
    "app_name": "burki-sip API",
    "validatorUrl": None,  # Swagger UI would otherwise send the document to an online validator
}


def home():
    """The front page: the API page."""
    return redirect(url_for("swagger_ui.show"))


def secured(response):
    """``after_request`` of the page and its files: the Content-Security-Policy."""
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def init_app(app: Flask) -> None:
    """Serve the page at ``/docs/`` (``/docs`` redirects there) and ``/`` as a link to it."""
    page = get_swaggerui_blueprint("/docs", "/openapi.json", config=SWAGGER_UI)
    page.after_request(secured)
    app.register_blueprint(page)
    app.add_url_rule("/", "home", home)
