"""The embeddings, audio and dedicated-endpoint checks pass well-formed exchanges and fail crafted bad ones."""

from __future__ import annotations

import base64
import io
import json
import struct
import wave
from typing import Any

import httpx
import pytest

from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.multipart import FilePart, encode
from tests.suites.outcomes import outcome as run_check

VECTORS = [[0.6, 0.8, 0.0], [0.0, 0.6, 0.8]]


def exchange(operation: str, request: Any, body: bytes | Any, *, status: int = 200, content_type: str =
             "application/json", context: dict[str, Any] | None = None) -> Exchange:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Exchange(api="ai", operation=operation, method=operation.split()[0], url="http://t" + operation.split()[1],
                    request_headers={}, request_json=request, status=status, body=raw, elapsed_s=0.01,
                    headers=httpx.Headers({"content-type": content_type}), context=dict(context or {}))


def outcome(name: str, ex: Exchange) -> str | None:
    return run_check(name, ex, must_apply="auto")


def packed(vector: list[float], width: str = "f") -> str:
    return base64.b64encode(struct.pack(f"<{len(vector)}{width}", *vector)).decode()


def embeddings(vectors: list[Any], *, indices: list[int] | None = None, usage: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"object": "list", "model": "m", "data": [
        {"object": "embedding", "index": k if indices is None else indices[k], "embedding": v}
        for k, v in enumerate(vectors)]}
    body["usage"] = {"prompt_tokens": 4, "total_tokens": 4} if usage is None else usage
    return body


def embed(request: dict[str, Any], body: Any, **context: Any) -> Exchange:
    return exchange("POST /embeddings", {"model": "m", **request}, body, context=context)


def test_embeddings_shape_order_and_usage() -> None:
    good = embed({"input": ["a", "b"]}, embeddings(VECTORS))
    for name in ("embeddings.response_shape", "embeddings.one_per_input", "embeddings.usage",
                 "embeddings.dimensions"):
        assert outcome(name, good) is None, name
    assert outcome("embeddings.response_shape", embed({"input": "a"}, {"object": "list", "data": []})) is not None
    assert outcome("embeddings.response_shape", embed({"input": "a", "encoding_format": "base64"},
                                                      embeddings(VECTORS[:1]))) is not None
    assert "indices" in (outcome("embeddings.one_per_input", embed(
        {"input": ["a", "b"]}, embeddings(VECTORS[::-1], indices=[1, 0]))) or "")
    assert outcome("embeddings.one_per_input", embed({"input": ["a", "b", "c"]}, embeddings(VECTORS))) is not None
    assert outcome("embeddings.one_per_input", embed({"input": [1, 2, 3]}, embeddings(VECTORS[:1]))) is None
    assert outcome("embeddings.usage", embed({"input": "a"}, {**embeddings(VECTORS[:1]), "usage": None})) is not None
    assert outcome("embeddings.usage", embed({"input": "a"}, embeddings(
        VECTORS[:1], usage={"prompt_tokens": 4, "total_tokens": 5}))) is not None
    assert outcome("embeddings.usage", embed({"input": "a"}, embeddings(
        VECTORS[:1], usage={"prompt_tokens": 0, "total_tokens": 0}))) is not None


def test_embeddings_dimensions() -> None:
    assert outcome("embeddings.dimensions", embed({"input": ["a", "b"], "dimensions": 3}, embeddings(VECTORS))) is None
    assert outcome("embeddings.dimensions", embed({"input": ["a", "b"], "dimensions": 2},
                                                  embeddings(VECTORS))) is not None
    assert outcome("embeddings.dimensions", embed({"input": ["a", "b"]},
                                                  embeddings([[0.1, 0.2], [0.1, 0.2, 0.3]]))) is not None
    assert outcome("embeddings.dimensions", embed({"input": "a"}, embeddings(VECTORS[:1]),
                                                  default_dimensions=8)) is not None
    base64_answer = embed({"input": "a", "dimensions": 3, "encoding_format": "base64"},
                          embeddings([packed(VECTORS[0])]))
    assert outcome("embeddings.dimensions", base64_answer) is None


def test_base64_deterministic_and_order() -> None:
    float32 = [list(struct.unpack("<3f", struct.pack("<3f", *v))) for v in VECTORS]
    b64 = {"input": ["a", "b"], "encoding_format": "base64"}
    good = embed(b64, embeddings([packed(v) for v in VECTORS]), float_vectors=float32)
    assert outcome("embeddings.base64_matches_float", good) is None
    wide = embed(b64, embeddings([packed(v, "d") for v in VECTORS]), float_vectors=float32)
    assert "float32" in (outcome("embeddings.base64_matches_float", wide) or "")
    assert outcome("embeddings.base64_matches_float", embed(b64, embeddings(["not base64!"]),
                                                            float_vectors=float32)) is not None
    again = embed({"input": ["a", "b"]}, embeddings(VECTORS), previous_vectors=VECTORS)
    assert outcome("embeddings.deterministic", again) is None
    other = embed({"input": ["a", "b"]}, embeddings(VECTORS[::-1]), previous_vectors=VECTORS)
    assert outcome("embeddings.deterministic", other) is not None
    batch = embed({"input": ["a", "b"]}, embeddings(VECTORS), single_vectors={0: VECTORS[0], 1: VECTORS[1]})
    assert outcome("embeddings.input_order", batch) is None
    swapped = embed({"input": ["a", "b"]}, embeddings(VECTORS[::-1]), single_vectors={0: VECTORS[0]})
    assert "position 1" in (outcome("embeddings.input_order", swapped) or "")


def test_embeddings_rejects_invalid() -> None:
    refused = exchange("POST /embeddings", {"model": "m", "input": ""}, {"error": {}}, status=400)
    assert outcome("embeddings.rejects_invalid", refused) is None
    assert outcome("embeddings.rejects_invalid", embed({"input": ""}, embeddings(VECTORS[:1]))) is not None
    unknown = exchange("POST /embeddings", {"model": "x", "input": "a"}, {"error": {}}, status=400,
                       context={"expected_status": 404})
    assert outcome("embeddings.rejects_invalid", unknown) is not None


def wav(frames: int = 240) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(24_000)
        writer.writeframes(b"\x01\x00" * frames)
    return out.getvalue()


def speech(body: bytes, content_type: str = "audio/wav", fmt: str | None = "wav") -> Exchange:
    request = {"model": "tts", "input": "hi", "voice": "alloy", **({"response_format": fmt} if fmt else {})}
    return exchange("POST /audio/speech", request, body, content_type=content_type)


def test_speech_content_type() -> None:
    assert outcome("speech.content_type", speech(wav())) is None
    assert outcome("speech.content_type", speech(b"\xff\xfb", "audio/mpeg", None)) is None
    assert outcome("speech.content_type", speech(b"\x00\x01", "audio/pcm", "pcm")) is None
    assert outcome("speech.content_type", speech(wav(), "application/octet-stream")) is not None
    assert outcome("speech.content_type", speech(wav(), "audio/mpeg")) is not None
    assert outcome("speech.content_type", speech(b"", "audio/wav")) is not None


def _riff_sized(data: bytes) -> bytes:
    return data[:4] + (len(data) - 8).to_bytes(4, "little") + data[8:]


BROKEN_WAVS: dict[str, Any] = {
    "RIFF size holds the file length": lambda data: data[:4] + len(data).to_bytes(4, "little") + data[8:],
    "data chunk runs past the end": lambda data: _riff_sized(data[:60]),
    "no RIFF header": lambda data: b"RIFX" + data[4:],
    "no fmt chunk": lambda data: data.replace(b"fmt ", b"junk"),
}


@pytest.mark.parametrize("broken", sorted(BROKEN_WAVS))
def test_speech_wav_valid_fails_broken_files(broken: str) -> None:
    assert outcome("speech.wav_valid", speech(wav())) is None
    assert outcome("speech.wav_valid", speech(BROKEN_WAVS[broken](wav()))) is not None


def transcription(body: Any, *, fmt: str | None = None, content_type: str = "application/json",
                  status: int = 200, **context: Any) -> Exchange:
    fields = {"model": "whisper", **({"response_format": fmt} if fmt else {})}
    raw = body.encode() if isinstance(body, str) else body
    return exchange("POST /audio/transcriptions", None, raw, status=status, content_type=content_type,
                    context={"form": fields, **context})


def test_transcription_shape_and_round_trip() -> None:
    assert outcome("transcription.response_shape", transcription({"text": "Hello there."})) is None
    assert outcome("transcription.response_shape", transcription("Hello there.", fmt="text",
                                                                  content_type="text/plain")) is None
    assert outcome("transcription.response_shape", transcription({"text": "Hi"}, fmt="text")) is not None
    assert outcome("transcription.response_shape", transcription({"transcript": "Hi"})) is not None
    assert outcome("transcription.response_shape", transcription("Hi", content_type="text/plain")) is not None
    spoken = "The SOC blocked the phishing domain."
    assert outcome("speech.round_trip", transcription({"text": "the soc  blocked the phishing-domain"},
                                                      spoken_text=spoken)) is None
    assert outcome("speech.round_trip", transcription({"text": "The SOC blocked the phishing"},
                                                      spoken_text=spoken)) is not None
    assert outcome("speech.round_trip", transcription({"error": {}}, status=400, spoken_text=spoken)) is not None


def test_refusals() -> None:
    refused = exchange("POST /audio/speech", {"voice": "nope"}, {"error": {}}, status=400)
    assert outcome("speech.unknown_voice_400", refused) is None
    assert outcome("speech.unknown_voice_400", speech(wav())) is not None
    assert outcome("transcription.rejects_invalid", transcription({"error": {}}, status=400)) is None
    assert outcome("transcription.rejects_invalid", transcription({"text": "noise"})) is not None
    chat = {"model": "text-embedding-3-small", "messages": [{"role": "user", "content": "hi"}]}
    # 000 names no status: 400, 403 and 404 are all refusals (decision dedicated.status); 200 and 5xx are not.
    for status, failed in ((400, False), (403, False), (404, False), (200, True), (500, True), (502, True)):
        answer = exchange("POST /chat/completions", chat, {"error": {}}, status=status)
        assert (outcome("models.dedicated_endpoint_refused", answer) is not None) is failed, status


def completion(prompt_tokens: int, status: int = 200) -> dict[str, Any]:
    return {"id": "c", "object": "chat.completion", "created": 1, "model": "m", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 1, "total_tokens": prompt_tokens + 1}}


def test_audio_input_counted_and_refused() -> None:
    request = {"model": "m", "messages": [{"role": "user", "content": [{"type": "input_audio"}]}]}
    counted = exchange("POST /chat/completions", request, completion(90), context={"text_prompt_tokens": 12})
    assert outcome("audio_input.counted", counted) is None
    dropped = exchange("POST /chat/completions", request, completion(12), context={"text_prompt_tokens": 12})
    assert "did not reach" in (outcome("audio_input.counted", dropped) or "")
    refused = exchange("POST /chat/completions", request, {"error": {}}, status=400)
    assert outcome("audio_input.counted", refused) is not None
    assert outcome("audio_input.refused_400", refused) is None
    assert outcome("audio_input.refused_400", dropped) is not None


def test_multipart_body_holds_fields_then_files() -> None:
    audio = {"file": FilePart("a.wav", wav(), "audio/wav")}
    body, headers = encode({"model": "whisper-1", "prompt": 'say "hi"'}, audio)
    boundary = headers["content-type"].removeprefix("multipart/form-data; boundary=")
    assert body.endswith(f"--{boundary}--\r\n".encode()) and body.count(f"--{boundary}".encode()) == 4
    assert b'name="prompt"\r\n\r\nsay "hi"\r\n' in body
    assert b'filename="a.wav"\r\ncontent-type: audio/wav\r\n\r\n' + wav() + b"\r\n" in body
