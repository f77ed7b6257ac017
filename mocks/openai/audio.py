"""`POST /v1/audio/speech` and `/v1/audio/transcriptions`: speech that really encodes its text, and back."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from aigw_conformance.mocks.core import audiocodec
from aigw_conformance.mocks.openai import errors, params
from aigw_conformance.mocks.openai.transcripts import Transcript

TTS_MODELS = ("tts-1", "tts-1-hd", "gpt-4o-mini-tts")
VOICES = ("alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse")
SPEECH_PARAMETERS = frozenset({"model", "input", "voice", "instructions", "response_format", "speed", "stream_format"})
SPEECH_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
MEDIA_TYPES = {"wav": "audio/wav", "pcm": "audio/pcm"}
"""The formats the mock synthesises; mp3, opus, aac and flac are a 400 (it has no such encoders)."""
MAX_INPUT = 4096


@dataclass(frozen=True)
class SttModel:
    """A transcription model: how its usage is billed and which response formats it offers."""

    usage: Literal["duration", "tokens"]
    formats: tuple[str, ...]


_ALL_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
STT_MODELS: Mapping[str, SttModel] = {
    "whisper-1": SttModel("duration", _ALL_FORMATS),
    "gpt-4o-transcribe": SttModel("tokens", ("json", "text")),
    "gpt-4o-mini-transcribe": SttModel("tokens", ("json", "text")),
}
FILE_TYPES = ("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm")
TRANSCRIPTION_FIELDS = frozenset({
    "file", "model", "language", "prompt", "response_format", "temperature", "timestamp_granularities[]",
    "include[]", "chunking_strategy", "stream",
})


def voice_amplitude(voice: str) -> float:
    """Each voice speaks at its own level, 0.20 to 0.30 of full scale per tone (from sha256 of its name)."""
    return 0.2 + hashlib.sha256(voice.encode("utf-8")).digest()[0] / 2550


def _unsupported(param: str, value: str, hint: str) -> errors.OpenAIError:
    return errors.invalid_request(
        f"{param} '{value}' is not supported by the mock: {hint}.", param=param, code="unsupported_value")


def speech(
    body: Any, models: Collection[str] = TTS_MODELS, voices: Collection[str] = VOICES, *, strict: bool = True
) -> tuple[bytes, str]:
    """(audio bytes, media type). The samples depend on input, voice (level) and speed (symbol length) only;
    `response_format` defaults to wav here (OpenAI's default, mp3, is not synthesised)."""
    if not isinstance(body, dict):
        raise errors.invalid_json()
    if strict:
        params.reject_unknown(body, SPEECH_PARAMETERS)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise errors.invalid_request("you must provide a model parameter")
    text = params.required(body, "input")
    if not isinstance(text, str):
        raise params.bad_type("input", "a string", text)
    if not text:
        raise errors.invalid_request(
            "Invalid 'input': empty string. Expected a string with minimum length 1, but got an empty string "
            "instead.", param="input", code="empty_string")
    if len(text) > MAX_INPUT:
        raise errors.invalid_request(
            f"Invalid 'input': string too long. Expected a string with maximum length {MAX_INPUT}, but got a "
            f"string with length {len(text)} instead.", param="input", code="string_above_max_length")
    voice = params.choice(body, "voice", tuple(voices))
    if voice is None:
        params.required(body, "voice")
    params.string(body, "instructions")
    fmt = params.choice(body, "response_format", SPEECH_FORMATS, "wav") or "wav"
    if fmt not in MEDIA_TYPES:
        raise _unsupported("response_format", fmt, "use 'wav' or 'pcm'")
    speed = params.number(body, "speed", audiocodec.MIN_SPEED, audiocodec.MAX_SPEED)
    if params.choice(body, "stream_format", ("audio", "sse")) == "sse":
        raise _unsupported("stream_format", "sse", "use 'audio'")
    if model not in models:
        raise errors.model_not_found(model)
    samples = audiocodec.encode(text, 1.0 if speed is None else speed, voice_amplitude(str(voice)))
    audio = audiocodec.to_wav(samples) if fmt == "wav" else audiocodec.to_pcm(samples)
    return audio, MEDIA_TYPES[fmt]


def _field(form: Mapping[str, Any], name: str) -> str | None:
    value = form.get(name)
    if value is not None and not isinstance(value, str):
        raise errors.invalid_request(f"Invalid '{name}': expected a string, not a file.", param=name)
    return value


def _temperature(raw: str | None) -> float:
    try:
        value = float(raw or 0)
    except ValueError:
        raise params.bad_type("temperature", "a decimal", raw) from None
    return params.number({"temperature": value}, "temperature", 0, 1) or 0.0


async def transcription(
    request: Request, models: Mapping[str, SttModel] = STT_MODELS, *, strict: bool = True
) -> Response:
    """Read the multipart upload and answer with the transcript: the text the file's signal encodes, or a
    deterministic placeholder for any other audio (see `audiocodec.listen`)."""
    async with request.form() as form:
        fields = {key: form.getlist(key) for key in form}
        if strict:
            params.reject_unknown(fields, TRANSCRIPTION_FIELDS)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise errors.invalid_request(
                "Missing required parameter: 'file'." if upload is None else "Invalid 'file': expected a file.",
                param="file", code="missing_required_parameter" if upload is None else "invalid_type")
        data, filename = await upload.read(), upload.filename or ""
        values = {key: _field(form, key) for key in fields if key != "file"}
    model = values.get("model")
    if not model:
        raise errors.invalid_request("you must provide a model parameter")
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in FILE_TYPES:
        raise errors.invalid_request(
            f"Invalid file format. Supported formats: {list(FILE_TYPES)}", param="file", code="invalid_value")
    language = values.get("language") or "en"
    if not re.fullmatch(r"[a-z]{2}", language):
        raise errors.invalid_request(
            f"Invalid language '{language}'. Language parameter must be specified in ISO-639-1 format.",
            param="language", code="invalid_language_format")
    fmt = params.choice(values, "response_format", _ALL_FORMATS, "json") or "json"
    _temperature(values.get("temperature"))
    spec = models.get(model)
    if spec is None:
        raise errors.model_not_found(model)
    if fmt not in spec.formats:
        raise errors.invalid_request(
            f"response_format '{fmt}' is not compatible with model '{model}'. Use 'json' or 'text' instead.",
            param="response_format", code="unsupported_value")
    if values.get("stream") == "true" and spec.usage == "tokens":
        raise _unsupported("stream", "true", "transcripts are answered whole")
    words = "word" in fields.get("timestamp_granularities[]", [])
    transcript = Transcript(
        audiocodec.listen(data), model, spec.usage, language, values.get("prompt") or "", words=words)
    body, media_type = transcript.render(fmt)
    return Response(body, media_type=media_type)
