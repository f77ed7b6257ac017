"""Conformance tests of text-to-speech, speech-to-text (round trip through both) and audio input in chat."""

from __future__ import annotations

import base64
import io
import math
import struct
import wave
from typing import Any

from aigw_conformance.suites.checks.output import usage_of
from aigw_conformance.suites.conformance.registry import TestContext, conformance_test
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import CheckFailed
from aigw_conformance.suites.features import Feature
from aigw_conformance.suites.multipart import FilePart, encode

SPOKEN = "The SOC blocked the phishing domain at the perimeter."
AUDIO_QUESTION = "Transcribe this voicemail and say whether it is a phishing attempt."
ERROR_CONTRACT = ["errors.envelope", "errors.x_error", "errors.x_error_id"]


def tiny_wav(seconds: float = 0.25, rate: int = 16_000) -> bytes:
    """A short 16-bit mono PCM WAV of a 440 Hz tone, made locally."""
    frames = b"".join(struct.pack("<h", round(8_000 * math.sin(2 * math.pi * 440 * n / rate)))
                      for n in range(round(seconds * rate)))
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(frames)
    return out.getvalue()


def _voice(t: TestContext) -> str:
    """The first voice GET /audio/voices lists (with the voices feature), else OpenAI's default `alloy`."""
    if t.target.skip_reason(Feature.VOICES):
        return "alloy"
    listed = t.send("GET", "/audio/voices", label="a voice to speak with", expect=["http.success"])
    try:
        data = listed.json.get("data") if listed.status == 200 else None
        return str(data[0]["id"]) if isinstance(data, list) and data else "alloy"
    except (ValueError, AttributeError, KeyError, TypeError):
        return "alloy"


def _speak(t: TestContext, model: str, voice: str, fmt: str = "wav", text: str = SPOKEN) -> Exchange:
    return t.send("POST", "/audio/speech", json_body={"model": model, "input": text, "voice": voice,
                                                      "response_format": fmt},
                  label=f"{model}, voice {voice}, {fmt}", expect=["http.success"])


def _transcribe(t: TestContext, fields: dict[str, str], files: dict[str, FilePart], label: str,
                expect: list[str], context: dict[str, Any] | None = None) -> Exchange:
    body, headers = encode(fields, files)
    return t.send("POST", "/audio/transcriptions", content=body, headers=headers, label=label, expect=expect,
                  context={"form": fields, **(context or {})})


@conformance_test("audio.speech_round_trip", features=(Feature.AUDIO,))
def speech_round_trip(t: TestContext) -> None:
    """Speech in a listed voice is a valid WAV served as audio/wav; transcribing it gives back its text."""
    voice = _voice(t)
    transcribers = t.models("transcription", fallback=False)
    for k, model in enumerate(t.models("speech", fallback=False)):
        speech = _speak(t, model, voice)
        if speech.status != 200:
            continue
        transcriber = transcribers[k % len(transcribers)]
        audio = {"file": FilePart("speech.wav", speech.body, "audio/wav")}
        _transcribe(t, {"model": transcriber}, audio, f"{transcriber}, speech of {model}",
                    ["speech.round_trip"], {"spoken_text": SPOKEN})


@conformance_test("audio.speech_formats", features=(Feature.AUDIO,))
def speech_formats(t: TestContext) -> None:
    """Speech in `pcm` (raw samples) is served as audio/*; wav is covered by the round trip (audio/wav)."""
    model = t.models("speech", fallback=False)[0]
    _speak(t, model, "alloy", "pcm", "Isolate the host.")


@conformance_test("audio.transcription_formats", features=(Feature.AUDIO,))
def transcription_formats(t: TestContext) -> None:
    """A transcription is {"text"} JSON by default and with `json`, and text/plain with `text`."""
    speech = _speak(t, t.models("speech", fallback=False)[0], "alloy", text="Rotate the leaked keys.")
    audio = {"file": FilePart("speech.wav", speech.body if speech.status == 200 else tiny_wav(), "audio/wav")}
    for model in t.models("transcription", fallback=False):
        for fmt in (None, "json", "text"):
            fields = {"model": model, **({"response_format": fmt} if fmt else {})}
            _transcribe(t, fields, audio, f"{model}, response_format {fmt or 'omitted'}", ["http.success"])


@conformance_test("audio.unknown_voice", features=(Feature.AUDIO,))
def unknown_voice(t: TestContext) -> None:
    """A speech request naming a voice the voices list lacks is refused with 400 and the error contract."""
    model = t.models("speech", fallback=False)[0]
    t.send("POST", "/audio/speech", label=f"{model}, unknown voice",
           expect=["speech.unknown_voice_400", *ERROR_CONTRACT],
           json_body={"model": model, "input": SPOKEN, "voice": "aigw-no-such-voice", "response_format": "wav"})


@conformance_test("audio.transcription_invalid", features=(Feature.AUDIO,))
def transcription_invalid(t: TestContext) -> None:
    """A transcription without a `file` part, or of a file that is not audio, is refused with 400."""
    model = t.models("transcription", fallback=False)[0]
    notes = {"file": FilePart("notes.txt", b"not audio: incident notes\n", "text/plain")}
    for what, files in (("no file part", {}), ("a text file, not audio", notes)):
        _transcribe(t, {"model": model}, files, f"{model}, {what}",
                    ["transcription.rejects_invalid", *ERROR_CONTRACT], {"invalid": what})


def _chat(t: TestContext, model: str, parts: list[dict[str, Any]], label: str, expect: list[str],
          context: dict[str, Any] | None = None) -> Exchange:
    return t.send("POST", "/chat/completions", label=f"{model}, {label}", expect=expect, context=context,
                  json_body={"model": model, "messages": [{"role": "user", "content": parts}],
                             "max_completion_tokens": 16})


def _prompt_tokens(exchange: Exchange) -> Any:
    try:
        return (usage_of(exchange) or {}).get("prompt_tokens") if exchange.status == 200 else None
    except CheckFailed:
        return None


@conformance_test("chat.input_audio", features=(Feature.AUDIO_INPUT,))
def input_audio(t: TestContext) -> None:
    """An input_audio part reaches models that take audio (it costs prompt tokens) and is refused with 400 by
    the models the target lists as taking none."""
    text = {"type": "text", "text": AUDIO_QUESTION}
    audio = {"type": "input_audio", "input_audio": {"data": base64.b64encode(tiny_wav()).decode(), "format": "wav"}}
    taking, refusing = (t.target.models_for(key, fallback=False) for key in ("audio_input", "audio_input_unsupported"))
    if not taking and not refusing:
        raise t.skip("the target names no model for capability 'audio_input' ([models] audio_input, or "
                     "audio_input_unsupported for models that refuse audio)")
    for model in taking:
        alone = _chat(t, model, [text], "text part only", ["http.success"])
        prompt = _prompt_tokens(alone)
        _chat(t, model, [text, audio], "text and input_audio parts", ["http.success", "audio_input.counted"],
              {"text_prompt_tokens": prompt})
    for model in refusing:
        _chat(t, model, [text, audio], "input_audio on a model without audio input",
              ["audio_input.refused_400", *ERROR_CONTRACT])
