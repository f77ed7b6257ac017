"""The Gemini mock driven by the official `google-genai` SDK and raw httpx over loopback."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pydantic
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types
from hypothesis import given, settings
from hypothesis import strategies as st

from aigw_conformance.mocks.core import jsongen
from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.core.tokens import count_tokens
from aigw_conformance.mocks.gemini import wire
from aigw_conformance.mocks.gemini.app import create_app
from aigw_conformance.mocks.gemini.embed import DEFAULT_DIMENSIONS
from aigw_conformance.mocks.gemini.schema import instance, to_json_schema

KEY = {"x-goog-api-key": "test-key"}
BODY: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": "What is XDR in cybersecurity?"}]}]}
WEATHER: dict[str, Any] = {
    "type": "OBJECT",
    "properties": {
        "city": {"type": "STRING", "description": "City name"},
        "unit": {"type": "STRING", "enum": ["celsius", "fahrenheit"], "format": "enum"},
        "days": {"type": "INTEGER", "minimum": 1, "maximum": 7},
        "hourly": {"type": "BOOLEAN", "nullable": True},
        "alerts": {"type": "ARRAY", "items": {"type": "STRING"}, "minItems": 1, "maxItems": 3},
    },
    "required": ["city", "unit"],
}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    app = create_app(strict_models=True, deterministic_ids=True)  # the catalogue only; ids derived (golden-like)
    with ServerThread(app, name="gemini-mock") as server:
        yield server.base_url


def sdk(base_url: str, api_key: str = "test-key", version: str | None = None) -> genai.Client:
    options = types.HttpOptions(base_url=base_url, api_version=version, timeout=10_000,
                                client_args={"trust_env": False})
    return genai.Client(api_key=api_key, http_options=options)


@pytest.fixture(scope="module")
def client(base_url: str) -> Iterator[genai.Client]:
    """Closed at the end: an unclosed client leaves its pooled socket to the GC, which fails a later test."""
    sdk_client = sdk(base_url)
    yield sdk_client
    sdk_client.close()


def post(base_url: str, path: str, body: Any, headers: dict[str, str] | None = None, **params: str) -> httpx.Response:
    return httpx.post(f"{base_url}{path}", json=body, headers={**KEY, **(headers or {})}, params=params,
                      timeout=10, trust_env=False)


def weather_tool(**extra: Any) -> types.Tool:
    return types.Tool(function_declarations=[
        types.FunctionDeclaration(name="get_weather", description="Weather report",
                                  parameters=types.Schema.model_validate(WEATHER), **extra),
        types.FunctionDeclaration(name="block_ip", parameters_json_schema={
            "type": "object", "properties": {"ip": {"type": "string", "format": "ipv4"}}, "required": ["ip"]}),
    ])


def test_generate_content_has_gemini_shape_and_consistent_usage(client: genai.Client) -> None:
    reply = client.models.generate_content(model="gemini-3-pro", contents="What is XDR in cybersecurity?")
    [candidate] = reply.candidates or []
    assert candidate.finish_reason == types.FinishReason.STOP and candidate.index == 0
    assert candidate.content is not None and candidate.content.role == "model"
    text = reply.text or ""
    assert 8 <= count_tokens(text) <= 60
    usage = reply.usage_metadata
    assert usage is not None and usage.thoughts_token_count is None
    assert usage.prompt_token_count == count_tokens("What is XDR in cybersecurity?")
    assert usage.candidates_token_count == count_tokens(text)
    assert usage.total_token_count == usage.prompt_token_count + usage.candidates_token_count
    assert reply.model_version == "gemini-3-pro" and reply.response_id and len(reply.response_id) == 22
    counted = client.models.count_tokens(model="gemini-3-pro", contents="What is XDR in cybersecurity?")
    assert counted.total_tokens == usage.prompt_token_count


def test_stream_assembles_to_the_whole_answer(client: genai.Client, base_url: str) -> None:
    config = types.GenerateContentConfig(system_instruction="You are a SOC assistant.", seed=3)
    whole = client.models.generate_content(model="gemini-3-flash", contents="Explain EDR", config=config)
    chunks = list(client.models.generate_content_stream(model="gemini-3-flash", contents="Explain EDR", config=config))
    assert len(chunks) > 3 and "".join(c.text or "" for c in chunks) == whole.text
    finishes = [c.candidates[0].finish_reason for c in chunks if c.candidates]
    assert finishes[-1] == types.FinishReason.STOP and not any(finishes[:-1])
    assert chunks[-1].usage_metadata == whole.usage_metadata
    assert {c.response_id for c in chunks} == {whole.response_id}
    raw = post(base_url, "/v1beta/models/gemini-3-flash:streamGenerateContent", BODY, alt="sse")
    assert raw.headers["content-type"].startswith("text/event-stream") and "[DONE]" not in raw.text
    events = [json.loads(d) for d in wire.iter_sse_data(raw.text.splitlines())]
    array = post(base_url, "/v1beta/models/gemini-3-flash:streamGenerateContent", BODY)
    assert array.headers["content-type"].startswith("application/json") and array.text.startswith("[{")
    pieces = [array.content[i : i + 5] for i in range(0, len(array.content), 5)]
    assert list(wire.iter_json_array(pieces)) == events == json.loads(array.text)


def test_candidate_count_gives_independent_candidates(client: genai.Client) -> None:
    config = types.GenerateContentConfig(candidate_count=3)
    reply = client.models.generate_content(model="gemini-3-pro", contents="Explain SIEM", config=config)
    candidates = reply.candidates or []
    texts = [wire.text_of(c.model_dump(by_alias=True, exclude_none=True)) for c in candidates]
    assert [c.index for c in candidates] == [0, 1, 2] and len(set(texts)) > 1
    assert reply.usage_metadata and reply.usage_metadata.candidates_token_count == sum(map(count_tokens, texts))
    streamed = ["", "", ""]
    for chunk in client.models.generate_content_stream(model="gemini-3-pro", contents="Explain SIEM", config=config):
        for c in chunk.candidates or []:
            streamed[c.index or 0] += wire.text_of(c.model_dump(by_alias=True, exclude_none=True))
    assert streamed == texts


def test_function_calling_any_mode_args_validate(client: genai.Client) -> None:
    config = types.GenerateContentConfig(tools=[weather_tool()], tool_config=types.ToolConfig(
        function_calling_config=types.FunctionCallingConfig(mode=types.FunctionCallingConfigMode.ANY)))
    reply = client.models.generate_content(model="gemini-3-pro", contents="Is it sunny?", config=config)
    [call] = reply.function_calls or []
    assert call.name == "get_weather" and reply.candidates and reply.candidates[0].finish_reason == "STOP"
    jsonschema.validate(call.args, to_json_schema(WEATHER))
    assert reply.candidates[0].content and reply.candidates[0].content.parts
    assert reply.candidates[0].content.parts[0].thought_signature  # Gemini 3 signs the first call
    only_block = types.FunctionCallingConfig(mode=types.FunctionCallingConfigMode.ANY,
                                             allowed_function_names=["block_ip"])
    allowed = config.model_copy(update={"tool_config": types.ToolConfig(function_calling_config=only_block)})
    [block] = client.models.generate_content(model="gemini-3-pro", contents="Hi", config=allowed).function_calls or []
    assert block.name == "block_ip" and set(block.args or {}) == {"ip"}


def test_function_calling_auto_calls_only_mentioned_functions(client: genai.Client) -> None:
    config = types.GenerateContentConfig(tools=[weather_tool()])
    both = client.models.generate_content(
        model="gemini-3-pro", contents="Run get_weather for Paris, then block_ip.", config=config)
    assert [c.name for c in both.function_calls or []] == ["get_weather", "block_ip"]
    plain = client.models.generate_content(model="gemini-3-pro", contents="Weather in Paris?", config=config)
    assert plain.function_calls is None and plain.text
    history = [
        types.Content(role="user", parts=[types.Part(text="Call get_weather")]),
        types.Content(role="model", parts=[types.Part(function_call=types.FunctionCall(name="get_weather",
                                                                                        args={"city": "Paris"}))]),
        types.Content(role="user", parts=[types.Part(function_response=types.FunctionResponse(
            name="get_weather", response={"temperature": 21}))]),
    ]
    answered = client.models.generate_content(model="gemini-3-pro", contents=history, config=config)
    assert answered.function_calls is None and answered.text
    none = config.model_copy(update={"tool_config": {"function_calling_config": {"mode": "NONE"}}})
    assert client.models.generate_content(model="gemini-3-pro", contents="get_weather", config=none).text


def test_structured_output_is_valid_json(client: genai.Client) -> None:
    config = types.GenerateContentConfig(response_mime_type="application/json", response_schema=WEATHER)
    reply = client.models.generate_content(model="gemini-3-pro", contents="Weather?", config=config)
    jsonschema.validate(json.loads(reply.text or ""), to_json_schema(WEATHER))

    class Alert(pydantic.BaseModel):
        severity: int
        tags: list[str]
        source: str | None = None

    typed = client.models.generate_content(model="gemini-3-pro", contents="Alert?", config=types.GenerateContentConfig(
        response_mime_type="application/json", response_schema=Alert))
    assert isinstance(typed.parsed, Alert)
    json_schema = {"type": "object", "properties": {"id": {"type": "string", "format": "uuid"},
                                                    "score": {"type": "number", "exclusiveMaximum": 1}},
                   "required": ["id", "score"], "additionalProperties": False}
    raw = client.models.generate_content(model="gemini-3-pro", contents="Score", config=types.GenerateContentConfig(
        response_mime_type="application/json", response_json_schema=json_schema))
    jsonschema.validate(json.loads(raw.text or ""), json_schema)
    loose = client.models.generate_content(model="gemini-3-pro", contents="x", config=types.GenerateContentConfig(
        response_mime_type="application/json"))
    assert isinstance(json.loads(loose.text or ""), dict)


def test_thinking_adds_a_thought_part_within_budget(client: genai.Client) -> None:
    thinking = types.ThinkingConfig(thinking_budget=24, include_thoughts=True)
    reply = client.models.generate_content(model="gemini-3-pro", contents="Triage this alert",
                                           config=types.GenerateContentConfig(thinking_config=thinking))
    parts = reply.candidates[0].content.parts if reply.candidates and reply.candidates[0].content else None
    assert parts and parts[0].thought is True and parts[1].thought is None and parts[1].text == reply.text
    usage = reply.usage_metadata
    assert usage and usage.thoughts_token_count == count_tokens(parts[0].text or "")
    assert 0 < usage.thoughts_token_count <= 24
    assert usage.total_token_count == sum(
        n or 0 for n in (usage.prompt_token_count, usage.candidates_token_count, usage.thoughts_token_count))
    hidden = client.models.generate_content(model="gemini-3-pro", contents="Triage this alert",
                                            config={"thinking_config": {"thinking_budget": 24}})
    assert hidden.candidates and hidden.candidates[0].content and hidden.candidates[0].content.parts
    assert not any(p.thought for p in hidden.candidates[0].content.parts)
    assert hidden.usage_metadata and hidden.usage_metadata.thoughts_token_count == usage.thoughts_token_count
    chunks = list(client.models.generate_content_stream(model="gemini-3-pro", contents="Triage this alert",
                                                        config=types.GenerateContentConfig(thinking_config=thinking)))
    assert chunks[-1].usage_metadata == reply.usage_metadata


def test_max_output_tokens_and_stop_sequences(client: genai.Client) -> None:
    capped = client.models.generate_content(model="gemini-3-pro", contents="Explain XDR",
                                            config={"max_output_tokens": 4})
    assert capped.candidates and capped.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS
    assert capped.usage_metadata and capped.usage_metadata.candidates_token_count == 4
    assert count_tokens(capped.text or "") == 4
    full = client.models.generate_content(model="gemini-3-pro", contents="Explain XDR").text or ""
    stop = " " + full.split(" ")[2]
    cut = client.models.generate_content(model="gemini-3-pro", contents="Explain XDR",
                                         config={"stop_sequences": [stop, "zzz-never"]})
    assert cut.text == full[: full.index(stop)] and full.startswith(capped.text or "?")
    assert cut.candidates and cut.candidates[0].finish_reason == types.FinishReason.STOP


def test_count_tokens_matches_prompt_count_of_the_same_request(client: genai.Client, base_url: str) -> None:
    body = {**BODY, "systemInstruction": {"parts": [{"text": "Be terse."}]},
            "tools": [{"functionDeclarations": [{"name": "lookup", "parameters": {"type": "OBJECT"}}]}]}
    reply = post(base_url, "/v1beta/models/gemini-3-pro:generateContent", body).json()
    counted = post(base_url, "/v1beta/models/gemini-3-pro:countTokens", {"generateContentRequest": body}).json()
    assert counted == {"totalTokens": reply["usageMetadata"]["promptTokenCount"]}
    history = ["Hello", "Hi, how can I help?", "Block 10.0.0.1"]
    turns: list[types.ContentUnion] = list(history)
    assert client.models.count_tokens(model="gemini-3-flash", contents=turns).total_tokens == sum(
        map(count_tokens, history))


def test_embeddings_are_unit_norm_sized_and_in_order(client: genai.Client, base_url: str) -> None:
    texts: list[types.ContentUnion] = ["phishing email", "ransomware note", "phishing email"]
    config = types.EmbedContentConfig(output_dimensionality=64)
    vectors = [e.values or [] for e in client.models.embed_content(
        model="gemini-embedding-001", contents=texts, config=config).embeddings or []]
    assert len(vectors) == 3 and all(len(v) == 64 for v in vectors) and vectors[0] == vectors[2] != vectors[1]
    assert all(math.isclose(math.fsum(x * x for x in v), 1.0, rel_tol=1e-9) for v in vectors)
    single = post(base_url, "/v1beta/models/gemini-embedding-001:embedContent",
                  {"content": {"parts": [{"text": "ransomware note"}]}, "outputDimensionality": 64}).json()
    assert single["embedding"]["values"] == vectors[1]
    default = post(base_url, "/v1/models/gemini-embedding-001:embedContent", {"content": {"parts": [{"text": "x"}]}})
    assert len(default.json()["embedding"]["values"]) == DEFAULT_DIMENSIONS
    with pytest.raises(genai_errors.ClientError) as caught:
        client.models.embed_content(model="gemini-3-pro", contents="x")
    assert caught.value.code == 404


def test_key_via_header_or_query_and_wrong_key_errors() -> None:
    with ServerThread(create_app(api_key="secret"), name="gemini-mock-auth") as server:
        url = f"{server.base_url}/v1beta/models/gemini-3-pro:generateContent"
        assert httpx.post(url, json=BODY, headers={"x-goog-api-key": "secret"}, trust_env=False).status_code == 200
        assert httpx.post(url, json=BODY, params={"key": "secret"}, trust_env=False).status_code == 200
        missing = httpx.post(url, json=BODY, trust_env=False)
        assert missing.status_code == 403 and missing.json()["error"]["status"] == "PERMISSION_DENIED"
        bearer = httpx.post(url, json=BODY, headers={"authorization": "Bearer secret"}, trust_env=False)
        assert bearer.status_code == 401 and bearer.json()["error"]["status"] == "UNAUTHENTICATED"
        wrong, right = sdk(server.base_url, api_key="wrong"), sdk(server.base_url, api_key="secret")
        with pytest.raises(genai_errors.ClientError) as caught:
            wrong.models.generate_content(model="gemini-3-pro", contents="hi")
        assert caught.value.code == 400 and caught.value.status == "INVALID_ARGUMENT"
        assert caught.value.details["error"]["details"][0]["reason"] == "API_KEY_INVALID"
        assert right.models.generate_content(model="gemini-3-pro", contents="hi").text
        wrong.close()
        right.close()


@pytest.mark.parametrize(("code", "status", "error"), [
    (400, "INVALID_ARGUMENT", genai_errors.ClientError), (401, "UNAUTHENTICATED", genai_errors.ClientError),
    (403, "PERMISSION_DENIED", genai_errors.ClientError), (404, "NOT_FOUND", genai_errors.ClientError),
    (429, "RESOURCE_EXHAUSTED", genai_errors.ClientError), (500, "INTERNAL", genai_errors.ServerError),
    (503, "UNAVAILABLE", genai_errors.ServerError), (504, "DEADLINE_EXCEEDED", genai_errors.ServerError),
])
def test_injected_status_uses_gemini_error_shape(
    client: genai.Client, code: int, status: str, error: type[genai_errors.APIError]
) -> None:
    config = types.GenerateContentConfig(http_options=types.HttpOptions(headers={"x-mock-status": str(code)}))
    with pytest.raises(error) as caught:
        client.models.generate_content(model="gemini-3-pro", contents="hi", config=config)
    assert caught.value.code == code and caught.value.status == status and caught.value.message
    if code == 429:
        assert caught.value.response.headers["retry-after"] == "1"
        details = caught.value.details["error"]["details"]
        assert {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"} in details


def test_unknown_model_and_path_are_404(client: genai.Client, base_url: str) -> None:
    with pytest.raises(genai_errors.ClientError) as caught:
        client.models.generate_content(model="gemini-nope", contents="hi")
    assert caught.value.code == 404 and caught.value.status == "NOT_FOUND"
    assert "models/gemini-nope is not found for API version v1" in (caught.value.message or "")
    with pytest.raises(genai_errors.ClientError):
        client.models.get(model="gemini-nope")
    assert post(base_url, "/v1beta/models/gemini-embedding-001:generateContent", BODY).status_code == 404
    assert post(base_url, "/v1beta/models/gemini-3-pro:fly", BODY).status_code == 404
    assert httpx.get(f"{base_url}/v1beta/nowhere", headers=KEY, trust_env=False).json()["error"]["code"] == 404


def test_models_are_listed_and_retrievable_under_any_version(base_url: str) -> None:
    for version in ("v1", "v1beta", "v1alpha"):
        client = sdk(base_url, version=version)
        assert [m.name for m in client.models.list()] == [
            "models/gemini-3-pro", "models/gemini-3-flash", "models/gemini-embedding-001"]
        model = client.models.get(model="gemini-3-flash")
        assert model.input_token_limit and model.output_token_limit
        assert "generateContent" in (model.supported_actions or [])
        client.close()
        reply = post(base_url, f"/{version}/models/gemini-3-pro:generateContent", BODY)
        assert reply.status_code == 200 and reply.json()["candidates"][0]["content"]["role"] == "model"
    assert post(base_url, "/vX/models/gemini-3-pro:generateContent", BODY).status_code == 404


@pytest.mark.parametrize("alt", ["", "sse"])
def test_same_body_gives_identical_bytes(base_url: str, alt: str) -> None:
    method = "streamGenerateContent" if alt else "generateContent"
    body = {**BODY, "generationConfig": {"seed": 42, "candidateCount": 2}}
    first, second = (post(base_url, f"/v1beta/models/gemini-3-pro:{method}", body, alt=alt) for _ in range(2))
    assert first.status_code == 200 and first.content == second.content
    other = post(base_url, f"/v1beta/models/gemini-3-pro:{method}", {**body, "generationConfig": {"seed": 43}}, alt=alt)
    assert other.content != first.content


def test_validation_errors_follow_google(base_url: str) -> None:
    def error(body: Any) -> dict[str, Any]:
        reply = post(base_url, "/v1beta/models/gemini-3-pro:generateContent", body)
        assert reply.status_code == 400
        result: dict[str, Any] = reply.json()["error"]
        assert result["status"] == "INVALID_ARGUMENT"
        return result

    assert error({**BODY, "bogus": 1})["message"] == ('Invalid JSON payload received. Unknown name "bogus": '
                                                      "Cannot find field.")
    assert "contents is not specified" in error({"contents": []})["message"]
    assert error({"contents": [{"role": "assistant", "parts": [{"text": "x"}]}]})["message"] == (
        "Please use a valid role: user, model.")
    assert "candidate_count" in error({**BODY, "generationConfig": {"candidateCount": 9}})["message"]
    assert "function_calling_config" in error({**BODY, "toolConfig": {"functionCallingConfig": {"mode": "ANY"}}})[
        "message"]
    bad_json = httpx.post(f"{base_url}/v1beta/models/gemini-3-pro:generateContent", content=b"{nope", headers=KEY,
                          trust_env=False)
    assert bad_json.status_code == 400 and bad_json.json()["error"]["message"].startswith("Invalid JSON payload")
    bad_fault = post(base_url, "/v1beta/models/gemini-3-pro:generateContent", BODY, {"x-mock-status": "abc"})
    assert bad_fault.status_code == 400


def test_disconnect_and_latency_faults(base_url: str) -> None:
    received: list[str] = []
    with pytest.raises(httpx.RemoteProtocolError), httpx.stream(
        "POST", f"{base_url}/v1beta/models/gemini-3-pro:streamGenerateContent", params={"alt": "sse"}, json=BODY,
        headers={**KEY, "x-mock-disconnect-after": "3"}, timeout=10, trust_env=False,
    ) as reply:
        received.extend(wire.iter_sse_data(reply.iter_lines()))
    assert len(received) == 3
    started = time.perf_counter()
    body = {**BODY, "generationConfig": {"maxOutputTokens": 4}}
    reply = post(base_url, "/v1beta/models/gemini-3-pro:streamGenerateContent", body,
                 {"x-mock-delay-ms": "30", "x-mock-ttft-ms": "30", "x-mock-itl-ms": "10"}, alt="sse")
    assert reply.status_code == 200 and time.perf_counter() - started >= 0.03 + 0.03 + 3 * 0.01
    assert len(list(wire.iter_sse_data(reply.text.splitlines()))) == 4


def test_journal_records_each_request_until_reset(base_url: str) -> None:
    assert httpx.post(f"{base_url}/__mock__/reset", trust_env=False).status_code == 200
    post(base_url, "/v1beta/models/gemini-3-pro:generateContent", BODY, {"x-trace": "abc"})
    [entry] = httpx.get(f"{base_url}/__mock__/journal", trust_env=False).json()["data"]
    assert entry["method"] == "POST" and entry["path"] == "/v1beta/models/gemini-3-pro:generateContent"
    assert entry["json"] == BODY and entry["headers"]["x-trace"] == "abc" and json.loads(entry["body"]) == BODY
    assert httpx.post(f"{base_url}/__mock__/reset", trust_env=False).json() == {"reset": True, "cleared": 1}
    assert httpx.get(f"{base_url}/__mock__/journal", trust_env=False).json()["data"] == []


_NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True)
_LEAVES = st.one_of(
    st.sampled_from(["STRING", "INTEGER", "NUMBER", "BOOLEAN", "string", "integer"]).map(lambda t: {"type": t}),
    st.tuples(st.integers(-50, 50), st.integers(0, 60)).map(
        lambda p: {"type": "INTEGER", "minimum": p[0], "maximum": p[0] + p[1]}),
    st.tuples(st.floats(-5, 5), st.floats(0, 5)).map(
        lambda p: {"type": "NUMBER", "minimum": p[0], "maximum": p[0] + p[1]}),
    st.tuples(st.integers(0, 5), st.integers(0, 9)).map(
        lambda p: {"type": "STRING", "min_length": p[0], "maxLength": str(p[0] + p[1])}),
    st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=4, unique=True).map(
        lambda e: {"type": "STRING", "format": "enum", "enum": e}),
    st.sampled_from(["date-time", "date", "email", "uuid", "uri"]).map(lambda f: {"type": "STRING", "format": f}),
)


def _extend(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    objects = st.dictionaries(_NAMES, children, max_size=4).flatmap(lambda props: st.builds(
        lambda required, ordered: {"type": "OBJECT", "properties": props, "required": required,
                                   "property_ordering": ordered},
        st.lists(st.sampled_from(sorted(props)), unique=True) if props else st.just([]),
        st.permutations(sorted(props))))
    arrays = st.tuples(children, st.integers(0, 3), st.integers(0, 3)).map(
        lambda p: {"type": "ARRAY", "items": p[0], "minItems": p[1], "max_items": p[1] + p[2]})
    nullable = children.map(lambda c: {**c, "nullable": True})
    any_of = st.lists(children, min_size=1, max_size=3).map(lambda options: {"any_of": options})
    return st.one_of(objects, arrays, nullable, any_of)


@settings(max_examples=100, deadline=None, database=None)
@given(schema=st.recursive(_LEAVES, _extend, max_leaves=12), seed=st.binary(max_size=8))
def test_generated_instances_validate_against_normalised_gemini_schemas(schema: dict[str, Any], seed: bytes) -> None:
    normalised = to_json_schema(schema)
    value = instance(normalised, seed.hex())
    validator = jsonschema.Draft202012Validator(normalised, format_checker=jsonschema.FormatChecker())
    assert list(validator.iter_errors(value)) == []
    assert instance(normalised, seed.hex()) == value


def test_instances_put_property_ordering_first() -> None:
    """Gemini answers an object's keys in its `propertyOrdering`; the shared generator follows the schema's order."""
    inner = {"type": "object", "properties": {"z": {"type": "integer"}, "y": {"type": "integer"}},
             "required": ["z", "y"], "propertyOrdering": ["y", "z"]}
    schema = {"type": "object", "properties": {"b": {"type": "string"}, "a": {"type": "array", "items": inner,
                                                                              "minItems": 1}},
              "required": ["b", "a"], "propertyOrdering": ["a", "b"]}
    value = instance(schema, "ordering")
    assert list(value) == ["a", "b"] and all(list(item) == ["y", "z"] for item in value["a"])
    assert list(jsongen.generate(schema, "ordering")) == ["b", "a"]  # what the ordering changes
