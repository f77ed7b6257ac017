"""Checks of POST /audio/speech and /audio/transcriptions (sub-paths and shapes inferred from OpenAI's)."""

from __future__ import annotations

import io
import re
import wave
from typing import Any

from aigw_conformance.suites.checks.registry import check, fail, requires
from aigw_conformance.suites.checks.shapes import json_body, require_schema
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import Severity

# The spec's speech 200 (OpenAI's): the media type follows response_format, "audio/mpeg for mp3, audio/wav for
# wav, ..."; the common registrations of the same formats are accepted too. Formats not listed: any audio/*.
SPEECH_MEDIA_TYPES: dict[str, tuple[str, ...]] = {
    "mp3": ("audio/mpeg", "audio/mp3"),
    "wav": ("audio/wav", "audio/x-wav", "audio/wave"),
}
SPEECH_DEFAULT_FORMAT = "mp3"  # SpeechRequest.response_format's default


def is_speech_reply(exchange: Exchange) -> bool:
    return exchange.api == "ai" and exchange.operation == "POST /audio/speech" and exchange.status == 200


def is_transcription(exchange: Exchange) -> bool:
    return exchange.api == "ai" and exchange.operation == "POST /audio/transcriptions"


def is_transcription_reply(exchange: Exchange) -> bool:
    return is_transcription(exchange) and exchange.status == 200


def speech_format(exchange: Exchange) -> str:
    body = exchange.request_json if isinstance(exchange.request_json, dict) else {}
    return str(body.get("response_format") or SPEECH_DEFAULT_FORMAT)


def is_wav_reply(exchange: Exchange) -> bool:
    return is_speech_reply(exchange) and (speech_format(exchange) == "wav"
                                          or exchange.content_type in SPEECH_MEDIA_TYPES["wav"])


def form(exchange: Exchange) -> dict[str, Any]:
    """The text fields of a multipart request, as the test recorded them (context `form`)."""
    fields = exchange.context.get("form")
    return fields if isinstance(fields, dict) else {}


def normalised(text: str) -> str:
    """Lower case, punctuation dropped, whitespace collapsed: what a transcript must keep of its speech."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def transcript_text(exchange: Exchange) -> str:
    """The transcribed text: the JSON answer's `text`, or the text/plain body."""
    if exchange.content_type == "text/plain":
        return exchange.body.decode("utf-8", errors="replace")
    body = json_body(exchange)
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str):
        raise fail(f"the transcription has no `text` string: {exchange.excerpt(160)!r}")
    return text


@check("speech.content_type", severity=Severity.HIGH, inferred=True)
@requires(is_speech_reply)
def content_type(exchange: Exchange) -> None:
    """Speech is audio bytes served with the media type of `response_format` (audio/wav for wav, audio/mpeg for
    mp3, audio/* for the others)."""
    fmt = speech_format(exchange)
    allowed = SPEECH_MEDIA_TYPES.get(fmt)
    served = exchange.content_type or "no content-type"
    if allowed is not None and exchange.content_type not in allowed:
        raise fail(f"response_format {fmt!r} was served as {served}, expected {allowed[0]}")
    if not exchange.content_type.startswith("audio/"):
        raise fail(f"response_format {fmt!r} was served as {served}, expected an audio/* media type")
    if not exchange.body:
        raise fail("the speech answer has no audio bytes")


def riff_chunks(data: bytes) -> dict[bytes, int]:
    """The RIFF/WAVE file's chunk IDs and sizes, after checking the RIFF header and that every chunk fits."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise fail(f"the WAV does not start with a RIFF/WAVE header: {data[:12]!r}")
    declared = int.from_bytes(data[4:8], "little")
    if declared != len(data) - 8:
        raise fail(f"the RIFF size field says {declared} bytes, the file holds {len(data) - 8} after it")
    chunks: dict[bytes, int] = {}
    offset = 12
    while offset + 8 <= len(data):
        name, size = data[offset:offset + 4], int.from_bytes(data[offset + 4:offset + 8], "little")
        if offset + 8 + size > len(data):
            raise fail(f"the {name!r} chunk at byte {offset} declares {size} bytes, past the end of the file")
        chunks.setdefault(name, size)
        offset += 8 + size + (size % 2)
    missing = [name.decode() for name in (b"fmt ", b"data") if name not in chunks]
    if missing:
        raise fail(f"the WAV has no {' or '.join(repr(name) for name in missing)} chunk")
    return chunks


@check("speech.wav_valid", severity=Severity.HIGH, inferred=True)
@requires(is_wav_reply)
def wav_valid(exchange: Exchange) -> None:
    """A wav answer is a valid RIFF/WAVE file: sizes consistent, `fmt ` and `data` chunks, readable PCM frames."""
    chunks = riff_chunks(exchange.body)
    try:
        with wave.open(io.BytesIO(exchange.body), "rb") as reader:
            frames, width = reader.getnframes(), reader.getsampwidth() * reader.getnchannels()
            samples = reader.readframes(frames)
            rate = reader.getframerate()
    except (wave.Error, EOFError) as error:
        raise fail(f"the WAV cannot be read as PCM audio: {error}") from None
    if frames <= 0 or rate <= 0:
        raise fail(f"the WAV holds {frames} frames at {rate} Hz: no audio")
    if len(samples) != frames * width or chunks[b"data"] != frames * width:
        raise fail(f"the data chunk holds {chunks[b'data']} bytes, {len(samples)} readable, for {frames} frames of "
                   f"{width} bytes")


@check("speech.round_trip", severity=Severity.HIGH, auto=False, inferred=True)
@requires(is_transcription)
def round_trip(exchange: Exchange) -> None:
    """Transcribing synthesised speech gives back its text (context `spoken_text`), up to case, punctuation and
    whitespace."""
    if exchange.status != 200:
        raise fail(f"transcribing the synthesised speech was answered {exchange.status}: {exchange.excerpt(160)!r}")
    spoken = str(exchange.context.get("spoken_text", ""))
    heard = transcript_text(exchange)
    if normalised(heard) != normalised(spoken):
        raise fail(f"the speech said {spoken!r}, its transcription reads {heard[:200]!r}")


@check("transcription.response_shape", severity=Severity.HIGH, inferred=True)
@requires(is_transcription_reply)
def transcription_shape(exchange: Exchange) -> None:
    """A transcription is TranscriptionResponse JSON, or the bare text as text/plain when `response_format` is
    `text`."""
    fmt = str(form(exchange).get("response_format") or "json")
    if fmt == "text":
        if exchange.content_type != "text/plain":
            raise fail(f"response_format 'text' was answered as {exchange.content_type or 'no content-type'}, "
                       f"expected text/plain: {exchange.excerpt(120)!r}")
        return
    if exchange.content_type != "application/json":
        raise fail(f"response_format {fmt!r} was answered as {exchange.content_type or 'no content-type'}, "
                   "expected application/json")
    require_schema("TranscriptionResponse", json_body(exchange), "the transcription")


@check("speech.unknown_voice_400", severity=Severity.HIGH, auto=False, inferred=True)
def unknown_voice_400(exchange: Exchange) -> None:
    """A speech request with a voice GET /audio/voices does not list is refused with 400."""
    if exchange.status != 400:
        raise fail(f"a voice that GET /audio/voices does not list was answered {exchange.status}, expected 400 "
                   f"(001: the voices list is the 'Reference list of all available TTS voice IDs')")


@check("transcription.rejects_invalid", severity=Severity.HIGH, auto=False, inferred=True)
def transcription_rejects_invalid(exchange: Exchange) -> None:
    """A transcription request without an audio `file` part (missing, or not audio) is refused with 400."""
    if exchange.status != 400:
        why = exchange.context.get("invalid", "an invalid transcription request")
        raise fail(f"{why} was answered {exchange.status}, expected 400 with the error contract: "
                   f"{exchange.excerpt(160)!r}")
