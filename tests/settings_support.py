"""Bad values for every settings parser, and an environment without any burki-sip setting."""

from __future__ import annotations

import os

from burki_sip import config, credentials, parsers

# A value each parser refuses. A new parser needs one here (the test below says so).
BAD_VALUES = {
    parsers.positive_int: "0", parsers.non_negative_int: "-1", parsers.non_negative_float: "x",
    parsers.seconds: "0", parsers.boolean: "maybe", parsers.prefix: "a b",
    parsers.log_level: "loud", parsers.redis_url: "htp://localhost:6379",
    parsers.cert_reqs: "sometimes", parsers.addresses: "no-port", parsers.port: "65536",
    parsers.webhook_secrets: "whsec_short", parsers.allowed_ips: "not-an-address",
    credentials.tokens: "two words", credentials.pairs: "no-password",
    credentials.public_keys: "not-base64!", credentials.public_url: "api.burki.dev",
}
# Parsers that accept any text: nothing to refuse.
ANY_TEXT = {parsers.stripped}


# What `make test` passes down to its commands; a `make run` started by a test is a user's own.
MAKE_VARIABLES = {"MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES"}


def clean_env(**env: str) -> dict:
    """The process environment without any burki-sip setting (or make's), plus ``env``."""
    names = {s.name for s in config.SETTINGS + config.SERVER_SETTINGS} | MAKE_VARIABLES
    return {**{k: v for k, v in os.environ.items() if k not in names}, **env}
