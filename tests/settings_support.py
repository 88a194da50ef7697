"""Bad values for every settings parser, and an environment without any burki-sip setting."""

from __future__ import annotations

import os

from burki_sip import config, credentials

# A value each parser refuses. A new parser needs one here (the test below says so).
BAD_VALUES = {
    config._positive_int: "0", config._non_negative_int: "-1", config._non_negative_float: "x",
    config._seconds: "0", config._boolean: "maybe", config._prefix: "a b", config._log_level: "loud",
    config._redis_url: "htp://localhost:6379", config._key_list: "two words",
    config._cert_reqs: "sometimes", config._addresses: "no-port", config._port: "65536",
    config._webhook_secrets: "whsec_short", config._allowed_ips: "not-an-address",
    config._logins: "no-password",
    credentials.secret_list: "two words", credentials.public_keys: "not-base64!",
    credentials.basic_credentials: "no-password", credentials.public_url: "api.burki.dev",
}
# Parsers that accept any text: nothing to refuse.
ANY_TEXT = {config._stripped}


# What `make test` passes down to its commands; a `make run` started by a test is a user's own.
MAKE_VARIABLES = {"MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES"}


def clean_env(**env: str) -> dict:
    """The process environment without any burki-sip setting (or make's), plus ``env``."""
    names = {s.name for s in config.SETTINGS + config.SERVER_SETTINGS} | MAKE_VARIABLES
    return {**{k: v for k, v in os.environ.items() if k not in names}, **env}
