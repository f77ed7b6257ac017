"""GET /audio/voices: every text-to-speech voice ID that POST /audio/speech accepts (001 "Voices")."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from aigw_conformance.mocks.reference.auth import authenticate
from aigw_conformance.mocks.reference.settings import GatewaySettings

# OpenAI's speech voices, the ones the OpenAI mock's /v1/audio/speech accepts (mocks/openai/audio.py VOICES).
VOICES: tuple[str, ...] = ("alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer",
                           "verse")


def voice_list(settings: GatewaySettings) -> dict[str, Any]:
    """The VoiceList body: {object: list, data: [{id, name}, ...]}."""
    with_id = not settings.has("voices-missing-id")
    data = [{"id": voice, "name": voice.capitalize()} if with_id else {"name": voice.capitalize()}
            for voice in VOICES]
    return {"object": "list", "data": data}


class VoicesEndpoint:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings

    async def __call__(self, request: Request) -> Response:
        authenticate(request.headers, self.settings)
        return JSONResponse(voice_list(self.settings))
