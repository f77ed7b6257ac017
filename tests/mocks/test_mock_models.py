"""Mocks as real upstreams: any model name by default, `--model`/`--strict-models`, reasoning-model refusals."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anthropic
import httpx
import openai
import pytest

from aigw_conformance import mocks_cli
from aigw_conformance.commands import UsageError
from aigw_conformance.mocks import registry
from aigw_conformance.mocks.anthropic.app import create_app as create_anthropic_app
from aigw_conformance.mocks.core.served import ModelOption
from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.gemini.app import create_app as create_gemini_app
from aigw_conformance.mocks.openai.app import create_app as create_openai_app
from aigw_conformance.mocks.selfhosted.app import create_app as create_selfhosted_app

HI = [{"role": "user", "content": "Say hello."}]
GEMINI_HI = {"contents": [{"role": "user", "parts": [{"text": "Say hello."}]}]}


@contextmanager
def served(app: Any) -> Iterator[httpx.Client]:
    with ServerThread(app, name="models-mock") as server, httpx.Client(base_url=server.base_url, timeout=10) as http:
        yield http


@contextmanager
def openai_served(app: Any, name: str) -> Iterator[openai.OpenAI]:
    """The app on loopback and an OpenAI SDK client of it, both closed on exit."""
    with ServerThread(app, name=name) as server, openai.OpenAI(
            base_url=f"{server.base_url}/v1", api_key="k", max_retries=0, timeout=10) as client:
        yield client


@contextmanager
def anthropic_served(app: Any, name: str) -> Iterator[anthropic.Anthropic]:
    """The app on loopback and an Anthropic SDK client of it, both closed on exit."""
    with ServerThread(app, name=name) as server, anthropic.Anthropic(
            base_url=server.base_url, api_key="k", max_retries=0, timeout=10) as client:
        yield client


def openai_chat(http: httpx.Client, **body: Any) -> httpx.Response:
    return http.post("/v1/chat/completions", json={"messages": HI, **body}, headers={"authorization": "Bearer k"})


def test_model_option_parses_names_limits_and_colons() -> None:
    assert ModelOption.parse("gpt-5") == ModelOption("gpt-5")
    assert ModelOption.parse("claude-sonnet-4:32000") == ModelOption("claude-sonnet-4", 32_000)
    assert ModelOption.parse("llama3:8b") == ModelOption("llama3:8b")
    for bad in ("", ":100", "m:0"):
        with pytest.raises(ValueError):
            ModelOption.parse(bad)


def test_openai_serves_real_names_and_strict_models_refuses_them() -> None:
    with served(create_openai_app()) as http:
        reply = openai_chat(http, model="gpt-4.1", max_completion_tokens=8)
        assert reply.status_code == 200 and reply.json()["model"] == "gpt-4.1"
        assert http.get("/v1/models/gpt-4.1", headers={"authorization": "Bearer k"}).status_code == 200
        assert "gpt-4.1" not in [m["id"] for m in http.get("/v1/models", headers={"authorization": "Bearer k"})
                                 .json()["data"]]
    with served(create_openai_app(strict_models=True)) as http:
        refused = openai_chat(http, model="gpt-4.1")
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "model_not_found"


def test_openai_model_limits_listed_and_default() -> None:
    with served(create_openai_app(models=[ModelOption("gpt-4o", 100)])) as http:
        too_many = openai_chat(http, model="gpt-4o", max_tokens=101)
        assert too_many.status_code == 400 and too_many.json()["error"] == {
            "message": "max_tokens is too large: 101. This model supports at most 100 completion tokens, whereas you "
            "provided 101.", "type": "invalid_request_error", "param": "max_tokens", "code": None}
        assert openai_chat(http, model="gpt-4o", max_tokens=100).status_code == 200
        unlisted = openai_chat(http, model="gpt-unlisted", max_completion_tokens=128_001)
        assert unlisted.status_code == 400 and unlisted.json()["error"]["param"] == "max_completion_tokens"
        assert openai_chat(http, model="gpt-unlisted", max_completion_tokens=16).status_code == 200


REFUSED = [
    ({"stop": ["x"]}, "stop", "unsupported_parameter",
     "Unsupported parameter: 'stop' is not supported with this model."),
    ({"logprobs": True}, "logprobs", "unsupported_parameter",
     "Unsupported parameter: 'logprobs' is not supported with this model."),
    ({"top_p": 0.5}, "top_p", "unsupported_parameter",
     "Unsupported parameter: 'top_p' is not supported with this model."),
    ({"temperature": 0.7}, "temperature", "unsupported_value",
     "Unsupported value: 'temperature' does not support 0.7 with this model. Only the default (1) value is supported."),
]


@pytest.mark.parametrize(("extra", "param", "code", "message"), REFUSED, ids=[r[1] for r in REFUSED])
def test_openai_reasoning_models_refuse_what_openai_refuses(extra: dict[str, Any], param: str, code: str,
                                                           message: str) -> None:
    with openai_served(create_openai_app(), "openai-reasoning") as client:
        for model in ("gpt-5", "gpt-5-mini", "o3"):
            with pytest.raises(openai.BadRequestError) as caught:
                client.chat.completions.create(model=model, messages=HI, extra_body=extra)  # type: ignore[arg-type]
            error = caught.value.body
            assert isinstance(error, dict) and error == {"message": message, "type": "invalid_request_error",
                                                         "param": param, "code": code}
        for model in ("gpt-4o", "gpt-5-chat-latest", "gpt-oss-20b"):  # no reasoning on OpenAI's terms: accepted
            client.chat.completions.create(model=model, messages=HI, extra_body=extra)  # type: ignore[arg-type]
        client.chat.completions.create(model="gpt-5", messages=HI, temperature=1)  # the default value is fine


def test_reasoning_limits_switch_off_and_selfhosted_never_refuses() -> None:
    with served(create_openai_app(reasoning_limits=False)) as http:
        assert openai_chat(http, model="gpt-5", stop=["x"], temperature=0.2, logprobs=True).status_code == 200
    with served(create_selfhosted_app()) as http:
        assert openai_chat(http, model="qwen3-32b", stop=["x"], temperature=0.2).status_code == 200


def test_anthropic_serves_real_names_with_the_default_limit() -> None:
    with anthropic_served(create_anthropic_app(), "anthropic-models") as client:
        reply = client.messages.create(model="claude-3-7-sonnet-20250219", max_tokens=16, messages=HI)  # type: ignore[arg-type]
        assert reply.model == "claude-3-7-sonnet-20250219"
        with pytest.raises(anthropic.BadRequestError):  # the default output limit applies to unlisted names
            client.messages.create(model="claude-sonnet-4", max_tokens=64_001, messages=HI)  # type: ignore[arg-type]
        assert "claude-sonnet-4" not in [m.id for m in client.models.list()]
    strict = create_anthropic_app(strict_models=True, models=[ModelOption("claude-sonnet-4", 50)])
    with anthropic_served(strict, "anthropic-strict") as client:
        with pytest.raises(anthropic.NotFoundError):
            client.messages.create(model="claude-haiku-4-5", max_tokens=16, messages=HI)  # type: ignore[arg-type]
        with pytest.raises(anthropic.BadRequestError):
            client.messages.create(model="claude-sonnet-4", max_tokens=51, messages=HI)  # type: ignore[arg-type]
        assert [m.id for m in client.models.list()] == ["claude-sonnet-4"]


def test_gemini_serves_real_names_and_strict_models_refuses_them() -> None:
    path, key = "/v1beta/models/gemini-2.5-pro:generateContent", {"x-goog-api-key": "k"}
    with served(create_gemini_app()) as http:
        assert http.post(path, json=GEMINI_HI, headers=key).status_code == 200
        embedded = http.post("/v1beta/models/text-embedding-004:embedContent", headers=key,
                             json={"content": {"parts": [{"text": "hi"}]}})
        assert embedded.status_code == 200 and embedded.json()["embedding"]["values"]
    with served(create_gemini_app(strict_models=True)) as http:
        refused = http.post(path, json=GEMINI_HI, headers=key)
        assert refused.status_code == 404 and refused.json()["error"]["status"] == "NOT_FOUND"
    with served(create_gemini_app(models=[ModelOption("gemini-2.5-pro", 1000)])) as http:
        listed = http.get("/v1beta/models", headers=key).json()["models"]
        assert [(m["name"], m["outputTokenLimit"]) for m in listed] == [("models/gemini-2.5-pro", 1000)]


def test_selfhosted_serves_real_names_per_endpoint_and_strict_models_refuses_them() -> None:
    with served(create_selfhosted_app()) as http:
        assert openai_chat(http, model="meta-llama/Llama-3.1-8B-Instruct").status_code == 200
        embedded = http.post("/v1/embeddings", json={"model": "bge-m3", "input": "hi"})
        assert embedded.status_code == 200 and len(embedded.json()["data"][0]["embedding"]) == 1024
    with served(create_selfhosted_app(strict_models=True)) as http:
        assert openai_chat(http, model="meta-llama/Llama-3.1-8B-Instruct").status_code == 404


def _namespace(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    mocks_cli.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["mocks", "serve", "--port", "0", *argv])


def test_serve_flags_reach_every_provider() -> None:
    args = _namespace("--model", "gpt-5", "--model", "claude-sonnet-4:100", "--strict-models")
    servers = mocks_cli._start(registry.available(), 0, None, None, args)
    try:
        by_name = {p.name: s.base_url for p, s in zip(registry.available(), servers, strict=True)}
        with httpx.Client(timeout=10) as http:
            openai_root = by_name["openai"]
            listed = http.get(f"{openai_root}/v1/models", headers={"authorization": "Bearer k"}).json()["data"]
            assert [m["id"] for m in listed] == ["gpt-5", "claude-sonnet-4"]
            unknown = http.post(f"{openai_root}/v1/chat/completions", headers={"authorization": "Bearer k"},
                                json={"model": "gpt-4o", "messages": HI})
            assert unknown.status_code == 404
            gemini = http.post(f"{by_name['gemini']}/v1beta/models/gemini-3-pro:generateContent",
                               json=GEMINI_HI, headers={"x-goog-api-key": "k"})
            assert gemini.status_code == 404
    finally:
        for server in servers:
            server.stop()
    lenient = mocks_cli._app_options(registry.load("openai"), _namespace("--lenient-reasoning"))
    assert lenient == {"strict_models": False, "reasoning_limits": False}
    with pytest.raises(UsageError):
        mocks_cli.serve(_namespace("--model", "gpt-5:0"))


def test_openai_embeddings_and_audio_take_unlisted_models_unless_strict() -> None:
    with openai_served(create_openai_app(), "openai-unlisted") as client:
        vector = client.embeddings.create(model="embed-unlisted", input="hi").data[0].embedding
        assert len(vector) == 1536  # text-embedding-3-small's size
        wav = client.audio.speech.create(model="tts-unlisted", voice="alloy", input="hello", response_format="wav")
        text = client.audio.transcriptions.create(model="stt-unlisted", file=("a.wav", wav.content)).text
        assert text == client.audio.transcriptions.create(model="whisper-1", file=("a.wav", wav.content)).text
    with openai_served(create_openai_app(strict_models=True), "openai-listed") as client:
        with pytest.raises(openai.NotFoundError):
            client.embeddings.create(model="embed-unlisted", input="hi")
        with pytest.raises(openai.NotFoundError):
            client.audio.speech.create(model="tts-unlisted", voice="alloy", input="hello", response_format="wav")


def test_claude_4_5_refuses_temperature_with_top_p_unless_lenient() -> None:
    both = {"max_tokens": 16, "messages": HI, "extra_body": {"temperature": 0.5, "top_p": 0.9}}
    with anthropic_served(create_anthropic_app(), "anthropic-sampling") as client:
        with pytest.raises(anthropic.BadRequestError) as caught:
            client.messages.create(model="claude-sonnet-4-5", **both)  # type: ignore[arg-type]
        assert caught.value.body == {"type": "error", "error": {
            "type": "invalid_request_error",
            "message": "`temperature` and `top_p` cannot both be specified for this model. Please use only one."}}
        client.messages.create(model="claude-sonnet-4-5", max_tokens=16, messages=HI,  # type: ignore[arg-type]
                               extra_body={"top_p": 0.9})
        client.messages.create(model="claude-3-7-sonnet-20250219", **both)  # type: ignore[arg-type]
    with anthropic_served(create_anthropic_app(reasoning_limits=False), "anthropic-lenient") as client:
        client.messages.create(model="claude-sonnet-4-5", **both)  # type: ignore[arg-type]
    lenient = mocks_cli._app_options(registry.load("anthropic"), _namespace("--lenient-reasoning"))
    assert lenient == {"strict_models": False, "reasoning_limits": False}
