"""examples/media_handler.py under uvicorn, and Twilio-shaped Media Streams clients of it."""

from __future__ import annotations

import json
import sys
import time

import websockets

from support import ROOT, ServerProcess

HANDLER = ROOT / "examples" / "media_handler.py"


class MediaHandler(ServerProcess):
    """The example handler as its README section runs it (``python examples/media_handler.py``)."""

    def __init__(self, settings: dict[str, str], claim_wait: float) -> None:
        super().__init__()
        self.env = {"PATH": "/usr/bin:/bin", **settings, "MEDIA_CLAIM_WAIT": str(claim_wait)}

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/media"

    def start(self) -> "MediaHandler":
        self.launch([sys.executable, str(HANDLER), "--port", str(self.port)], self.env,
                    "media handler")
        return self


def start_message(call_sid: str, stream_sid: str, in_parameters: bool = True) -> str:
    """Twilio's ``start`` message; the bridge's call_sid as a custom parameter, or Twilio's own."""
    start = {"streamSid": stream_sid, "accountSid": "AC" + "0" * 32,
             "callSid": "CA" + "0" * 32 if in_parameters else call_sid,
             "tracks": ["inbound"], "customParameters": {"callSid": call_sid} if in_parameters
             else {}, "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000,
                                      "channels": 1}}
    return json.dumps({"event": "start", "sequenceNumber": "1", "start": start,
                       "streamSid": stream_sid})


async def open_stream(url: str, call_sid: str, stream_sid: str, **kwargs):
    """A connected stream that sent ``connected`` and ``start``; and when (epoch seconds)."""
    socket = await websockets.connect(url, open_timeout=30, ping_interval=None, **kwargs)
    await socket.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
    await socket.send(start_message(call_sid, stream_sid))
    return socket, time.time()


async def welcome(socket) -> tuple[dict, float]:
    """The handler's first message, and when it arrived (epoch seconds)."""
    return json.loads(await socket.recv()), time.time()
