"""Each provider's signature, produced by the provider's own SDK wherever one exists.

- Twilio: ``twilio`` RequestValidator.compute_signature (and compute_hash for bodySHA256).
- SignalWire: its SDK (``signalwire``) cannot be installed next to the others (it pins twilio 6.54
  and PyJWT 1.7). Its validator delegates forms to twilio's RequestValidator, so forms are signed
  with that; JSON is signed with the SDK's three-line ``build_signature`` algorithm, checked
  against the SDK's own test vector (test_providers_signatures.py).
- Telnyx: its SDK only verifies; the tests sign with PyNaCl on a keypair made here and the SDK's
  ``webhooks.unwrap`` must accept what the service accepts.
- jambonz: no Python SDK; the algorithm of @jambonz/node-client's verifyJambonzSignature
  (hex HMAC-SHA256 of ``{t}.{body}``), written out here.
- Vonage: its SDK only verifies (vonage-jwt ``verify_signature``); Vonage signs with HS256, so the
  token is made with PyJWT and the SDK must accept it.
- Plivo: ``plivo`` construct_post_url (construct_get_url for a GET) + get_signature_v3.
- LiveKit: ``livekit-api`` AccessToken.with_sha256().to_jwt() (and WebhookReceiver accepts it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable
from urllib.parse import parse_qsl

import jwt
from livekit import api as livekit_api
from nacl.signing import SigningKey
from plivo.utils.signature_v3 import construct_get_url, construct_post_url, get_signature_v3
from twilio.request_validator import RequestValidator

from providers_support import FORM, QUERY, fields

TWILIO_TOKEN = "twilio-auth-token-0123456789abcdef"
SIGNALWIRE_KEY = "PSK_7TruNcSNTxp4zNrykMj4EPzF"
TELNYX_KEY = SigningKey(hashlib.sha256(b"burki-sip telnyx test key").digest())
TELNYX_PUBLIC = base64.b64encode(bytes(TELNYX_KEY.verify_key)).decode()
JAMBONZ_SECRET = "jambonz-webhook-secret-0123456789"
VONAGE_SECRET = "vonage-signature-secret-0123456789abcdef"
PLIVO_TOKEN = "plivo-auth-token-0123456789abcdef"
LIVEKIT_KEY, LIVEKIT_SECRET = "APIburkiTest", "livekit-api-secret-0123456789abcdef0123"
WRONG = "a-wrong-secret-that-is-long-enough-0123456789"


def query_payload(query: str) -> bytes:
    """What a GET's body-signing schemes cover, as Vonage documents it for ``payload_hash``: "an
    object of the search/query parameters ... in the order of the parameters ... converted to a
    JSON string" without whitespace: JavaScript's
    ``JSON.stringify(Object.fromEntries(new URLSearchParams(query)))`` (test_providers_get.py
    checks one vector made with Node)."""
    pairs = dict(parse_qsl(query, keep_blank_values=True))
    return json.dumps(pairs, separators=(",", ":"), ensure_ascii=False).encode()


def twilio(url: str, body: bytes, content_type: str, secret: str = TWILIO_TOKEN,
           at: float | None = None, header: str = "X-Twilio-Signature") -> dict:
    validator = RequestValidator(secret)
    if content_type == QUERY:  # a GET: the URL with its query, no fields after it
        return {header: validator.compute_signature(url, {})}
    if content_type != FORM:  # JSON: Twilio puts the body's hash in the URL and signs the URL
        raise ValueError("sign JSON with twilio_json, whose URL carries bodySHA256")
    return {header: validator.compute_signature(url, fields(body))}


def twilio_json_url(url: str, body: bytes) -> str:
    """The URL Twilio calls for a JSON body: with ``bodySHA256`` (the SDK's compute_hash)."""
    return f"{url}?bodySHA256={RequestValidator(TWILIO_TOKEN).compute_hash(body.decode())}"


def signalwire(url: str, body: bytes, content_type: str, secret: str = SIGNALWIRE_KEY,
               at: float | None = None) -> dict:
    if content_type == FORM:
        return twilio(url, body, content_type, secret, header="X-SignalWire-Signature")
    digest = hmac.new(secret.encode(), (url + body.decode()).encode(), hashlib.sha1)
    return {"X-SignalWire-Signature": digest.hexdigest()}


def telnyx(url: str, body: bytes, content_type: str, secret=TELNYX_KEY,
           at: float | None = None) -> dict:
    stamp = str(int(time.time() if at is None else at))
    key = secret if isinstance(secret, SigningKey) else SigningKey.generate()
    signature = key.sign(stamp.encode() + b"|" + body).signature
    return {"telnyx-signature-ed25519": base64.b64encode(signature).decode(),
            "telnyx-timestamp": stamp}


def jambonz(url: str, body: bytes, content_type: str, secret: str = JAMBONZ_SECRET,
            at: float | None = None) -> dict:
    stamp = int(time.time() if at is None else at)
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Jambonz-Signature": f"t={stamp},v1={digest}"}


def vonage_token(body: bytes, secret: str = VONAGE_SECRET, at: float | None = None) -> str:
    claims = {"iat": int(time.time() if at is None else at), "jti": str(uuid.uuid4()),
              "iss": "Vonage", "payload_hash": hashlib.sha256(body).hexdigest(),
              "api_key": "a1b2c3d4", "application_id": "aaaaaaaa-bbbb-cccc-dddd-0123456789ab"}
    return jwt.encode(claims, secret, algorithm="HS256")


def vonage(url: str, body: bytes, content_type: str, secret: str = VONAGE_SECRET,
           at: float | None = None) -> dict:
    return {"Authorization": f"Bearer {vonage_token(body, secret, at)}"}


def plivo(url: str, body: bytes, content_type: str, secret: str = PLIVO_TOKEN,
          at: float | None = None, nonce: str = "05429567804466091622") -> dict:
    base = (construct_get_url(url, {}) if content_type == QUERY
            else construct_post_url(url, fields(body))).decode()
    signature = get_signature_v3(secret.encode(), base, nonce.encode()).decode()
    return {"X-Plivo-Signature-V3": signature, "X-Plivo-Signature-V3-Nonce": nonce}


def livekit_token(body: bytes, secret: str = LIVEKIT_SECRET, at: float | None = None) -> str:
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    token = livekit_api.AccessToken(LIVEKIT_KEY, secret).with_sha256(digest)
    if at is not None:  # a token issued at `at` with the SDK's default 6 h life, long expired
        token = token.with_ttl(timedelta(seconds=at - time.time()))
    return token.to_jwt()


def livekit(url: str, body: bytes, content_type: str, secret: str = LIVEKIT_SECRET,
            at: float | None = None) -> dict:
    return {"Authorization": livekit_token(body, secret, at)}


@dataclass(frozen=True)
class Provider:
    """How to configure and sign one provider's requests in the tests."""

    name: str
    settings: dict
    fixture: str
    sign: Callable[..., dict]
    signs_url: bool = False
    timestamped: bool = False


PROVIDERS = [
    Provider("twilio", {"TWILIO_AUTH_TOKEN": TWILIO_TOKEN}, "status-completed", twilio,
             signs_url=True),
    Provider("signalwire", {"SIGNALWIRE_SIGNING_KEY": SIGNALWIRE_KEY}, "status-completed",
             signalwire, signs_url=True),
    Provider("signalwire", {"SIGNALWIRE_SIGNING_KEY": SIGNALWIRE_KEY}, "status-relay-answered",
             signalwire, signs_url=True),
    Provider("telnyx", {"TELNYX_PUBLIC_KEY": TELNYX_PUBLIC}, "webhook-completed", telnyx,
             timestamped=True),
    Provider("jambonz", {"JAMBONZ_WEBHOOK_SECRET": JAMBONZ_SECRET}, "status-completed", jambonz,
             timestamped=True),
    Provider("vonage", {"VONAGE_SIGNATURE_SECRET": VONAGE_SECRET}, "status-completed", vonage,
             timestamped=True),
    Provider("plivo", {"PLIVO_AUTH_TOKEN": PLIVO_TOKEN}, "status-completed", plivo,
             signs_url=True),
    Provider("livekit", {"LIVEKIT_API_KEYS": f"{LIVEKIT_KEY}:{LIVEKIT_SECRET}"},
             "webhook-answered", livekit, timestamped=True),
]
# The corner cases' shapes, signed the same way: Twilio's <Dial> action callbacks (Dial* fields
# beside the parent's own), Telnyx's call.initiated and a hangup with no SIP code to tell, and
# Telnyx's TeXML completed callback with Dial fields. (Plivo's callback without CallUUID is not
# let in to a record but answered 400: test_providers_signatures.py signs it on its own.)
PROVIDERS += [
    *(Provider("twilio", {"TWILIO_AUTH_TOKEN": TWILIO_TOKEN}, f"webhook-dial-{outcome}", twilio,
               signs_url=True)
      for outcome in ("busy", "no-answer", "failed", "canceled", "completed", "completed-hangup")),
    *(Provider("telnyx", {"TELNYX_PUBLIC_KEY": TELNYX_PUBLIC}, name, telnyx, timestamped=True)
      for name in ("webhook-initiated", "webhook-initiated-incoming",
                   "webhook-hangup-unspecified", "status-completed-dial")),
]
