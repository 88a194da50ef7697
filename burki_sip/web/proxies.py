"""The trusted-proxy rule: where a request's client address comes from (``TRUSTED_PROXY_COUNT``)."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def trust_proxies(app: Flask) -> None:
    """Take the client address, scheme and host from ``X-Forwarded-*`` only as deep as
    ``TRUSTED_PROXY_COUNT``.

    With 0 (the default) the headers are ignored, so a caller cannot choose its own address; with
    N, werkzeug's ``ProxyFix`` takes the N-th value from the right, the one the outermost trusted
    proxy saw (Heroku's router is one proxy: 1). Scheme and host make the URL providers signed
    when ``SIP_PUBLIC_URL`` is unset (``providers.guard.public_url``).
    """
    count = app.config.get("TRUSTED_PROXY_COUNT") or 0
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count,
                                x_port=0, x_prefix=0)
