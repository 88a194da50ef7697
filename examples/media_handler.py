"""A media-stream handler that claims the call's context, even when its stream connects first.

A Starlette WebSocket app speaking the shape of Twilio's Media Streams: ``connected``, then
``start`` (the call in ``start.customParameters.callSid``, else ``start.callSid``), then
``media``/``mark``/``stop``. On ``start`` it claims the call's context with a deadline
(``MEDIA_CLAIM_WAIT`` seconds, default 5), so a prewarm landing after the stream connected is
still found; sends the welcome message back as its first message; and releases the claim when
the stream ends. A real handler speaks the welcome message as audio; this one sends it as JSON::

    {"event": "welcome", "streamSid": "MZ...", "outcome": "claimed", "waited_ms": 840,
     "text": "Thanks for calling. How can I help?"}

``outcome`` ``missing`` (no context by the deadline) sends ``GENERIC_WELCOME``;
``already_claimed`` (another stream has the call) closes the socket with code 1008. A ``mark``
the stream sends is answered at once with the same mark: this handler plays no audio.

Run it with the service's REDIS_* settings (only REDIS_URL is needed)::

    REDIS_URL=redis://127.0.0.1:6379/0 python examples/media_handler.py --port 8765

Needs starlette and uvicorn (with websockets): the ``[test]`` extra, not the service's install.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
from contextlib import asynccontextmanager

import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from burki_sip.calls import Claim, open_async_store

CLAIM_WAIT = float(os.environ.get("MEDIA_CLAIM_WAIT", "5"))
GENERIC_WELCOME = "Hello! How can I help you today?"
log = logging.getLogger("media_handler")


def log_claim(claim: Claim) -> None:
    """The store's ``on_claim`` hook: one line per claim; export ``claim.waited`` from here."""
    log.info("claim %s %s waited %.0f ms", claim.call_sid, claim.outcome, claim.waited * 1000)


@asynccontextmanager
async def lifespan(app: Starlette):
    """One store (one Redis pool, one subscriber connection) for every stream of the process."""
    async with open_async_store() as store:
        store.on_claim = log_claim
        app.state.store = store
        yield


def call_sid_of(start: dict) -> str:
    """The call a ``start`` message names: the bridge's custom parameter, else Twilio's own."""
    return (start.get("customParameters") or {}).get("callSid") or start["callSid"]


async def next_message(websocket: WebSocket) -> dict | None:
    """The stream's next JSON message; ``None`` once it disconnected."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        return None
    return json.loads(message.get("text") or message.get("bytes"))


async def claim_unless_gone(websocket: WebSocket, start: dict) -> Claim | None:
    """Claim with a deadline while reading the stream: ``None`` if it disconnects first (the
    claim is then cancelled, which leaves no subscription and no claim behind)."""
    store, call_sid, owner = websocket.app.state.store, call_sid_of(start), start["streamSid"]
    claiming = asyncio.ensure_future(store.claim(call_sid, owner=owner, wait=CLAIM_WAIT))
    while True:
        reading = asyncio.ensure_future(next_message(websocket))
        await asyncio.wait({claiming, reading}, return_when=asyncio.FIRST_COMPLETED)
        if reading.done() and reading.result() is None:  # gone: media messages are skipped
            claiming.cancel()
            await asyncio.gather(claiming, return_exceptions=True)
            await release_own(store, call_sid, owner)
            return None
        if claiming.done():
            reading.cancel()
            return claiming.result()


async def release_own(store, call_sid: str, owner: str) -> None:
    """Release the claim ``owner`` may hold: one granted just as its wait was cancelled (its
    script ran, its answer never came back) would otherwise stay held."""
    state, _ = await store.load_status(call_sid)
    if state and state.get("claimed_by") == owner and state.get("claim_token"):
        await store.release(call_sid, state["claim_token"])


async def stream(websocket: WebSocket) -> None:
    """One media stream: wait for ``start``, claim, welcome, answer marks, release at the end."""
    await websocket.accept()
    message = await next_message(websocket)
    while message is not None and message.get("event") != "start":
        message = await next_message(websocket)
    if message is None:
        return
    start = message["start"]
    claim = await claim_unless_gone(websocket, start)
    if claim is None:
        return
    text = claim.context.get("welcome_message") if claim.claimed else None
    await websocket.send_json({"event": "welcome", "streamSid": start["streamSid"],
                               "outcome": claim.outcome, "waited_ms": round(claim.waited * 1000),
                               "text": text or GENERIC_WELCOME})
    if claim.already_claimed:
        await websocket.close(code=1008)
        return
    try:
        while (message := await next_message(websocket)) and message.get("event") != "stop":
            if message.get("event") == "mark":
                await websocket.send_json(message)
    finally:
        if claim.claimed:
            await websocket.app.state.store.release(claim.call_sid, claim.token)


app = Starlette(routes=[WebSocketRoute("/media", stream)], lifespan=lifespan)


def main() -> None:
    """Serve ``app`` under uvicorn."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    options = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    uvicorn.run(app, host=options.host, port=options.port, log_level="warning")


if __name__ == "__main__":
    main()
