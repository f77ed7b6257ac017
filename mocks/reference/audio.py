"""POST /audio/speech (text to speech) and POST /audio/transcriptions (speech to text)."""

# Both forward to the model's provider in OpenAI's wire format (OpenAI, the vLLM-style threatwinds backends):
# speech as JSON, answered with the audio bytes under the upstream's media type; a transcription as a fresh
# multipart/form-data upload (the caller's file and the documented fields, the model's upstream name),
# answered with the upstream's JSON `{"text": ...}` or plain text. Shared plumbing: `embeddings.py`.

from __future__ import annotations

import functools
import json
import math
from typing import Any

from jsonschema import Draft202012Validator
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message

from aigw_conformance.mocks.reference.auth import authenticate
from aigw_conformance.mocks.reference.embeddings import Upstream, checked_json, model_for
from aigw_conformance.mocks.reference.errors import GatewayError, provider_error
from aigw_conformance.mocks.reference.settings import GatewaySettings
from aigw_conformance.mocks.reference.state import GatewayState
from aigw_conformance.mocks.reference.validation import read_json, schema_error
from aigw_conformance.mocks.reference.voices import VOICES
from aigw_conformance.spec.loader import load_spec, validator_for_schema

SPEECH_PATH = "/api/ai/v1/audio/speech"
TRANSCRIPTION_PATH = "/api/ai/v1/audio/transcriptions"
SPEECH_FIELDS = ("input", "voice", "response_format", "speed")  # SpeechRequest's fields besides `model`
TRANSCRIPTION_FIELDS = ("language", "prompt", "response_format", "temperature")  # besides `file` and `model`
MAX_FORM_FIELDS = 32


@functools.cache
def _transcription_validator() -> Draft202012Validator:
    operation = load_spec()["paths"][TRANSCRIPTION_PATH]["post"]
    return validator_for_schema(operation["requestBody"]["content"]["multipart/form-data"]["schema"])


class SpeechEndpoint:
    def __init__(self, state: GatewayState) -> None:
        self.state = state
        self.upstream = Upstream(state)

    async def __call__(self, request: Request) -> Response:
        settings = self.state.settings
        authenticate(request.headers, settings)
        body = checked_json(await read_json(request, settings), SPEECH_PATH)
        entry = model_for(body["model"], "audio/speech", settings)
        if body["voice"] not in VOICES and settings.has("speech-unknown-voice-accepted"):
            body = {**body, "voice": VOICES[0]}  # falls back to the default voice instead of refusing
        if body["voice"] not in VOICES:
            raise GatewayError(400, f"voice {body['voice']!r} is not available; GET /audio/voices lists the "
                               f"voices: {', '.join(VOICES)}", code="invalid_parameter", param="voice")
        payload = {"model": entry.upstream_model, **{key: body[key] for key in SPEECH_FIELDS if key in body}}
        reply = await self.upstream.send(entry, "audio/speech", request, json=payload)
        media_type = reply.headers.get("content-type", "").split(";")[0].strip().lower()
        if not media_type.startswith("audio/") or not reply.content:
            raise provider_error(entry.provider, f"speech response is not audio ({media_type or 'no content-type'},"
                                                 f" {len(reply.content)} bytes)")
        audio = reply.content
        if settings.has("speech-wav-bad-size") and audio[:4] == b"RIFF":
            audio = audio[:4] + len(audio).to_bytes(4, "little") + audio[8:]  # the file's length, not length - 8
        if settings.has("speech-wrong-content-type"):
            media_type = "application/octet-stream"
        return Response(audio, media_type=media_type)


async def _read_limited(request: Request, settings: GatewaySettings) -> bytes:
    """The raw request body; 413 past `max_body_bytes` (checked while reading: chunked uploads too)."""
    declared = request.headers.get("content-length", "")
    too_large = GatewayError(413, f"request body exceeds {settings.max_body_bytes} bytes", code="request_too_large")
    if declared.isdigit() and int(declared) > settings.max_body_bytes:
        raise too_large
    raw = bytearray()
    async for piece in request.stream():
        raw += piece
        if len(raw) > settings.max_body_bytes:
            raise too_large
    return bytes(raw)


async def _form(request: Request, settings: GatewaySettings) -> FormData:
    """The multipart form of the request; 400 for another media type or a malformed body."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "multipart/form-data":
        shown = repr(media_type) if media_type else "missing"
        raise GatewayError(400, f"Content-Type must be multipart/form-data, got {shown}",
                           code="invalid_content_type")
    raw = await _read_limited(request, settings)

    async def replay() -> Message:  # the body, already read under the size limit, for Starlette's parser
        return {"type": "http.request", "body": raw, "more_body": False}

    try:
        return await Request(request.scope, replay).form(max_files=1, max_fields=MAX_FORM_FIELDS)
    except (MultiPartException, ValueError, AssertionError) as exc:
        raise GatewayError(400, f"malformed multipart/form-data body: {exc}", code="invalid_multipart") from None


def _fields(form: FormData) -> tuple[UploadFile, dict[str, str]]:
    """The uploaded file and the documented text fields, validated against the spec's TranscriptionRequest."""
    upload = form.get("file")
    texts: dict[str, str] = {}
    for name, value in form.multi_items():
        if name not in TRANSCRIPTION_FIELDS and name != "model":
            continue  # `file`, and fields the spec does not know (ignored, as unknown chat parameters are)
        if not isinstance(value, str):
            raise GatewayError(400, f"{name}: expected a text field, got a file", code="invalid_parameter",
                               param=name)
        texts[name] = value
    instance: dict[str, Any] = {key: value for key, value in texts.items() if key != "temperature"}
    if isinstance(upload, UploadFile):
        instance["file"] = upload.filename or "audio"
    elif upload is not None:
        raise GatewayError(400, "file: expected an uploaded file, got a text field", code="invalid_parameter",
                           param="file")
    if "temperature" in texts:
        try:
            temperature = float(texts["temperature"])
        except ValueError:
            temperature = math.nan
        # nan, inf and 1e999 are no numbers JSON can carry (and nan slips past every range): the schema reports
        # the text as not a number, as it does any other
        instance["temperature"] = temperature if math.isfinite(temperature) else texts["temperature"]
    problem = schema_error(_transcription_validator().iter_errors(instance))
    if problem is not None:
        raise problem
    assert isinstance(upload, UploadFile)  # the schema requires `file`, and a text `file` was refused above
    return upload, texts


class TranscriptionEndpoint:
    def __init__(self, state: GatewayState) -> None:
        self.state = state
        self.upstream = Upstream(state)

    async def __call__(self, request: Request) -> Response:
        settings = self.state.settings
        authenticate(request.headers, settings)
        form = await _form(request, settings)
        try:
            upload, texts = _fields(form)
            entry = model_for(texts["model"], "audio/transcriptions", settings)
            audio = await upload.read()
            filename, content_type = upload.filename or "audio.wav", upload.content_type
        finally:
            await form.close()
        fields = {"model": entry.upstream_model, **{key: texts[key] for key in TRANSCRIPTION_FIELDS if key in texts}}
        if settings.has("transcription-format-ignored"):
            fields.pop("response_format", None)  # always asks for (and relays) the JSON transcript
        files = {"file": (filename, audio, content_type or "application/octet-stream")}
        reply = await self.upstream.send(entry, "audio/transcriptions", request, data=fields, files=files)
        media_type = reply.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type == "application/json":
            try:
                body: Any = json.loads(reply.content)
            except ValueError:
                body = None
            if not isinstance(body, dict) or not isinstance(body.get("text"), str):
                raise provider_error(entry.provider, "transcription response has no text")
        elif media_type != "text/plain":
            raise provider_error(entry.provider, f"unexpected transcription response type {media_type!r}")
        if settings.has("transcription-drops-words"):
            return Response(_last_word_dropped(reply.content, media_type), media_type=media_type)
        return Response(reply.content, media_type=media_type)


def _last_word_dropped(content: bytes, media_type: str) -> bytes:
    """The transcript without its last word (a post-processing step that trims a trailing partial word)."""
    if media_type == "text/plain":
        return content.decode("utf-8").rstrip().rpartition(" ")[0].encode("utf-8")
    body = json.loads(content)
    body["text"] = body["text"].rstrip().rpartition(" ")[0]
    return json.dumps(body).encode()


def without_audio_parts(body: dict[str, Any]) -> dict[str, Any]:
    """A chat request with every `input_audio` content part removed (defect `input-audio-dropped`: a gateway
    that only knows text and image parts)."""
    messages = []
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            parts = [part for part in content if not (isinstance(part, dict) and part.get("type") == "input_audio")]
            message = {**message, "content": parts}
        messages.append(message)
    return {**body, "messages": messages}
