"""POST /embeddings, /audio/speech and /audio/transcriptions on the reference gateway, driven by the OpenAI SDK.

Both providers of these models are covered: OpenAI (text-embedding-3-small, tts-1, whisper-1) and the
self-hosted threatwinds backend (qwen3-embedding-8b, kokoro-82m, whisper-large-v3)."""

from __future__ import annotations

import base64
import io
import json
import time
import wave
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import numpy as np
import openai
import pytest
from openai import OpenAI

from aigw_conformance.mocks.openai.embeddings import vector
from aigw_conformance.mocks.reference import ReferenceStack
from aigw_conformance.mocks.reference.catalogue import CATALOGUE
from aigw_conformance.spec.loader import component_validator
from aigw_conformance.suites import sse

ErrorCheck = Callable[..., dict[str, Any]]
EMBEDDERS = {"text-embedding-3-small": ("openai", 1536), "qwen3-embedding-8b": ("threatwinds", 4096)}
VOICE_PAIRS = [("tts-1", "whisper-1"), ("kokoro-82m", "whisper-large-v3"), ("tts-1", "whisper-large-v3")]
NON_CHAT = [entry.id for entry in CATALOGUE if entry.endpoint != "chat"]
TEXTS = ["Extended detection and response", "Security information and event management", "XDR"]


def journal(stack: ReferenceStack, provider: str, suffix: str) -> list[dict[str, Any]]:
    entries = httpx.get(stack.mock_url(provider) + "/__mock__/journal", trust_env=False).json()["data"]
    return [entry for entry in entries if entry["path"].endswith(suffix)]


def schema_problems(component: str, instance: Any) -> list[str]:
    return [error.message for error in component_validator(component).iter_errors(instance)]


def wav_of(data: bytes) -> tuple[int, int, int, int]:
    """(channels, sample width, rate, frames) of a WAV file, as the stdlib reads it."""
    with wave.open(io.BytesIO(data)) as reader:
        return reader.getnchannels(), reader.getsampwidth(), reader.getframerate(), reader.getnframes()


# --- embeddings -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("model", EMBEDDERS)
def test_sdk_embeddings_keep_order_dimensions_and_the_mock_vectors(sdk: OpenAI, model: str) -> None:
    native = EMBEDDERS[model][1]
    reply = sdk.embeddings.create(model=model, input=TEXTS, dimensions=64, encoding_format="float")
    assert reply.model == model and reply.object == "list"
    assert [item.index for item in reply.data] == [0, 1, 2]
    for item, text in zip(reply.data, TEXTS, strict=True):
        assert len(item.embedding) == 64
        assert np.allclose(item.embedding, vector(model, text, 64, native), atol=1e-6)
    assert reply.usage.prompt_tokens == reply.usage.total_tokens > 0


@pytest.mark.parametrize("model", EMBEDDERS)
def test_base64_embeddings_equal_the_floats(sdk: OpenAI, client: httpx.Client, model: str) -> None:
    floats = sdk.embeddings.create(model=model, input=TEXTS, encoding_format="float")
    decoded = sdk.embeddings.create(model=model, input=TEXTS)  # the SDK asks for base64 and decodes it
    raw = client.post("/embeddings", json={"model": model, "input": TEXTS, "encoding_format": "base64"}).json()
    assert schema_problems("EmbeddingResponse", raw) == []
    for plain, via_sdk, item in zip(floats.data, decoded.data, raw["data"], strict=True):
        assert len(plain.embedding) == EMBEDDERS[model][1]
        assert np.array_equal(np.asarray(via_sdk.embedding, dtype=np.float32),
                              np.asarray(plain.embedding, dtype=np.float32))
        assert np.array_equal(np.frombuffer(base64.b64decode(item["embedding"]), dtype="<f4"),
                              np.asarray(plain.embedding, dtype=np.float32))


@pytest.mark.parametrize("model", EMBEDDERS)
def test_embeddings_go_to_the_models_provider_with_dimensions_and_format(
    client: httpx.Client, stack: ReferenceStack, model: str
) -> None:
    provider = EMBEDDERS[model][0]
    body = {"model": model, "input": "one string", "dimensions": 8, "encoding_format": "base64", "user": "u-1",
            "undocumented": True}
    reply = client.post("/embeddings", json=body)
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "application/json"
    assert schema_problems("EmbeddingResponse", reply.json()) == []
    sent = journal(stack, provider, "/v1/embeddings")[-1]
    assert sent["json"] == {key: value for key, value in body.items() if key != "undocumented"}
    assert sent["headers"]["authorization"] == f"Bearer {stack.settings.upstream_api_key}"


def test_token_id_input_embeds_like_its_text(sdk: OpenAI) -> None:
    from aigw_conformance.mocks.core.tokens import encode

    as_text = sdk.embeddings.create(model="text-embedding-3-small", input="hello world", encoding_format="float")
    as_ids = sdk.embeddings.create(model="text-embedding-3-small", input=[encode("hello world", "cl100k_base")],
                                   encoding_format="float")
    assert as_text.data[0].embedding == as_ids.data[0].embedding


@pytest.mark.parametrize("body, status, param, code", [
    ({"model": "gpt-5", "input": "x"}, 400, "model", "unsupported_model"),
    ({"model": "tts-1", "input": "x"}, 400, "model", "unsupported_model"),
    ({"model": "no-such-embedder", "input": "x"}, 404, "model", "model_not_found"),
    ({"model": "text-embedding-3-small"}, 400, "input", "invalid_parameter"),
    ({"model": "text-embedding-3-small", "input": []}, 400, "input", "invalid_parameter"),
    ({"model": "text-embedding-3-small", "input": "x", "dimensions": 0}, 400, "dimensions", "invalid_parameter"),
    ({"model": "text-embedding-3-small", "input": "x", "encoding_format": "hex"}, 400, "encoding_format", ...),
    ({"model": "text-embedding-3-small", "input": "x", "dimensions": 5000}, 400, ..., "upstream_rejected"),
])
def test_embedding_errors_follow_the_contract(
    client: httpx.Client, check_error: ErrorCheck, body: dict[str, Any], status: int, param: Any, code: Any
) -> None:
    check_error(client.post("/embeddings", json=body), status, param=param, code=code)


def test_chat_model_on_embeddings_names_its_endpoint(client: httpx.Client, check_error: ErrorCheck) -> None:
    error = check_error(client.post("/embeddings", json={"model": "gpt-5", "input": "x"}), 400)
    assert "/chat/completions" in error["message"]


def test_embeddings_need_credentials_and_json(client: httpx.Client, check_error: ErrorCheck) -> None:
    body = {"model": "text-embedding-3-small", "input": "x"}
    check_error(client.post("/embeddings", json=body, headers={"authorization": "Bearer nope"}), 401)
    check_error(client.post("/embeddings", content=json.dumps(body), headers={"content-type": "text/plain"}), 400,
                code="invalid_content_type")
    check_error(client.post("/embeddings", content=b"{not json", headers={"content-type": "application/json"}),
                400, code="invalid_json")


@pytest.mark.parametrize("upstream, gateway", [(503, 500), (429, 500), (400, 400)])
def test_upstream_embedding_failures_map_to_documented_statuses(
    client: httpx.Client, check_error: ErrorCheck, upstream: int, gateway: int
) -> None:
    for model in EMBEDDERS:
        reply = client.post("/embeddings", json={"model": model, "input": "x"},
                            headers={"x-mock-status": str(upstream)})
        check_error(reply, gateway)


def test_sdk_sees_bad_request_for_a_chat_model(sdk: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="does not support /embeddings"):
        sdk.embeddings.create(model="gpt-5-mini", input="x")


# --- embedding and audio models are refused on chat --------------------------------------------------------------

@pytest.mark.parametrize("model", NON_CHAT)
def test_embedding_and_audio_models_are_refused_on_chat(
    client: httpx.Client, check_error: ErrorCheck, model: str
) -> None:
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
    error = check_error(client.post("/chat/completions", json=body), 400, param="model", code="unsupported_model")
    assert "does not support /chat/completions" in error["message"]
    entry = next(entry for entry in CATALOGUE if entry.id == model)
    assert f"/{entry.endpoint}" in error["message"]
    check_error(client.post("/chat/completions", json={**body, "stream": True}), 400, code="unsupported_model")
    check_error(client.post("/chat/count", json=body), 400, param="model", code="unsupported_model")


def test_catalogue_lists_the_embedding_and_audio_models(client: httpx.Client) -> None:
    models = {model["id"]: model for model in client.get("/models").json()["data"]}
    expected = {
        "text-embedding-3-small": ("openai", "openai", ["embeddings"]),
        "qwen3-embedding-8b": ("threatwinds", "Alibaba", ["embeddings"]),
        "whisper-1": ("openai", "openai", ["transcription"]),
        "whisper-large-v3": ("threatwinds", "OpenAI", ["transcription"]),
        "tts-1": ("openai", "openai", ["speech"]),
        "kokoro-82m": ("threatwinds", "Hexgrad", ["speech"]),
    }
    for model_id, (provider, owner, capabilities) in expected.items():
        model = models[model_id]
        assert (model["provider"], model["owned_by"], model["capabilities"]) == (provider, owner, capabilities)
        assert schema_problems("Model", model) == []


# --- audio ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("tts, stt", VOICE_PAIRS)
def test_speech_then_transcription_round_trip_through_the_gateway(sdk: OpenAI, tts: str, stt: str) -> None:
    text = f"Isolate host 10.0.0.7 now ({tts} to {stt})"
    speech = sdk.audio.speech.create(model=tts, voice="coral", input=text, response_format="wav")
    assert speech.response.headers["content-type"] == "audio/wav"
    channels, width, rate, frames = wav_of(speech.content)
    assert channels >= 1 and width >= 1 and rate > 0 and frames > 0
    transcript = sdk.audio.transcriptions.create(model=stt, file=("speech.wav", speech.content, "audio/wav"))
    assert transcript.text == text


def test_transcription_as_text_and_with_fields(sdk: OpenAI, stack: ReferenceStack) -> None:
    audio = sdk.audio.speech.create(model="kokoro-82m", voice="alloy", input="plain text", response_format="wav")
    text = sdk.audio.transcriptions.create(model="whisper-large-v3", file=("a.wav", audio.content),
                                           response_format="text", language="en", temperature=0.2)
    assert text.strip() == "plain text"
    sent = journal(stack, "threatwinds", "/v1/audio/transcriptions")[-1]
    assert sent["headers"]["content-type"].startswith("multipart/form-data; boundary=")
    assert sent["size"] > len(audio.content)  # the file itself went upstream, as a multipart part


def test_speech_pcm_keeps_the_upstream_media_type(client: httpx.Client) -> None:
    body = {"model": "tts-1", "input": "raw", "voice": "nova", "response_format": "pcm", "speed": 1.5}
    reply = client.post("/audio/speech", json=body)
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "audio/pcm" and len(reply.content) > 0


@pytest.mark.parametrize("body, status, param, code", [
    ({"model": "tts-1", "input": "x", "voice": "not-a-voice"}, 400, "voice", "invalid_parameter"),
    ({"model": "tts-1", "input": "", "voice": "alloy"}, 400, "input", "invalid_parameter"),
    ({"model": "tts-1", "input": "x"}, 400, "voice", "invalid_parameter"),
    ({"model": "tts-1", "input": "x", "voice": "alloy", "speed": 9}, 400, "speed", "invalid_parameter"),
    ({"model": "whisper-1", "input": "x", "voice": "alloy"}, 400, "model", "unsupported_model"),
    ({"model": "qwen3-embedding-8b", "input": "x", "voice": "alloy"}, 400, "model", "unsupported_model"),
    ({"model": "tts-9", "input": "x", "voice": "alloy"}, 404, "model", "model_not_found"),
    ({"model": "tts-1", "input": "x", "voice": "alloy", "response_format": "mp3"}, 400, ..., "upstream_rejected"),
])
def test_speech_errors_follow_the_contract(
    client: httpx.Client, check_error: ErrorCheck, body: dict[str, Any], status: int, param: Any, code: Any
) -> None:
    check_error(client.post("/audio/speech", json=body), status, param=param, code=code)


def test_transcription_errors_follow_the_contract(client: httpx.Client, check_error: ErrorCheck) -> None:
    audio = ("a.wav", b"RIFF0000WAVE", "audio/wav")
    post = client.post
    check_error(post("/audio/transcriptions", data={"model": "whisper-1"}, files={"other": audio}), 400,
                param="file")
    check_error(post("/audio/transcriptions", files={"file": audio}), 400, param="model")
    check_error(post("/audio/transcriptions", json={"model": "whisper-1", "file": "x"}), 400,
                code="invalid_content_type")
    check_error(post("/audio/transcriptions", data={"model": "gpt-5"}, files={"file": audio}), 400,
                param="model", code="unsupported_model")
    check_error(post("/audio/transcriptions", data={"model": "nope"}, files={"file": audio}), 404,
                code="model_not_found")
    check_error(post("/audio/transcriptions", data={"model": "whisper-1", "temperature": "2"},
                     files={"file": audio}), 400, param="temperature")
    check_error(post("/audio/transcriptions", data={"model": "whisper-1", "response_format": "srt"},
                     files={"file": audio}), 400, param="response_format")
    check_error(post("/audio/transcriptions", data={"model": "whisper-1"}, files={"file": ("a.exe", b"MZ")}), 400,
                code="upstream_rejected")
    check_error(post("/audio/transcriptions", content=b"--x\r\ngarbage",
                     headers={"content-type": "multipart/form-data; boundary=x"}), 400)
    check_error(post("/audio/transcriptions", data={"model": "whisper-1"}, files={"file": audio},
                     headers={"authorization": "Bearer nope"}), 401)


def test_oversized_upload_is_413(check_error: ErrorCheck) -> None:
    with ReferenceStack(max_body_bytes=1000) as small:
        reply = httpx.post(small.base_url + "/audio/transcriptions", data={"model": "whisper-1"},
                           files={"file": ("a.wav", b"\0" * 2000)}, trust_env=False,
                           headers={"authorization": f"Bearer {small.token}"})
    check_error(reply, 413, code="request_too_large")


# --- nothing hangs past the upstream timeout -------------------------------------------------------------------

TIMEOUT_S = 0.5
MARGIN_S = 1.5  # generous for a loaded machine; the upstream itself would take 5 s (delay) or 30 s (stall)


@pytest.fixture(scope="module")
def impatient() -> Iterator[tuple[ReferenceStack, httpx.Client]]:
    """A stack whose gateway waits 0.5 s on providers, warmed up (the mocks load their tokenizers once)."""
    with ReferenceStack(upstream_timeout_s=TIMEOUT_S) as running, httpx.Client(
            base_url=running.base_url, headers={"authorization": f"Bearer {running.token}"}, timeout=30,
            trust_env=False) as http:
        for model in ("gpt-5-mini", "gpt-oss-20b"):
            http.post("/chat/completions", json={"model": model, "messages": [{"role": "user", "content": "hi"}],
                                                 "max_completion_tokens": 5})
        http.post("/embeddings", json={"model": "text-embedding-3-small", "input": "warm"})
        http.post("/embeddings", json={"model": "qwen3-embedding-8b", "input": "warm"})
        yield running, http


def _speech_wav(http: httpx.Client) -> bytes:
    reply = http.post("/audio/speech", json={"model": "tts-1", "input": "late", "voice": "alloy",
                                             "response_format": "wav"})
    assert reply.status_code == 200, reply.text
    return reply.content


@pytest.mark.parametrize("what", ["chat", "embeddings", "embeddings-threatwinds", "speech", "transcription"])
def test_a_slow_upstream_is_a_500_within_the_timeout(
    impatient: tuple[ReferenceStack, httpx.Client], check_error: ErrorCheck, what: str
) -> None:
    _, http = impatient
    slow = {"x-mock-delay-ms": "5000"}
    calls: dict[str, Callable[[], httpx.Response]] = {
        "chat": lambda: http.post("/chat/completions", headers=slow, json={
            "model": "gpt-5-mini", "messages": [{"role": "user", "content": "hi"}]}),
        "embeddings": lambda: http.post("/embeddings", headers=slow, json={
            "model": "text-embedding-3-small", "input": "x"}),
        "embeddings-threatwinds": lambda: http.post("/embeddings", headers=slow, json={
            "model": "qwen3-embedding-8b", "input": "x"}),
        "speech": lambda: http.post("/audio/speech", headers=slow, json={
            "model": "kokoro-82m", "input": "x", "voice": "alloy", "response_format": "wav"}),
        "transcription": lambda: http.post("/audio/transcriptions", headers=slow, data={"model": "whisper-1"},
                                           files={"file": ("a.wav", audio)}),
    }
    audio = _speech_wav(http) if what == "transcription" else b""
    started = time.monotonic()
    reply = calls[what]()
    elapsed = time.monotonic() - started
    error = check_error(reply, 500, code="provider_error")
    assert "Timeout" in error["message"]
    assert TIMEOUT_S * 0.9 <= elapsed < TIMEOUT_S + MARGIN_S, elapsed


@pytest.mark.parametrize("model", ["gpt-5-mini", "gpt-oss-20b", "gemini-3-flash", "claude-haiku-4-5"])
def test_a_stalled_stream_ends_with_an_error_event_within_the_timeout(
    impatient: tuple[ReferenceStack, httpx.Client], model: str
) -> None:
    _, http = impatient
    body = {"model": model, "messages": [{"role": "user", "content": "Explain XDR"}], "stream": True}
    started = time.monotonic()
    reply = http.post("/chat/completions", json=body, headers={"x-mock-stall-after": "2"})
    elapsed = time.monotonic() - started
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/event-stream")
    parsed = sse.parse(reply.content)
    assert parsed.problems == []
    data = [json.loads(event.data) for event in parsed.events]
    assert all("choices" in chunk for chunk in data[:-1]) and len(data) >= 2
    error = data[-1]["error"]
    assert error["code"] == "provider_error" and "Timeout" in error["message"]
    assert set(error) == {"message", "type", "param", "code"}
    assert elapsed < TIMEOUT_S + MARGIN_S, elapsed
