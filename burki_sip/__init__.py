"""burki-sip: the backend side of the Burki SIP bridge (``calls`` the core, ``web`` the service).

``create_app`` imports the web layer only when called, so importing the core does not load it.
"""


def create_app(config=None, redis_client=None):
    """Build the web app; see ``burki_sip.web.app.create_app``."""
    from .web.app import create_app as build

    return build(config, redis_client)
