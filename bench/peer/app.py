"""The benchmark's peer: ``POST /sip-prewarm`` as a user would write it on FastAPI instead.

FastAPI + pydantic v2 + redis.asyncio, served by uvicorn with uvloop and httptools (bench/run.py
starts it with the service's worker count). It takes the same bodies as burki_sip's PrewarmSchema,
answers the same way and stores the same thing with the same single ``SET key value EX ttl``.
Standalone on purpose (nothing from burki_sip): it stands for what one would pick instead.

Environment: REDIS_URL, SIP_BRIDGE_API_KEY (Bearer or X-API-Key, compared as SHA-256 digests as
the service does; none = open), SIP_PREWARM_TTL (300), SIP_KEY_PREFIX (burki:sip).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import Annotated, Any, Optional

import redis.asyncio as aioredis
from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, Field, StrictInt, StrictStr

CALL_SID_MAX = 128
NUMBER_MAX = 64
TEXT_MAX = 4096
VARIABLES_MAX_BYTES = 16 * 1024
VARIABLES_MAX_DEPTH = 8
TTL = int(os.environ.get("SIP_PREWARM_TTL", "300"))
PREFIX = os.environ.get("SIP_KEY_PREFIX", "burki:sip")
KEY = os.environ.get("SIP_BRIDGE_API_KEY", "")
KEY_DIGEST = hashlib.sha256(KEY.encode("utf-8")).digest() if KEY else None
# marshmallow's Boolean: these values and only these, as the service's schema takes them.
TRUTHY = {"t", "T", "true", "True", "TRUE", "on", "On", "ON", "y", "Y", "yes", "Yes", "YES", "1", 1}
FALSY = {"f", "F", "false", "False", "FALSE", "off", "Off", "OFF", "n", "N", "no", "No", "NO", "0", 0}


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is out of range")
    return number


def strict_loads(data):
    """JSON without NaN/Infinity/overflowing floats and without lone surrogates."""
    value = json.loads(data, parse_constant=_reject_constant, parse_float=_finite_float)
    if ("\\u" if isinstance(data, str) else b"\\u") in data:
        json.dumps(value, ensure_ascii=False).encode("utf-8")  # UnicodeEncodeError is a ValueError
    return value


def _depth(value, limit: int) -> int:
    if limit < 0 or not isinstance(value, (dict, list)):
        return 0
    children = value.values() if isinstance(value, dict) else value
    return 1 + max((_depth(child, limit - 1) for child in children), default=0)


def _variables(value: Any) -> Any:
    """An object, or a string holding one; at most 16 KiB as compact JSON, 8 levels deep."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = strict_loads(value)
        except (ValueError, RecursionError):
            raise ValueError("variables must be a JSON object or a string holding one") from None
    if not isinstance(value, dict):
        raise ValueError("variables must be a JSON object or a string holding one")
    try:  # FastAPI's body parser lets NaN through; the service refuses it as not JSON
        encoded = json.dumps(value, separators=(",", ":"), allow_nan=False)
    except ValueError:
        raise ValueError("variables must be a JSON object or a string holding one") from None
    if len(encoded) > VARIABLES_MAX_BYTES:
        raise ValueError(f"variables must encode to at most {VARIABLES_MAX_BYTES} bytes")
    if _depth(value, VARIABLES_MAX_DEPTH) > VARIABLES_MAX_DEPTH:
        raise ValueError(f"variables must nest at most {VARIABLES_MAX_DEPTH} levels")
    return value


def _boolean(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    try:
        if value in TRUTHY:
            return True
        if value in FALSY:
            return False
    except TypeError:  # unhashable: a list or an object
        pass
    raise ValueError("Not a valid boolean.")


Number = Optional[Annotated[StrictStr, Field(max_length=NUMBER_MAX)]]
Text = Optional[Annotated[StrictStr, Field(max_length=TEXT_MAX)]]


class Prewarm(BaseModel):
    """The prewarm body; unknown fields are dropped (pydantic's default ``extra="ignore"``)."""

    call_sid: Annotated[StrictStr, Field(min_length=1, max_length=CALL_SID_MAX,
                                         pattern=r"^[!-z|~]+$")]
    from_number: Number = None
    to_number: Number = None
    outbound: Annotated[Optional[bool], BeforeValidator(_boolean)] = None
    assistant_id: Optional[StrictInt] = None
    welcome_message: Text = None
    agenda: Text = None
    variables: Annotated[Optional[dict], BeforeValidator(_variables)] = None


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.redis = aioredis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    yield
    await app.state.redis.aclose()


app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


@app.exception_handler(RequestValidationError)
async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ())[1:]) or "body"
    return error(f"{where}: {first.get('msg', 'invalid')}")


@app.exception_handler(aioredis.RedisError)
async def unavailable(request: Request, exc: Exception) -> JSONResponse:
    return error("storage unavailable, retry later", 503)


def authorised(authorization: str | None, x_api_key: str | None) -> bool:
    if KEY_DIGEST is None:
        return True
    offered = []
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        offered.append(token.strip())
    if (x_api_key or "").strip():
        offered.append(x_api_key.strip())
    matched = False
    for candidate in offered:
        matched |= hmac.compare_digest(hashlib.sha256(candidate.encode("utf-8")).digest(),
                                       KEY_DIGEST)
    return matched


@app.post("/sip-prewarm")
async def prewarm(body: Prewarm, request: Request,
                  authorization: Annotated[str | None, Header()] = None,
                  x_api_key: Annotated[str | None, Header()] = None):
    if not authorised(authorization, x_api_key):
        return error("invalid API key", 401)
    stored = body.model_dump(exclude_none=True)
    stored["prewarmed_at"] = (datetime.now(timezone.utc).isoformat(timespec="milliseconds")
                              .replace("+00:00", "Z"))
    await request.app.state.redis.set(f"{PREFIX}:call:{{{body.call_sid}}}:context",
                                      _COMPACT.encode(stored), ex=TTL)
    return {"call_sid": body.call_sid, "prewarmed": True}
