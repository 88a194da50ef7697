"""Security test helpers: signing like a provider, and a snapshot of everything in Redis."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import redis

from burki_sip.signatures import decode_secret

# The Standard Webhooks reference vector (standard-webhooks/standard-webhooks, libraries/python).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

KEY = "test-inbound-key-0123456789abcdef"
OLD_KEY = "test-old-key-fedcba9876543210"
# A second, different secret (32 bytes), as during a rotation.
OTHER_SECRET = "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24tdGVzdHM="


def sign(secret: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,<base64>`` signature of one message, as a Standard Webhooks sender computes it."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret, content, hashlib.sha256).digest()).decode()


def signed_headers(body: bytes, secret: str = VECTOR_SECRET, msg_id: str = "msg_test_1",
                   timestamp: int | None = None) -> dict[str, str]:
    """The three Standard Webhooks headers a provider signing ``body`` would send."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(decode_secret(secret), msg_id, timestamp, body)}


def snapshot(client: redis.Redis) -> dict:
    """Every key with its type and content, to compare before and after a request."""
    readers = {"string": client.get, "hash": client.hgetall, "stream": client.xrange,
               "set": client.smembers, "list": lambda key: client.lrange(key, 0, -1),
               "zset": lambda key: client.zrange(key, 0, -1, withscores=True)}
    state = {}
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        state[key] = (kind, readers[kind](key))
    return state
