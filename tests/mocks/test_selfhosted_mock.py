"""The self-hosted (vLLM-style) mock, driven by the official `openai` SDK and raw httpx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.openai.app import create_app as create_openai_app
from aigw_conformance.mocks.selfhosted.app import create_app

MESSAGES: list[Any] = [{"role": "user", "content": "Summarise the incident."}]
CHAT_MODELS = ("qwen3-32b", "silas-1", "gpt-oss-20b")


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    app = create_app(strict_models=True, deterministic_ids=True)  # the catalogue only; ids derived (golden-like)
    with ServerThread(app, name="selfhosted-mock") as server:
        yield server.base_url


@pytest.fixture(scope="module")
def client(base_url: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{base_url}/v1", api_key="unused", max_retries=0, timeout=10) as sdk:
        yield sdk


def answer(client: openai.OpenAI, model: str = "qwen3-32b", **extra: Any) -> str:
    seed = extra.pop("seed", 7)
    reply = client.chat.completions.create(model=model, messages=MESSAGES, seed=seed, extra_body=extra)
    return reply.choices[0].message.content or ""


def test_models_are_listed_in_vllm_shape(base_url: str, client: openai.OpenAI) -> None:
    cards = httpx.get(f"{base_url}/v1/models").json()["data"]
    by_id = {card["id"]: card for card in cards}
    assert set(CHAT_MODELS) | {"qwen3-embedding-8b", "whisper-large-v3", "kokoro-82m"} == set(by_id)
    qwen = by_id["qwen3-32b"]
    assert qwen["owned_by"] == "vllm" and qwen["root"] == "Qwen/Qwen3-32B" and qwen["max_model_len"] == 40_960
    assert qwen["parent"] is None and qwen["permission"][0]["object"] == "model_permission"
    assert [m.id for m in client.models.list()] == [card["id"] for card in cards]
    with ServerThread(create_app(owned_by="maintainer"), name="selfhosted-owners") as server:
        owners = {c["id"]: c["owned_by"] for c in httpx.get(f"{server.base_url}/v1/models").json()["data"]}
    assert owners["qwen3-32b"] == "Alibaba" and owners["silas-1"] == "ThreatWinds"
    assert owners["gpt-oss-20b"] == owners["whisper-large-v3"] == "OpenAI"


def test_chat_reuses_the_openai_generation_when_no_extra_is_set(client: openai.OpenAI) -> None:
    with ServerThread(create_openai_app(deterministic_ids=True), name="openai-for-selfhosted") as server, openai.OpenAI(
        base_url=f"{server.base_url}/v1", api_key="k", max_retries=0, timeout=10
    ) as upstream:
        reference = upstream.chat.completions.create(model="gpt-oss-20b", messages=MESSAGES, seed=7)
    mine = client.chat.completions.create(model="gpt-oss-20b", messages=MESSAGES, seed=7)
    assert mine.choices[0].message.content == reference.choices[0].message.content
    assert mine.id == reference.id and mine.usage == reference.usage
    neutral = {"top_k": -1, "min_p": 0.0, "repetition_penalty": 1.0}
    assert answer(client, "gpt-oss-20b", **neutral) == reference.choices[0].message.content


def test_each_sampling_extra_changes_the_output(client: openai.OpenAI) -> None:
    base = answer(client)
    variants = [answer(client, top_k=40), answer(client, min_p=0.05), answer(client, repetition_penalty=1.2),
                answer(client, top_k=40, min_p=0.05, repetition_penalty=1.2)]
    assert all(v != base for v in variants) and len(set(variants)) == len(variants)
    assert answer(client, top_k=40) == answer(client, top_k=40)  # still deterministic
    assert answer(client, top_k=40, seed=8) != answer(client, top_k=40, seed=7)


def test_greedy_decoding_ignores_the_seed(client: openai.OpenAI) -> None:
    greedy = answer(client, top_k=1, seed=1)
    assert greedy == answer(client, top_k=1, seed=2) == answer(client, top_k=1, min_p=0.3, seed=3)
    assert greedy == answer(client, temperature=0, seed=4)
    assert greedy != answer(client, top_k=1, repetition_penalty=1.3)
    assert greedy != answer(client, "silas-1", top_k=1)


def test_streaming_honours_the_extras(client: openai.OpenAI) -> None:
    extras: dict[str, Any] = {"top_k": 20, "min_p": 0.1, "repetition_penalty": 1.1}
    whole = answer(client, **extras)
    stream = client.chat.completions.create(
        model="qwen3-32b", messages=MESSAGES, seed=7, stream=True, extra_body=extras)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == whole


@pytest.mark.parametrize(
    ("extra", "message"),
    [({"top_k": 0}, "top_k must be -1 (disable), or at least 1, got 0."),
     ({"top_k": -2}, "top_k must be -1 (disable), or at least 1, got -2."),
     ({"top_k": 2.5}, "top_k must be an integer"), ({"top_k": True}, "top_k must be an integer"),
     ({"min_p": 1.5}, "min_p must be in [0, 1], got 1.5."), ({"min_p": -0.1}, "min_p must be in [0, 1]"),
     ({"min_p": "high"}, "min_p must be a number"),
     ({"repetition_penalty": 0}, "repetition_penalty must be greater than zero, got 0.0."),
     ({"repetition_penalty": -1.0}, "repetition_penalty must be greater than zero")],
)
def test_invalid_extras_are_vllm_400s(client: openai.OpenAI, extra: dict[str, Any], message: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        answer(client, **extra)
    body = caught.value.response.json()
    assert body["message"].startswith(message) and body["param"] == next(iter(extra))
    assert body["object"] == "error" and body["type"] == "BadRequestError" and body["code"] == 400


def test_model_errors_use_vllm_wording(client: openai.OpenAI, base_url: str) -> None:
    with pytest.raises(openai.NotFoundError) as missing:
        answer(client, "qwen-nope")
    assert missing.value.response.json() == {
        "object": "error", "message": "The model `qwen-nope` does not exist.", "type": "NotFoundError",
        "param": "model", "code": 404,
    }
    with pytest.raises(openai.BadRequestError) as wrong_api:
        answer(client, "qwen3-embedding-8b")
    assert wrong_api.value.response.json()["message"] == "The model does not support Chat Completions API"
    with pytest.raises(openai.BadRequestError) as too_long:
        client.chat.completions.create(model="silas-1", messages=MESSAGES, max_tokens=40_000)
    assert "maximum context length is 32768 tokens" in too_long.value.response.json()["message"]
    reused = httpx.post(f"{base_url}/v1/chat/completions", json={"model": "silas-1", "messages": []})
    assert reused.status_code == 400 and reused.json()["object"] == "error" and reused.json()["code"] == 400
    assert httpx.get(f"{base_url}/v1/nowhere").json() == {"detail": "Not Found"}


def test_unknown_fields_are_ignored_as_vllm_does(base_url: str) -> None:
    body = {"model": "qwen3-32b", "messages": MESSAGES, "use_beam_search": False, "min_tokens": 1}
    assert httpx.post(f"{base_url}/v1/chat/completions", json=body).status_code == 200


def test_embeddings_and_audio_are_served(client: openai.OpenAI) -> None:
    vectors = client.embeddings.create(model="qwen3-embedding-8b", input=["alpha", "beta"])
    assert [len(d.embedding) for d in vectors.data] == [4096, 4096]
    short = client.embeddings.create(model="qwen3-embedding-8b", input="alpha", dimensions=1024)
    assert len(short.data[0].embedding) == 1024
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="qwen3-32b", input="alpha")
    speech = client.audio.speech.create(
        model="kokoro-82m", voice="nova", input="Silas, ¿listo? ✅", response_format="wav", speed=1.5).read()
    heard = client.audio.transcriptions.create(file=("s.wav", speech), model="whisper-large-v3")
    assert heard.text == "Silas, ¿listo? ✅"
    with pytest.raises(openai.BadRequestError) as wrong:
        client.audio.transcriptions.create(file=("s.wav", speech), model="silas-1")
    assert wrong.value.response.json()["message"] == "The model does not support Transcriptions API"


def test_api_key_and_faults_answer_like_vllm(base_url: str) -> None:
    assert httpx.get(f"{base_url}/health").status_code == 200
    assert httpx.get(f"{base_url}/version").json()["version"]
    busy = httpx.post(f"{base_url}/v1/chat/completions", json={"model": "qwen3-32b", "messages": MESSAGES},
                      headers={"x-mock-status": "503"})
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
    assert busy.json()["type"] == "ServiceUnavailableError" and busy.json()["code"] == 503
    with ServerThread(create_app(api_key="secret"), name="selfhosted-auth") as server:
        url = f"{server.base_url}/v1"
        denied = httpx.get(f"{url}/models")
        assert denied.status_code == 401 and denied.json() == {"error": "Unauthorized"}
        with openai.OpenAI(base_url=url, api_key="wrong", max_retries=0) as wrong, pytest.raises(
            openai.AuthenticationError
        ):
            wrong.models.list()
        with openai.OpenAI(base_url=url, api_key="secret", max_retries=0) as right:
            assert right.models.list().data


def test_journal_records_the_extras(base_url: str, client: openai.OpenAI) -> None:
    httpx.post(f"{base_url}/__mock__/reset")
    answer(client, top_k=3)
    [entry] = httpx.get(f"{base_url}/__mock__/journal").json()["data"]
    assert entry["path"] == "/v1/chat/completions" and entry["json"]["top_k"] == 3
