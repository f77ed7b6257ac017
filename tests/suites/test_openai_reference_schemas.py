"""Cross-check: the reference's responses validate against OpenAI's own published component schemas."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import jsonschema
import pytest

from aigw_conformance.suites import sse

if TYPE_CHECKING:
    from aigw_conformance.mocks.reference.stack import ReferenceStack

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO.parent / "shared" / "reference" / "openai-schemas.json"
pytestmark = pytest.mark.skipif(not SCHEMAS.is_file(), reason="../shared/reference is absent")
# Keywords whose values are data, not schemas: never rewritten.
_DATA = frozenset({"enum", "const", "default", "example", "examples", "x-oaiMeta"})


def null_alternative(schema: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` as 3.1 spells it: `null` added to `type` (and `enum`), or `anyOf` null."""
    if isinstance(schema, list):
        return [null_alternative(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    rewritten = {key: value if key in _DATA else null_alternative(value) for key, value in schema.items()}
    if rewritten.pop("nullable", False) is not True:
        return rewritten
    if "type" not in rewritten:  # $ref, allOf, oneOf...: the schema or null
        return {"anyOf": [rewritten, {"type": "null"}]}
    types = rewritten["type"] if isinstance(rewritten["type"], list) else [rewritten["type"]]
    rewritten["type"] = [*types, "null"] if "null" not in types else types
    if "enum" in rewritten and None not in rewritten["enum"]:
        rewritten["enum"] = [*rewritten["enum"], None]
    return rewritten


@cache
def document() -> dict[str, Any]:
    loaded = json.loads(SCHEMAS.read_text(encoding="utf-8"))
    return {"components": {"schemas": null_alternative(loaded["components"]["schemas"])}}


def violations(name: str, instance: Any) -> list[str]:
    """Where `instance` breaks OpenAI's `#/components/schemas/<name>` (after the nullable rewrite)."""
    schema = {**document(), "$ref": f"#/components/schemas/{name}"}
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message[:300]}"
            for error in sorted(validator.iter_errors(instance), key=lambda error: list(error.absolute_path))]


def test_nullable_becomes_a_null_alternative() -> None:
    assert null_alternative({"type": "string", "nullable": True}) == {"type": ["string", "null"]}
    assert null_alternative({"type": "string", "enum": ["stop"], "nullable": True}) == {
        "type": ["string", "null"], "enum": ["stop", None]}
    assert null_alternative({"$ref": "#/x", "nullable": True}) == {"anyOf": [{"$ref": "#/x"}, {"type": "null"}]}
    assert null_alternative({"properties": {"a": {"type": "integer", "nullable": False}}}) == {
        "properties": {"a": {"type": "integer"}}}
    assert null_alternative({"example": {"nullable": True}}) == {"example": {"nullable": True}}


def test_without_the_rewrite_a_real_first_chunk_fails_and_with_it_passes() -> None:
    """The README's caveat, shown: 3.1 validators ignore `nullable`, so `finish_reason: null` would fail."""
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
             "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
    raw = json.loads(SCHEMAS.read_text(encoding="utf-8"))
    plain = jsonschema.Draft202012Validator(
        {"components": raw["components"], "$ref": "#/components/schemas/CreateChatCompletionStreamResponse"})
    assert not plain.is_valid(chunk)
    assert violations("CreateChatCompletionStreamResponse", chunk) == []


@pytest.fixture(scope="module")
def http(reference: ReferenceStack) -> Iterator[httpx.Client]:
    headers = {"authorization": f"Bearer {reference.token}"}
    with httpx.Client(base_url=reference.base_url, headers=headers, timeout=30, trust_env=False) as client:
        yield client


TOOLS = [{"type": "function", "function": {
    "name": "vulnerability_scan", "description": "Scan a domain for vulnerabilities",
    "parameters": {"type": "object", "properties": {"domain": {"type": "string"}}, "required": ["domain"]}}}]
VARIANTS = {"plain": {}, "n2": {"n": 2}, "logprobs": {"logprobs": True, "top_logprobs": 2},
            "tools": {"tools": TOOLS, "tool_choice": "required"}, "reasoning": {"reasoning_effort": "low"}}


def chat(model: str, stream: bool, **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": "What is XDR in cybersecurity?"}],
            "max_completion_tokens": 32, "stream": stream, **extra}


def chat_models(http: httpx.Client) -> list[str]:
    listed = http.get("/models").json()["data"]
    return [model["id"] for model in listed if "chat" in model.get("capabilities", ["chat"])]


def test_models_list_is_a_list_models_response(http: httpx.Client) -> None:
    reply = http.get("/models")
    assert reply.status_code == 200
    assert violations("ListModelsResponse", reply.json()) == []


def test_each_model_is_a_model(http: httpx.Client) -> None:
    listed = http.get("/models").json()["data"]
    assert listed
    for model in listed:
        reply = http.get(f"/models/{model['id']}")
        assert reply.status_code == 200, model["id"]
        assert violations("Model", reply.json()) == [], model["id"]


def stream_chunks(http: httpx.Client, body: dict[str, Any]) -> list[Any]:
    reply = http.post("/chat/completions", json=body)
    assert reply.status_code == 200, reply.text
    parsed = sse.parse(reply.content)
    assert parsed.problems == [] and parsed.events[-1].data == "[DONE]"
    return [json.loads(event.data) for event in parsed.events[:-1]]


def chat_violations(http: httpx.Client, model: str, extra: dict[str, Any]) -> dict[str, list[str]]:
    """OpenAI-schema violations of one completion and of every chunk of its stream (with the usage chunk)."""
    found: dict[str, list[str]] = {}
    reply = http.post("/chat/completions", json=chat(model, False, **extra))
    assert reply.status_code == 200, reply.text
    if problems := violations("CreateChatCompletionResponse", reply.json()):
        found["response"] = problems
    chunks = stream_chunks(http, chat(model, True, stream_options={"include_usage": True}, **extra))
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"], "the usage chunk comes last"
    for number, chunk in enumerate(chunks):
        if problems := violations("CreateChatCompletionStreamResponse", chunk):
            found[f"chunk #{number}"] = problems
    return found


@pytest.mark.parametrize("variant", VARIANTS)
def test_chat_completions_and_chunks_match_openai_for_every_model(http: httpx.Client, variant: str) -> None:
    """Every chat model (OpenAI, self-hosted, Gemini and Anthropic behind the gateway), JSON and streamed."""
    unexpected = {}
    for model in chat_models(http):
        if found := chat_violations(http, model, VARIANTS[variant]):
            unexpected[model] = found
    assert unexpected == {}


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    ("POST", "/chat/completions", {"model": "no-such-model", "messages": [{"role": "user", "content": "hi"}]}, 404),
    ("POST", "/chat/completions", {"messages": []}, 400),
    ("GET", "/models/no-such-model", None, 404),
    ("POST", "/chat/completions", {"model": "gpt-5", "messages": [{"role": "user", "content": "hi"}],
                                   "max_completion_tokens": 10**7}, 400),  # 000: "token limit exceeded"
])
def test_an_error_body_is_an_error_response(
    http: httpx.Client, method: str, path: str, body: dict[str, Any] | None, status: int
) -> None:
    reply = http.request(method, path, json=body)
    assert reply.status_code == status, reply.text
    assert violations("ErrorResponse", reply.json()) == []


def test_an_unauthenticated_error_is_an_error_response(reference: ReferenceStack) -> None:
    reply = httpx.get(reference.base_url + "/models", trust_env=False, timeout=30)
    assert reply.status_code == 401
    assert violations("ErrorResponse", reply.json()) == []
