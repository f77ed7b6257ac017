"""The OpenAI mock's embeddings and audio endpoints, driven by the official `openai` SDK."""

from __future__ import annotations

import base64
import io
import itertools
import math
import wave
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigw_conformance.mocks.core import audiocodec
from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.core.tokens import count_tokens, encode
from aigw_conformance.mocks.openai.app import create_app

AUTH = {"authorization": "Bearer test-key"}
TEXTS = [
    "Hello, world!",
    "Alert: 3 failed logins (user=admin; ip=10.0.0.7) -- block? [y/N] {ok} 100% \"quoted\" 'single' #tag @here",
    "naïve café — Zürich, 東京, Москва, عربى 🚀🔐",
    "  leading and trailing spaces, a\nnewline and a\ttab  ",
]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with ServerThread(create_app(strict_models=True), name="openai-mock-audio") as server:  # the catalogue only
        yield server.base_url


@pytest.fixture(scope="module")
def client(base_url: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{base_url}/v1", api_key="test-key", max_retries=0, timeout=20) as sdk:
        yield sdk


def embed_raw(base_url: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{base_url}/v1/embeddings", json=body, headers=AUTH, timeout=10)


def speak(client: openai.OpenAI, text: str, speed: float = 1.0, voice: Any = "alloy") -> bytes:
    return client.audio.speech.create(
        model="tts-1", voice=voice, input=text, response_format="wav", speed=speed).read()


def transcribe(client: openai.OpenAI, audio: bytes, **kwargs: Any) -> Any:
    return client.audio.transcriptions.create(file=("speech.wav", audio), model="whisper-1", **kwargs)


# ------------------------------------------------------------------------------------------ embeddings


@pytest.mark.parametrize(("model", "native"), [("text-embedding-3-small", 1536), ("text-embedding-3-large", 3072)])
def test_embeddings_have_native_or_requested_dimensions_and_unit_norm(
    client: openai.OpenAI, model: str, native: int
) -> None:
    whole = client.embeddings.create(model=model, input="zero trust", encoding_format="float")
    short = client.embeddings.create(model=model, input="zero trust", dimensions=256, encoding_format="float")
    assert whole.object == "list" and whole.model == model and whole.data[0].object == "embedding"
    full, cut = np.array(whole.data[0].embedding), np.array(short.data[0].embedding)
    assert full.shape == (native,) and cut.shape == (256,)
    assert abs(np.linalg.norm(full) - 1) < 1e-6 and abs(np.linalg.norm(cut) - 1) < 1e-6
    assert np.allclose(cut, full[:256] / np.linalg.norm(full[:256]), atol=1e-6)  # truncate + renormalise


def test_inputs_keep_their_order_and_usage_counts_cl100k_tokens(client: openai.OpenAI) -> None:
    texts = ["phishing", "lateral movement across hosts", "día 1"]
    batch = client.embeddings.create(model="text-embedding-3-small", input=texts, encoding_format="float")
    assert [d.index for d in batch.data] == [0, 1, 2]
    for text, item in zip(texts, batch.data, strict=True):
        alone = client.embeddings.create(model="text-embedding-3-small", input=text, encoding_format="float")
        assert alone.data[0].embedding == item.embedding
    assert batch.usage.prompt_tokens == batch.usage.total_tokens == sum(count_tokens(t, "cl100k_base") for t in texts)
    ids = encode("phishing", "cl100k_base")
    as_ids = client.embeddings.create(model="text-embedding-3-small", input=ids, encoding_format="float")
    assert as_ids.data[0].embedding == batch.data[0].embedding and as_ids.usage.prompt_tokens == len(ids)
    nested = client.embeddings.create(model="text-embedding-3-small", input=[ids, [1, 2, 3]])
    assert len(nested.data) == 2 and nested.usage.prompt_tokens == len(ids) + 3


def test_base64_is_little_endian_float32_of_exactly_the_float_values(
    client: openai.OpenAI, base_url: str
) -> None:
    body = {"model": "text-embedding-3-large", "input": ["a", "b"], "dimensions": 64}
    floats = embed_raw(base_url, {**body, "encoding_format": "float"}).json()
    packed = embed_raw(base_url, {**body, "encoding_format": "base64"}).json()
    for f, b in zip(floats["data"], packed["data"], strict=True):
        assert isinstance(b["embedding"], str)
        assert np.frombuffer(base64.b64decode(b["embedding"]), dtype="<f4").tolist() == f["embedding"]
    assert floats["usage"] == packed["usage"] == {"prompt_tokens": 2, "total_tokens": 2}
    sdk = client.embeddings.create(model="text-embedding-3-large", input=["a", "b"], dimensions=64)  # sends base64
    assert [d.embedding for d in sdk.data] == [f["embedding"] for f in floats["data"]]


def test_embeddings_are_deterministic_and_differ_by_text_and_model(base_url: str) -> None:
    body = {"model": "text-embedding-3-small", "input": "ransomware"}
    first, second = embed_raw(base_url, body), embed_raw(base_url, body)
    assert first.status_code == 200 and first.content == second.content
    other = embed_raw(base_url, {**body, "input": "ransomware!"}).json()["data"][0]["embedding"]
    large = embed_raw(base_url, {**body, "model": "text-embedding-3-large", "dimensions": 1536}).json()
    assert other != first.json()["data"][0]["embedding"] != large["data"][0]["embedding"]


@pytest.mark.parametrize(
    ("change", "error", "param"),
    [
        ({"dimensions": 1537}, openai.BadRequestError, "dimensions"),
        ({"dimensions": 0}, openai.BadRequestError, "dimensions"),
        ({"model": "text-embedding-ada-002", "dimensions": 8}, openai.BadRequestError, "dimensions"),
        ({"input": ""}, openai.BadRequestError, None),
        ({"input": []}, openai.BadRequestError, None),
        ({"input": [["x"]]}, openai.BadRequestError, None),
        ({"input": "x " * 9000}, openai.BadRequestError, None),
        ({"encoding_format": "hex"}, openai.BadRequestError, "encoding_format"),
        ({"model": "gpt-nope"}, openai.NotFoundError, None),
    ],
)
def test_embedding_errors_follow_openai(
    client: openai.OpenAI, change: dict[str, Any], error: type[openai.APIStatusError], param: str | None
) -> None:
    body: dict[str, Any] = {"model": "text-embedding-3-small", "input": "hello", **change}
    with pytest.raises(error) as caught:
        client.embeddings.create(**body)
    assert caught.value.body is not None and caught.value.response.json()["error"]["param"] == param


def test_unknown_embedding_argument_is_rejected(base_url: str) -> None:
    reply = embed_raw(base_url, {"model": "text-embedding-3-small", "input": "x", "top_k": 1})
    assert reply.status_code == 400 and "Unrecognized request argument" in reply.json()["error"]["message"]


# ------------------------------------------------------------------------------------------------ speech


def test_speech_is_a_valid_deterministic_wav(client: openai.OpenAI, base_url: str) -> None:
    reply = client.audio.speech.create(model="gpt-4o-mini-tts", voice="coral", input="Hello", response_format="wav")
    audio = reply.read()
    assert reply.response.headers["content-type"] == "audio/wav"
    assert audio[:4] == b"RIFF" and audio[8:16] == b"WAVEfmt "
    with wave.open(io.BytesIO(audio)) as reader:
        assert (reader.getnchannels(), reader.getsampwidth(), reader.getframerate()) == (1, 2, 24_000)
        assert reader.getcomptype() == "NONE" and reader.getnframes() > 24_000 // 5
        frames = reader.readframes(reader.getnframes())
    assert speak(client, "Hello", voice="coral") == audio
    pcm = client.audio.speech.create(model="tts-1", voice="coral", input="Hello", response_format="pcm")
    assert pcm.read() == frames and pcm.response.headers["content-type"] == "audio/pcm"
    other_voice = speak(client, "Hello", voice="onyx")
    assert other_voice != audio and transcribe(client, other_voice).text == "Hello"


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("speed", [1.0, 0.5, 2.0])
def test_speech_round_trips_through_transcription(client: openai.OpenAI, text: str, speed: float) -> None:
    audio = speak(client, text, speed)
    result = transcribe(client, audio)
    assert result.text == text
    assert result.usage is not None and result.usage.type == "duration"
    with wave.open(io.BytesIO(audio)) as reader:
        assert result.usage.seconds == math.ceil(reader.getnframes() / 24_000)
    assert transcribe(client, audio, response_format="text") == text + "\n"


def test_speed_changes_duration(client: openai.OpenAI) -> None:
    def seconds(speed: float) -> float:
        with wave.open(io.BytesIO(speak(client, TEXTS[1], speed))) as reader:
            return float(reader.getnframes() / reader.getframerate())

    slow, normal, fast, fastest = seconds(0.25), seconds(1.0), seconds(2.0), seconds(4.0)
    assert slow > normal > fast > fastest
    payload = len(TEXTS[1].encode()) * audiocodec.SYMBOL / 24_000
    assert math.isclose(slow - normal, 3 * payload, rel_tol=0.01)


@settings(max_examples=15, deadline=None)
@given(text=st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF), min_size=1, max_size=30),
       speed=st.sampled_from([0.25, 0.6, 1.0, 1.7, 4.0]))
def test_any_short_printable_text_round_trips(client: openai.OpenAI, text: str, speed: float) -> None:
    assert transcribe(client, speak(client, text, speed)).text == text


def test_codec_survives_noise_and_gain() -> None:
    samples = audiocodec.encode("noisy channel, 42!", speed=3.0).astype(np.float64)
    noisy = samples * 0.05 + np.random.default_rng(7).normal(0, 60, samples.size)
    decoded = audiocodec.decode(noisy)
    assert decoded is not None and decoded.text == "noisy channel, 42!"


# ----------------------------------------------------------------------------------------- transcription


def test_verbose_json_has_language_duration_and_tiling_segments(client: openai.OpenAI) -> None:
    text = "First sentence. Second one! Third?"
    audio = speak(client, text, 2.0)
    verbose = transcribe(client, audio, response_format="verbose_json", language="fr",
                         timestamp_granularities=["word", "segment"])
    with wave.open(io.BytesIO(audio)) as reader:
        duration = reader.getnframes() / 24_000
    assert verbose.text == text and verbose.language == "french" and verbose.duration == round(duration, 3)
    segments = verbose.segments or []
    assert "".join(s.text for s in segments) == text and len(segments) == 3
    assert all(a.end == b.start and a.start < a.end for a, b in itertools.pairwise(segments))
    assert segments[0].start > 0 and segments[-1].end < duration
    assert [w.word for w in verbose.words or []] == ["First", "sentence", "Second", "one", "Third"]
    srt = transcribe(client, audio, response_format="srt")
    vtt = transcribe(client, audio, response_format="vtt")
    assert srt.startswith("1\n00:00:00,") and "\n\n2\n" in srt and "Second one!" in srt
    assert vtt.startswith("WEBVTT\n\n00:00:00.") and "Third?" in vtt


def test_token_billed_models_report_token_usage(client: openai.OpenAI) -> None:
    audio = speak(client, "Token usage")
    result = client.audio.transcriptions.create(
        file=("a.wav", audio), model="gpt-4o-transcribe", prompt="security terms")
    assert result.text == "Token usage" and result.usage is not None and result.usage.type == "tokens"
    assert result.usage.output_tokens == count_tokens("Token usage")
    assert result.usage.input_token_details is not None
    assert result.usage.input_token_details.text_tokens == count_tokens("security terms")
    with pytest.raises(openai.BadRequestError):
        client.audio.transcriptions.create(
            file=("a.wav", audio), model="gpt-4o-transcribe", response_format="verbose_json")


def test_other_audio_transcribes_to_a_deterministic_placeholder(client: openai.OpenAI) -> None:
    tone = (0.3 * 32_767 * np.sin(2 * np.pi * 440 * np.arange(24_000) / 24_000)).astype(np.int16)
    noise = np.random.default_rng(1).normal(0, 3000, 24_000).astype(np.int16)
    texts = [transcribe(client, audiocodec.to_wav(s)).text for s in (tone, noise, tone)]
    assert texts[0] == texts[2] and texts[0] != texts[1] and all(len(t) > 10 for t in texts)
    mp3 = client.audio.transcriptions.create(file=("clip.mp3", b"ID3not-really-mp3"), model="whisper-1")
    assert mp3.text and mp3.text not in texts


@pytest.mark.parametrize(
    ("change", "param"),
    [({"voice": "bogus"}, "voice"), ({"speed": 4.5}, "speed"), ({"speed": 0.2}, "speed"),
     ({"response_format": "mp3"}, "response_format"), ({"input": "x" * 4097}, "input"), ({"input": ""}, "input")],
)
def test_speech_errors_raise_bad_request(client: openai.OpenAI, change: dict[str, Any], param: str) -> None:
    body: dict[str, Any] = {"model": "tts-1", "voice": "alloy", "input": "hello", "response_format": "wav", **change}
    with pytest.raises(openai.BadRequestError) as caught:
        client.audio.speech.create(**body)
    assert caught.value.response.json()["error"]["param"] == param
    if param == "response_format":
        assert "not supported by the mock" in caught.value.message
    with pytest.raises(openai.NotFoundError):
        client.audio.speech.create(model="gpt-nope", voice="alloy", input="hello")


def test_transcription_errors_raise_bad_request(client: openai.OpenAI, base_url: str) -> None:
    audio = speak(client, "x")
    with pytest.raises(openai.BadRequestError):
        client.audio.transcriptions.create(file=("notes.txt", audio), model="whisper-1")
    with pytest.raises(openai.BadRequestError):
        transcribe(client, audio, language="english")
    with pytest.raises(openai.NotFoundError):
        client.audio.transcriptions.create(file=("a.wav", audio), model="gpt-nope")
    missing = httpx.post(f"{base_url}/v1/audio/transcriptions", data={"model": "whisper-1"}, headers=AUTH)
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "file"
    unauthenticated = httpx.post(f"{base_url}/v1/audio/speech", json={"model": "tts-1"})
    assert unauthenticated.status_code == 401
