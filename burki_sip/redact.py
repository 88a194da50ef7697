"""Secrets and phone numbers kept out of logs (docs/security.md): what logs request data passes
it through ``redact_mapping`` or ``redact_text``; a ``RedactingFilter`` catches what slips through.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Iterable, Mapping

REDACTED = "[redacted]"
# ITU-T E.164 country codes: 1 and 7 are one digit, these two-digit ones are whole codes, and
# every other code is three digits. The codes are prefix-free, so the first match is the code.
TWO_DIGIT_CODES = frozenset(
    "20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 "
    "60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98".split())
SECRET_NAME = re.compile(r"authorization|api[-_]?key|private[-_]?key|secret|password|passwd|token|"
                         r"signature|cookie|credential", re.IGNORECASE)
PHONE_NAME = re.compile(r"^(ani|dnis|msisdn|number|called|forwarded[-_]?from|"
                        r"(from|to|caller|callee|phone)([-_ ]?(number|no))?)$", re.IGNORECASE)
# In free text only unmistakable numbers are masked: "+" and 6-15 digits, or a sip:/tel: user
# part; bare digit runs are left alone (they are mostly ids, ports and timestamps).
PHONE_IN_TEXT = re.compile(r"\+\d[\d ().-]{4,20}\d|(?<=sip:)\d{6,15}|(?<=sips:)\d{6,15}|"
                           r"(?<=tel:)\d{6,15}", re.IGNORECASE)
_SEPARATOR = r"(['\"]?\s*[:=]\s*['\"]?)"
_WORD = r"[^\s'\",;}]+"
SECRETS_IN_TEXT = (
    # An Authorization value, whatever its scheme: the scheme word and the credential after it.
    (re.compile(r"\b((?:proxy-)?authorization)" + _SEPARATOR + _WORD + r"(?:[ \t]+" + _WORD + ")?",
                re.IGNORECASE), r"\1\2" + REDACTED),
    (re.compile(r"\b(bearer|basic)\s+[\w.~+/=-]+", re.IGNORECASE), r"\1 " + REDACTED),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=]+"), "whsec_" + REDACTED),
    (re.compile(r"\b(v1a?),[A-Za-z0-9+/=]{8,}"), r"\1," + REDACTED),
    (re.compile(r"\b(x-api-key|api[-_]?key|password|passwd|secret|token|webhook-signature)"
                + _SEPARATOR + r"[^\s'\",;&}]+", re.IGNORECASE), r"\1\2" + REDACTED),
    (re.compile(r"(\w+://[^/\s:@]*:)[^@\s/]+@"), r"\1" + REDACTED + "@"),  # URL passwords
)
# Every pattern above needs a character that is not here ("+", ":", "=", ",", "_", "@", a space):
# text made only of these (most call_sids, the hot paths) skips them, a few µs a request.
PLAIN_TEXT = re.compile(r"[A-Za-z0-9./-]*")


def without_password(value: Any) -> Any:
    """A URL with the password of its ``user:password@`` part redacted; any other value as it is."""
    return re.sub(r"^(\w+://[^:@/]*:).*@", lambda match: f"{match[1]}{REDACTED}@", value) \
        if isinstance(value, str) else value


def country_code(digits: str) -> str:
    """The E.164 country code that ``digits`` (an international number) starts with."""
    if digits[:1] in ("1", "7"):
        return digits[:1]
    return digits[:2] if digits[:2] in TWO_DIGIT_CODES else digits[:3]


def _mask_number(number: str) -> str:
    digits = re.sub(r"\D", "", number)
    international = number.lstrip().startswith("+")
    code = country_code(digits) if international else ""
    national = digits[len(code):]
    keep = 4 if len(national) >= 8 else 3 if len(national) >= 6 else 2 if len(national) > 2 else 0
    return ("+" + code if international else "") + "*" * (len(national) - keep) + \
        national[len(national) - keep:]


def mask_phone(value: str) -> str:
    """``+15559876543`` as ``+1******6543``: the country code and the last 2 to 4 digits; in
    other text (``sip:+4915112345678@host``) the numbers inside it."""
    if re.fullmatch(r"\s*\+?[\d ().-]*\d[\d ().-]*", value):
        return _mask_number(value)
    return PHONE_IN_TEXT.sub(lambda match: _mask_number(match.group()), value)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with keys, signatures, passwords, the given ``secrets`` and phone numbers hidden."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    if PLAIN_TEXT.fullmatch(text):
        return text
    for pattern, replacement in SECRETS_IN_TEXT:
        text = pattern.sub(replacement, text)
    return PHONE_IN_TEXT.sub(lambda match: _mask_number(match.group()), text)


def _redact_value(name: str, value: Any) -> Any:
    if SECRET_NAME.search(name):
        return REDACTED if value not in (None, "") else value
    if isinstance(value, Mapping):
        return redact_mapping(value)
    if isinstance(value, (list, tuple)):
        return [_redact_value(name, item) for item in value]
    if PHONE_NAME.match(name) and isinstance(value, (str, int)) and not isinstance(value, bool):
        return mask_phone(str(value))
    return redact_text(value) if isinstance(value, str) else value


def redact_mapping(mapping: Mapping) -> dict:
    """A copy of ``mapping`` (headers, a payload) safe to log, at any depth: values under
    secret-like names redacted, under phone-like names masked, other strings ``redact_text``'d."""
    return {key: _redact_value(str(key), value) for key, value in mapping.items()}


class RedactingFilter(logging.Filter):
    """Rewrites a record's message, its ``fields`` mapping and its traceback text before output."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = frozenset(secret for secret in secrets if secret)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a malformed call: logging reports it itself, with nothing formatted
        clean = redact_text(message, self.secrets)
        if clean != message:
            record.msg, record.args = clean, None
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            record.fields = redact_mapping(fields)
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact_text(text, self.secrets)
        return True
