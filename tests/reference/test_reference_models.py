"""GET /models and GET /models/{id} of the reference gateway, over httpx and the OpenAI SDK."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI

from aigw_conformance.mocks.reference.catalogue import CATALOGUE
from aigw_conformance.spec.loader import component_validator

IDS = ["gpt-5", "gpt-5-mini", "gpt-oss-20b", "gemini-3-pro", "gemini-3-flash", "claude-sonnet-4-5", "claude-haiku-4-5",
       "text-embedding-3-small", "qwen3-embedding-8b", "whisper-1", "whisper-large-v3", "tts-1", "kokoro-82m"]

ErrorCheck = Callable[..., dict[str, Any]]


def test_list_is_openai_shaped_and_matches_the_spec(client: httpx.Client) -> None:
    reply = client.get("/models")
    assert reply.status_code == 200
    body = reply.json()
    assert [e.message for e in component_validator("ModelList").iter_errors(body)] == []
    assert body["object"] == "list"
    assert [model["id"] for model in body["data"]] == IDS
    for model in body["data"]:
        assert model["object"] == "model"
        assert {"created", "owned_by", "provider", "capabilities", "max_input_tokens",
                "max_completion_tokens", "max_total_tokens"} <= set(model)
        assert model["max_input_tokens"] + model["max_completion_tokens"] <= model["max_total_tokens"]


def test_providers_and_owners(client: httpx.Client) -> None:
    models = {model["id"]: model for model in client.get("/models").json()["data"]}
    assert (models["gpt-5"]["provider"], models["gpt-5"]["owned_by"]) == ("openai", "openai")
    assert (models["gpt-oss-20b"]["provider"], models["gpt-oss-20b"]["owned_by"]) == ("threatwinds", "OpenAI")
    assert models["gpt-5"]["max_total_tokens"] == 400_000
    assert models["gpt-oss-20b"]["max_completion_tokens"] == 32_768
    assert "image" in models["gpt-5"]["capabilities"] and "image" not in models["gpt-oss-20b"]["capabilities"]


@pytest.mark.parametrize("model_id", IDS)
def test_retrieve_equals_the_list_entry(client: httpx.Client, model_id: str) -> None:
    listed = {model["id"]: model for model in client.get("/models").json()["data"]}
    reply = client.get(f"/models/{model_id}")
    assert reply.status_code == 200
    assert [e.message for e in component_validator("Model").iter_errors(reply.json())] == []
    assert reply.json() == listed[model_id]


@pytest.mark.parametrize("model_id", ["gpt-4", "claude-opus-4", "GPT-5", "gpt-5 "])
def test_unknown_model_is_404(client: httpx.Client, check_error: ErrorCheck, model_id: str) -> None:
    check_error(client.get(f"/models/{model_id}"), 404, code="model_not_found")


def test_models_need_authentication(client: httpx.Client, check_error: ErrorCheck) -> None:
    check_error(client.get("/models", headers={"authorization": ""}), 401)
    check_error(client.get("/models/gpt-5", headers={"authorization": "Bearer nope"}), 401)


def test_sdk_lists_and_retrieves(sdk: OpenAI) -> None:
    assert [model.id for model in sdk.models.list()] == IDS
    model = sdk.models.retrieve("gpt-oss-20b")
    assert model.owned_by == "OpenAI"
    with pytest.raises(openai.NotFoundError):
        sdk.models.retrieve("no-such-model")


def test_catalogue_rows_are_consistent() -> None:
    for entry in CATALOGUE:
        assert entry.max_input_tokens + entry.max_completion_tokens == entry.max_total_tokens
        assert entry.default_completion_tokens == entry.max_completion_tokens // 2
